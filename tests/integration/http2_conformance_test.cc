// HTTP/2 conformance (RFC 9113) and HPACK (RFC 7541), as h2spec checks them, driven with
// raw frames (h2spec itself is not packaged here). Each case is named after the h2spec
// test it mirrors ("http2/6.5/1", "hpack/2.3.3/1"); the RFC 7540 section numbers h2spec
// uses are kept so the two lists can be compared line by line. docs/http2.md lists the
// sections covered.
//
// Where the RFC lets a stream error be answered as a connection error, both pass (as in
// h2spec); the code must be the one the RFC names. The proxy must survive every case
// (ProxyTest's TearDown checks that it is still running).
#include <algorithm>
#include <cctype>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/h2_frames.h"
#include "tests/support/http_message.h"
#include "tests/support/proxy_test.h"
#include "tests/support/raw_client.h"

namespace switchyard::testing {
namespace {

using std::chrono::seconds;
using Fields = std::vector<std::pair<std::string, std::string>>;

Fields Request(const std::string& path = "/") {
  return {{":method", "GET"}, {":scheme", "http"}, {":authority", "example.com"}, {":path", path}};
}
Fields Post(const std::string& path = "/") {
  return {{":method", "POST"}, {":scheme", "http"}, {":authority", "example.com"}, {":path", path}};
}
Fields With(Fields fields, const std::string& name, const std::string& value) {
  fields.emplace_back(name, value);
  return fields;
}
Fields Without(Fields fields, const std::string& name) {
  std::erase_if(fields, [&](const auto& f) { return f.first == name; });
  return fields;
}

constexpr uint8_t kHeadersDone = h2::kEndHeaders | h2::kEndStream;

std::string Headers(uint32_t stream, const Fields& fields, uint8_t flags = kHeadersDone) {
  return h2::Frame(h2::kHeaders, flags, stream, h2::LiteralHeaderBlock(fields));
}
std::string Data(uint32_t stream, std::string_view payload, uint8_t flags = h2::kEndStream) {
  return h2::Frame(h2::kData, flags, stream, payload);
}
// A request whose answer takes a second (the backend waits): its stream stays open, in
// half-closed (remote) when `end_stream`, while the case goes on.
std::string SlowRequest(uint32_t stream, bool end_stream = true) {
  return Headers(stream, Request("/slow"), end_stream ? kHeadersDone : h2::kEndHeaders);
}
const std::string kPingPayload = "h2spec!!";

// What the proxy must answer.
struct Expectation {
  enum Kind {
    kConnectionError,  // GOAWAY with one of `codes`
    kStreamError,      // RST_STREAM on `stream` with one of `codes`, or a connection error
    kResponse,         // a HEADERS frame on `stream`
    kPingAck,          // a PING ACK echoing kPingPayload
    kNoAnswer,         // nothing for the frames sent: the case then pings, and must get the ACK
    kClosed,           // the connection closes (a GOAWAY before it is allowed)
  } kind;
  std::vector<uint32_t> codes;
  uint32_t stream = 1;
};
Expectation ConnectionError(uint32_t code) { return {Expectation::kConnectionError, {code}}; }
Expectation StreamError(uint32_t stream, std::vector<uint32_t> codes) {
  return {Expectation::kStreamError, std::move(codes), stream};
}
Expectation Response(uint32_t stream) { return {Expectation::kResponse, {}, stream}; }
Expectation PingAck() { return {Expectation::kPingAck, {}}; }
Expectation NoAnswer() { return {Expectation::kNoAnswer, {}}; }
Expectation Closed() { return {Expectation::kClosed, {}}; }

struct Case {
  std::string id;                       // h2spec's, e.g. "http2/6.5/1"
  std::string what;                     // h2spec's description, shortened
  std::function<std::string()> frames;  // sent after the preface (unless `raw`)
  Expectation expect;
  bool raw = false;  // `frames` replaces the preface too
};

std::string Bytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

std::vector<Case> Cases() {
  using h2::Frame;
  std::vector<Case> c;
  const std::string big(16385, 'x');  // captured by value: the cases outlive this function
  // 3.5 HTTP/2 Connection Preface
  c.push_back({"http2/3.5/1", "valid preface", [] { return Headers(1, Request()); }, Response(1)});
  c.push_back({"http2/3.5/2", "invalid preface",
               [] { return std::string("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n") + h2::Settings({}); },
               Closed(), /*raw=*/true});
  // 4.1 Frame Format
  c.push_back(
      {"http2/4.1/1", "unknown frame type", [] { return Frame(0x16, 0, 0, "x"); }, NoAnswer()});
  c.push_back({"http2/4.1/2", "undefined flags on PING",
               [] { return Frame(h2::kPing, 0x16, 0, kPingPayload); }, PingAck()});
  c.push_back({"http2/4.1/3", "reserved bit set in the stream id",
               [] {
                 return Frame(h2::kHeaders, kHeadersDone, 0x80000001,
                              h2::LiteralHeaderBlock(Request()));
               },
               Response(1)});
  // 4.2 Frame Size
  c.push_back(
      {"http2/4.2/1", "DATA of SETTINGS_MAX_FRAME_SIZE",
       [] { return Headers(1, Post(), h2::kEndHeaders) + Data(1, std::string(16384, 'x')); },
       Response(1)});
  c.push_back({"http2/4.2/2", "DATA larger than SETTINGS_MAX_FRAME_SIZE",
               [big] { return Headers(1, Post(), h2::kEndHeaders) + Data(1, big); },
               StreamError(1, {h2::kFrameSizeError})});
  c.push_back({"http2/4.2/3", "HEADERS larger than SETTINGS_MAX_FRAME_SIZE",
               [big] { return Headers(1, With(Request(), "x-big", big)); },
               ConnectionError(h2::kFrameSizeError)});
  // 4.3 Header Compression and Decompression
  c.push_back({"http2/4.3/1", "invalid header block fragment",
               [] {
                 return Frame(h2::kHeaders, kHeadersDone, 1, Bytes({0x00, 0x01, 0x61}));
               },
               ConnectionError(h2::kCompressionError)});
  c.push_back({"http2/4.3/2", "PRIORITY while a header block is being sent",
               [] { return Headers(1, Request(), h2::kEndStream) + h2::Priority(1, 0); },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/4.3/3", "HEADERS on another stream while a header block is being sent",
               [] { return Headers(1, Request(), h2::kEndStream) + Headers(3, Request()); },
               ConnectionError(h2::kProtocolError)});
  // 5.1 Stream States
  c.push_back({"http2/5.1/1", "idle: DATA", [] { return Data(1, "x"); },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/5.1/2", "idle: RST_STREAM", [] { return h2::RstStream(1, h2::kCancel); },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/5.1/3", "idle: WINDOW_UPDATE", [] { return h2::WindowUpdate(1, 100); },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/5.1/4", "idle: CONTINUATION",
               [] {
                 return Frame(h2::kContinuation, h2::kEndHeaders, 1,
                              h2::LiteralHeaderBlock(Request()));
               },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/5.1/5", "half closed (remote): DATA",
               [] { return SlowRequest(1) + Data(1, "x"); }, StreamError(1, {h2::kStreamClosed})});
  c.push_back({"http2/5.1/6", "half closed (remote): HEADERS",
               [] { return SlowRequest(1) + Headers(1, Request()); },
               StreamError(1, {h2::kStreamClosed})});
  c.push_back({"http2/5.1/7", "half closed (remote): CONTINUATION",
               [] {
                 return SlowRequest(1) + Frame(h2::kContinuation, h2::kEndHeaders, 1,
                                               h2::LiteralHeaderBlock({{"x-a", "b"}}));
               },
               StreamError(1, {h2::kStreamClosed, h2::kProtocolError})});
  c.push_back({"http2/5.1/8", "closed: DATA after RST_STREAM",
               [] { return SlowRequest(1, false) + h2::RstStream(1, h2::kCancel) + Data(1, "x"); },
               StreamError(1, {h2::kStreamClosed})});
  c.push_back(
      {"http2/5.1/9", "closed: HEADERS after RST_STREAM",
       [] { return SlowRequest(1, false) + h2::RstStream(1, h2::kCancel) + Headers(1, Request()); },
       StreamError(1, {h2::kStreamClosed})});
  c.push_back({"http2/5.1/10", "closed: CONTINUATION after RST_STREAM",
               [] {
                 return SlowRequest(1, false) + h2::RstStream(1, h2::kCancel) +
                        Frame(h2::kContinuation, h2::kEndHeaders, 1,
                              h2::LiteralHeaderBlock({{"x", "y"}}));
               },
               StreamError(1, {h2::kStreamClosed, h2::kProtocolError})});
  c.push_back({"http2/5.1/11", "closed: DATA after END_STREAM was answered",
               [] { return Headers(1, Request()) + Headers(3, Request("/slow")) + Data(1, "x"); },
               StreamError(1, {h2::kStreamClosed})});
  // 5.1.1 Stream Identifiers
  c.push_back({"http2/5.1.1/1", "even-numbered stream id", [] { return Headers(2, Request()); },
               ConnectionError(h2::kProtocolError)});
  // A deviation, nghttp2's on purpose: a HEADERS on a lower stream id is ignored rather
  // than a connection error, because client and server can disagree about which streams
  // are closed and a race must not end every other stream (docs/http2.md).
  c.push_back({"http2/5.1.1/2", "stream id smaller than a previous one (ignored)",
               [] { return Headers(5, Request()) + Headers(3, Request()); }, NoAnswer()});
  // 5.1.2 Stream Concurrency (the proxy advertises 100 by default)
  c.push_back({"http2/5.1.2/1", "more streams than SETTINGS_MAX_CONCURRENT_STREAMS",
               [] {
                 std::string out;
                 for (uint32_t i = 0; i <= 100; ++i) out += SlowRequest(2 * i + 1);
                 return out;
               },
               StreamError(201, {h2::kProtocolError, h2::kRefusedStream})});
  // 5.3.1 Stream Dependencies
  c.push_back({"http2/5.3.1/1", "HEADERS depending on itself",
               [] {
                 return Frame(h2::kHeaders, kHeadersDone | h2::kPriorityFlag, 1,
                              h2::Bytes32(1) + "\x0f" + h2::LiteralHeaderBlock(Request()));
               },
               StreamError(1, {h2::kProtocolError})});
  c.push_back({"http2/5.3.1/2", "PRIORITY depending on itself", [] { return h2::Priority(1, 1); },
               StreamError(1, {h2::kProtocolError})});
  // 5.5 Extending HTTP/2
  c.push_back({"http2/5.5/1", "unknown extension frame", [] { return Frame(0x20, 0, 0, "ext"); },
               NoAnswer()});
  c.push_back({"http2/5.5/2", "unknown extension frame in the middle of a header block",
               [] { return Headers(1, Request(), h2::kEndStream) + Frame(0x20, 0, 1, "ext"); },
               ConnectionError(h2::kProtocolError)});
  // 6.1 DATA
  c.push_back({"http2/6.1/1", "DATA on stream 0", [] { return Data(0, "x"); },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.1/2", "DATA on a half closed (remote) stream",
               [] { return SlowRequest(1) + Data(1, "x"); }, StreamError(1, {h2::kStreamClosed})});
  c.push_back({"http2/6.1/3", "DATA with an invalid pad length",
               [] {
                 return Headers(1, Post(), h2::kEndHeaders) + Frame(h2::kData,
                                                                    h2::kEndStream | h2::kPadded, 1,
                                                                    "\x06"
                                                                    "abcde");
               },
               ConnectionError(h2::kProtocolError)});
  // 6.2 HEADERS
  c.push_back({"http2/6.2/1", "HEADERS without END_HEADERS, then PRIORITY",
               [] { return Headers(1, Request(), h2::kEndStream) + h2::Priority(3, 0); },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.2/2", "HEADERS to another stream while a block is being sent",
               [] { return Headers(1, Request(), h2::kEndStream) + Headers(3, Request()); },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.2/3", "HEADERS on stream 0", [] { return Headers(0, Request()); },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.2/4", "HEADERS with an invalid pad length",
               [] {
                 const std::string block = h2::LiteralHeaderBlock(Request());
                 return Frame(h2::kHeaders, kHeadersDone | h2::kPadded, 1,
                              std::string(1, static_cast<char>(block.size() + 10)) + block);
               },
               ConnectionError(h2::kProtocolError)});
  // 6.3 PRIORITY
  c.push_back({"http2/6.3/1", "PRIORITY on stream 0", [] { return h2::Priority(0, 1); },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.3/2", "PRIORITY of length 4",
               [] { return Frame(h2::kPriority, 0, 1, h2::Bytes32(0)); },
               StreamError(1, {h2::kFrameSizeError})});
  // 6.4 RST_STREAM
  c.push_back({"http2/6.4/1", "RST_STREAM on stream 0",
               [] { return h2::RstStream(0, h2::kCancel); }, ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.4/2", "RST_STREAM on an idle stream",
               [] { return h2::RstStream(1, h2::kCancel); }, ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.4/3", "RST_STREAM of length 3",
               [] {
                 return SlowRequest(1) + Frame(h2::kRstStream, 0, 1, Bytes({0, 0, 0}));
               },
               ConnectionError(h2::kFrameSizeError)});
  // 6.5 SETTINGS
  c.push_back({"http2/6.5/1", "SETTINGS ACK with a payload",
               [] {
                 return Frame(h2::kSettings, h2::kAck, 0, Bytes({0, 1, 0, 0, 0, 1}));
               },
               ConnectionError(h2::kFrameSizeError)});
  c.push_back({"http2/6.5/2", "SETTINGS on stream 1",
               [] {
                 return Frame(h2::kSettings, 0, 1, Bytes({0, 3, 0, 0, 0, 100}));
               },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.5/3", "SETTINGS of length 3",
               [] {
                 return Frame(h2::kSettings, 0, 0, Bytes({0, 3, 0}));
               },
               ConnectionError(h2::kFrameSizeError)});
  // 6.5.2 Defined SETTINGS Parameters
  c.push_back({"http2/6.5.2/1", "SETTINGS_ENABLE_PUSH 2",
               [] {
                 return h2::Settings({{0x2, 2}});
               },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.5.2/2", "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1",
               [] {
                 return h2::Settings({{0x4, 0x80000000u}});
               },
               ConnectionError(h2::kFlowControlError)});
  c.push_back({"http2/6.5.2/3", "SETTINGS_MAX_FRAME_SIZE below 16384",
               [] {
                 return h2::Settings({{0x5, 16383}});
               },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.5.2/4", "SETTINGS_MAX_FRAME_SIZE above 2^24-1",
               [] {
                 return h2::Settings({{0x5, 16777216}});
               },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.5.2/5", "unknown setting",
               [] {
                 return h2::Settings({{0xff, 1}});
               },
               NoAnswer()});
  // 6.7 PING
  c.push_back({"http2/6.7/1", "PING", [] { return h2::Ping(kPingPayload); }, PingAck()});
  c.push_back({"http2/6.7/2", "PING with ACK is not answered",
               [] { return h2::Ping("unsolici", /*ack=*/true); }, NoAnswer()});
  c.push_back({"http2/6.7/3", "PING on stream 1",
               [] { return h2::Frame(h2::kPing, 0, 1, kPingPayload); },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.7/4", "PING of length 6",
               [] { return h2::Frame(h2::kPing, 0, 0, "123456"); },
               ConnectionError(h2::kFrameSizeError)});
  // 6.8 GOAWAY
  c.push_back({"http2/6.8/1", "GOAWAY on stream 1",
               [] { return h2::Frame(h2::kGoaway, 0, 1, h2::Bytes32(0) + h2::Bytes32(0)); },
               ConnectionError(h2::kProtocolError)});
  // 6.9 WINDOW_UPDATE
  c.push_back({"http2/6.9/1", "WINDOW_UPDATE of 0 on the connection",
               [] { return h2::WindowUpdate(0, 0); }, ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.9/2", "WINDOW_UPDATE of 0 on a stream",
               [] { return SlowRequest(1) + h2::WindowUpdate(1, 0); },
               StreamError(1, {h2::kProtocolError})});
  c.push_back({"http2/6.9/3", "WINDOW_UPDATE of length 3",
               [] {
                 return h2::Frame(h2::kWindowUpdate, 0, 0, Bytes({0, 0, 1}));
               },
               ConnectionError(h2::kFrameSizeError)});
  // 6.9.1 The Flow-Control Window
  c.push_back({"http2/6.9.1/2", "connection window above 2^31-1",
               [] { return h2::WindowUpdate(0, 0x7fffffff) + h2::WindowUpdate(0, 0x7fffffff); },
               ConnectionError(h2::kFlowControlError)});
  c.push_back({"http2/6.9.1/3", "stream window above 2^31-1",
               [] {
                 return SlowRequest(1) + h2::WindowUpdate(1, 0x7fffffff) +
                        h2::WindowUpdate(1, 0x7fffffff);
               },
               StreamError(1, {h2::kFlowControlError})});
  // 6.9.2 Initial Flow-Control Window Size
  c.push_back({"http2/6.9.2/3", "SETTINGS_INITIAL_WINDOW_SIZE that overflows an open window",
               [] {
                 return SlowRequest(1) + h2::WindowUpdate(1, 0x7fffffff - 65535) +
                        h2::Settings({{0x4, 65536}});
               },
               StreamError(1, {h2::kFlowControlError})});
  // 6.10 CONTINUATION
  c.push_back({"http2/6.10/1", "several CONTINUATION frames",
               [] {
                 const std::string block = h2::LiteralHeaderBlock(Request());
                 return Frame(h2::kHeaders, h2::kEndStream, 1, block.substr(0, 5)) +
                        Frame(h2::kContinuation, 0, 1, block.substr(5, 5)) +
                        Frame(h2::kContinuation, h2::kEndHeaders, 1, block.substr(10));
               },
               Response(1)});
  c.push_back({"http2/6.10/2", "CONTINUATION followed by a non-CONTINUATION frame",
               [] {
                 const std::string block = h2::LiteralHeaderBlock(Request());
                 return Frame(h2::kHeaders, h2::kEndStream, 1, block.substr(0, 5)) +
                        Frame(h2::kContinuation, 0, 1, block.substr(5)) + Data(1, "x");
               },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.10/3", "CONTINUATION on stream 0",
               [] {
                 const std::string block = h2::LiteralHeaderBlock(Request());
                 return Frame(h2::kHeaders, h2::kEndStream, 1, block.substr(0, 5)) +
                        Frame(h2::kContinuation, h2::kEndHeaders, 0, block.substr(5));
               },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.10/4", "CONTINUATION after END_HEADERS",
               [] {
                 return Headers(1, Request()) + Frame(h2::kContinuation, h2::kEndHeaders, 1,
                                                      h2::LiteralHeaderBlock({{"x", "y"}}));
               },
               ConnectionError(h2::kProtocolError)});
  c.push_back({"http2/6.10/5", "CONTINUATION on another stream",
               [] {
                 const std::string block = h2::LiteralHeaderBlock(Request());
                 return Frame(h2::kHeaders, h2::kEndStream, 1, block.substr(0, 5)) +
                        Frame(h2::kContinuation, h2::kEndHeaders, 3, block.substr(5));
               },
               ConnectionError(h2::kProtocolError)});
  // 8.1 HTTP Request/Response Exchange
  c.push_back({"http2/8.1/1", "second HEADERS (trailers) without END_STREAM",
               [] {
                 return Headers(1, Post(), h2::kEndHeaders) + Data(1, "x", 0) +
                        Headers(1, {{"x-trailer", "1"}}, h2::kEndHeaders);
               },
               StreamError(1, {h2::kProtocolError})});
  // 8.1.2 HTTP Header Fields
  c.push_back({"http2/8.1.2/1", "upper-case header name",
               [] { return Headers(1, With(Request(), "X-Upper", "1")); },
               StreamError(1, {h2::kProtocolError})});
  // 8.1.2.1 Pseudo-Header Fields
  c.push_back({"http2/8.1.2.1/1", "unknown pseudo-header",
               [] { return Headers(1, With(Request(), ":unknown", "1")); },
               StreamError(1, {h2::kProtocolError})});
  c.push_back({"http2/8.1.2.1/2", "response pseudo-header in a request",
               [] { return Headers(1, With(Request(), ":status", "200")); },
               StreamError(1, {h2::kProtocolError})});
  c.push_back({"http2/8.1.2.1/3", "pseudo-header in trailers",
               [] {
                 return Headers(1, Post(), h2::kEndHeaders) + Data(1, "x", 0) +
                        Headers(1, {{":method", "POST"}});
               },
               StreamError(1, {h2::kProtocolError})});
  c.push_back({"http2/8.1.2.1/4", "pseudo-header after a regular header",
               [] {
                 Fields f = {{":method", "GET"},
                             {":scheme", "http"},
                             {"x-a", "b"},
                             {":authority", "example.com"},
                             {":path", "/"}};
                 return Headers(1, f);
               },
               StreamError(1, {h2::kProtocolError})});
  // 8.1.2.2 Connection-Specific Header Fields (HTTP/2 -> HTTP/1.1 smuggling paths)
  for (const auto& header :
       std::vector<std::pair<std::string, std::string>>{{"connection", "keep-alive"},
                                                        {"keep-alive", "timeout=5"},
                                                        {"transfer-encoding", "chunked"},
                                                        {"upgrade", "h2c"},
                                                        {"proxy-connection", "keep-alive"},
                                                        {"te", "trailers, deflate"}}) {
    c.push_back({"http2/8.1.2.2/" + header.first, "connection-specific header " + header.first,
                 [header] { return Headers(1, With(Request(), header.first, header.second)); },
                 StreamError(1, {h2::kProtocolError})});
  }
  // 8.1.2.3 Request Pseudo-Header Fields
  c.push_back({"http2/8.1.2.3/1", "empty :path",
               [] { return Headers(1, With(Without(Request(), ":path"), ":path", "")); },
               StreamError(1, {h2::kProtocolError})});
  for (const std::string pseudo : {":method", ":scheme", ":path"}) {
    c.push_back({"http2/8.1.2.3/missing" + pseudo, "no " + pseudo,
                 [pseudo] { return Headers(1, Without(Request(), pseudo)); },
                 StreamError(1, {h2::kProtocolError})});
    c.push_back({"http2/8.1.2.3/duplicate" + pseudo, "two " + pseudo,
                 [pseudo] {
                   Fields f = Request();
                   for (const auto& field : Request()) {
                     if (field.first == pseudo) f.insert(f.begin(), field);
                   }
                   return Headers(1, f);
                 },
                 StreamError(1, {h2::kProtocolError})});
  }
  // 8.1.2.6 Malformed Requests and Responses
  c.push_back({"http2/8.1.2.6/1", "content-length larger than the DATA",
               [] {
                 return Headers(1, With(Post(), "content-length", "10"), h2::kEndHeaders) +
                        Data(1, "x");
               },
               StreamError(1, {h2::kProtocolError})});
  c.push_back({"http2/8.1.2.6/2", "DATA beyond content-length",
               [] {
                 return Headers(1, With(Post(), "content-length", "2"), h2::kEndHeaders) +
                        Data(1, "abc", 0) + Data(1, "de");
               },
               StreamError(1, {h2::kProtocolError})});
  // Field values that HTTP/1.1 would read as framing (RFC 9113 8.2.1).
  for (const auto& bad : std::vector<std::pair<std::string, std::string>>{
           {"cr", "a\rb"}, {"lf", "a\nb"}, {"nul", std::string("a\0b", 3)}}) {
    c.push_back({"http2/8.2.1/" + bad.first, "field value with " + bad.first,
                 [bad] { return Headers(1, With(Request(), "x-smuggle", bad.second)); },
                 StreamError(1, {h2::kProtocolError})});
  }
  // RFC 9113 8.3.1: :authority must be a valid authority (RFC 3986 3.2), as Host is on
  // HTTP/1.1 (http::IsValidHostHeader): userinfo, spaces or a bad port are refused.
  for (const std::string authority :
       {"user@example.com", "exa mple.com", "example.com:99999", "example.com:80:80", "[::1"}) {
    c.push_back({"http2/8.3.1/" + authority, "invalid :authority " + authority,
                 [authority] {
                   return Headers(1,
                                  With(Without(Request(), ":authority"), ":authority", authority));
                 },
                 StreamError(1, {h2::kProtocolError})});
  }
  // 8.2 Server Push
  c.push_back({"http2/8.2/1", "PUSH_PROMISE from the client",
               [] {
                 return SlowRequest(1) + Frame(h2::kPushPromise, h2::kEndHeaders, 1,
                                               h2::Bytes32(2) + h2::LiteralHeaderBlock(Request()));
               },
               ConnectionError(h2::kProtocolError)});
  // RFC 7541 (HPACK)
  c.push_back({"hpack/2.3.3/1", "indexed field beyond the table",
               [] {
                 return Frame(h2::kHeaders, kHeadersDone, 1, Bytes({0xff, 0x7f}));
               },
               ConnectionError(h2::kCompressionError)});
  c.push_back({"hpack/2.3.3/2", "literal field whose name index is beyond the table",
               [] {
                 return Frame(h2::kHeaders, kHeadersDone, 1, Bytes({0x7f, 0x7f, 0x01, 0x61}));
               },
               ConnectionError(h2::kCompressionError)});
  c.push_back({"hpack/4.2/1", "dynamic table size update above SETTINGS_HEADER_TABLE_SIZE",
               [] {
                 return Frame(h2::kHeaders, kHeadersDone, 1,
                              Bytes({0x3f, 0xe2, 0x1f}) + h2::LiteralHeaderBlock(Request()));
               },
               ConnectionError(h2::kCompressionError)});
  // A literal field "x" whose value is Huffman-coded (RFC 7541 5.2): 'a' is 00011.
  const auto huffman_value = [](std::initializer_list<uint8_t> value) {
    std::string block = h2::LiteralHeaderBlock(Request()) + Bytes({0x00, 0x01, 'x'});
    block += static_cast<char>(0x80 | value.size());
    block += Bytes(value);
    return Frame(h2::kHeaders, kHeadersDone, 1, block);
  };
  c.push_back({"hpack/5.2/1", "Huffman string with the EOS symbol",
               [huffman_value] {
                 return huffman_value({0xff, 0xff, 0xff, 0xff});
               },
               ConnectionError(h2::kCompressionError)});
  c.push_back({"hpack/5.2/2", "Huffman padding longer than 7 bits",
               [huffman_value] {
                 return huffman_value({0x1f, 0xff});
               },
               ConnectionError(h2::kCompressionError)});
  c.push_back({"hpack/5.2/3", "Huffman padding that is not the EOS prefix",
               [huffman_value] { return huffman_value({0x18}); },
               ConnectionError(h2::kCompressionError)});
  c.push_back({"hpack/6.1/1", "indexed field with index 0",
               [] {
                 return Frame(h2::kHeaders, kHeadersDone, 1,
                              Bytes({0x80}) + h2::LiteralHeaderBlock(Request()));
               },
               ConnectionError(h2::kCompressionError)});
  c.push_back({"hpack/6.3/1", "dynamic table size update after a field",
               [] {
                 return Frame(h2::kHeaders, kHeadersDone, 1,
                              h2::LiteralHeaderBlock(Request()) + Bytes({0x3f, 0x00}));
               },
               ConnectionError(h2::kCompressionError)});
  return c;
}

// gtest prints a case by its id.
void PrintTo(const Case& c, std::ostream* os) { *os << c.id; }

std::string Describe(const h2::ReceivedFrame& f) {
  std::string out = "type " + std::to_string(f.type) + " stream " + std::to_string(f.stream_id);
  if (f.type == h2::kGoaway) out += " GOAWAY code " + std::to_string(f.GoawayError());
  if (f.type == h2::kRstStream) out += " RST_STREAM code " + std::to_string(f.RstStreamError());
  return out;
}

// One proxy per case, with a backend whose "/slow" answers after a second.
class Http2ConformanceTest : public ProxyTest, public ::testing::WithParamInterface<Case> {};

bool Satisfies(const Expectation& e, const h2::ReceivedFrame& f) {
  const auto code_in = [&](uint32_t code) {
    return std::find(e.codes.begin(), e.codes.end(), code) != e.codes.end();
  };
  switch (e.kind) {
    case Expectation::kConnectionError:
      return f.type == h2::kGoaway && code_in(f.GoawayError());
    case Expectation::kStreamError:
      return (f.type == h2::kRstStream && f.stream_id == e.stream && code_in(f.RstStreamError())) ||
             (f.type == h2::kGoaway && code_in(f.GoawayError()));
    case Expectation::kResponse:
      return f.type == h2::kHeaders && f.stream_id == e.stream;
    case Expectation::kPingAck:
    case Expectation::kNoAnswer:
      return f.type == h2::kPing && (f.flags & h2::kAck) != 0 && f.payload == kPingPayload;
    case Expectation::kClosed:
      return false;
  }
  return false;
}

TEST_P(Http2ConformanceTest, AnswersAsTheRfcSays) {
  const Case& c = GetParam();
  TestBackend& backend = AddBackend("b", [](BackendExchange& ex) {
    if (ex.request().target == "/slow") ex.Delay(seconds(1));
    ex.Reply(200, "ok");
  });
  ASSERT_TRUE(StartProxy(SingleClusterConfig({backend.port()})));
  RawClient client = Connect();
  ASSERT_TRUE(client.connected());
  std::string bytes = c.raw ? c.frames() : h2::ClientPreface() + c.frames();
  // After frames that need no answer, a PING shows the connection still works.
  if (c.expect.kind == Expectation::kNoAnswer) bytes += h2::Ping(kPingPayload);
  // The proxy may close before everything is sent: what it answered is what counts.
  client.Send(bytes, seconds(10));
  if (c.expect.kind == Expectation::kClosed) {
    EXPECT_TRUE(client.WaitForClose(seconds(10)).closed) << c.id << ": " << c.what;
    return;
  }
  std::string received;
  std::vector<h2::ReceivedFrame> frames;
  bool satisfied = false;
  const auto deadline = Clock::now() + seconds(10);
  while (!satisfied && Clock::now() < deadline) {
    received += client.ReadAvailable(std::chrono::milliseconds(100));
    frames = h2::ParseFrames(received);
    for (const h2::ReceivedFrame& f : frames) satisfied = satisfied || Satisfies(c.expect, f);
  }
  std::string seen;
  for (const h2::ReceivedFrame& f : frames) seen += "\n  " + Describe(f);
  EXPECT_TRUE(satisfied) << c.id << ": " << c.what << "; the proxy sent:" << seen;
  if (c.expect.kind == Expectation::kNoAnswer || c.expect.kind == Expectation::kResponse ||
      c.expect.kind == Expectation::kPingAck) {
    for (const h2::ReceivedFrame& f : frames) {
      EXPECT_NE(f.type, h2::kGoaway) << c.id << ": " << Describe(f);
      EXPECT_NE(f.type, h2::kRstStream) << c.id << ": " << Describe(f);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(H2spec, Http2ConformanceTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string name = info.param.id;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace switchyard::testing
