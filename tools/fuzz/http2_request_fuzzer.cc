// Fuzz target: HTTP/2 requests as the proxy turns them into HTTP/1.1 requests, the place
// where request smuggling through a gateway hides (docs/http2.md, "From HTTP/2 to
// HTTP/1.1"). An nghttp2 server session, set up as Http2Session sets up its own (HTTP
// messaging checks on, the CONTINUATION and reset limits), reads the client's bytes; its
// header callbacks feed http::H2RequestBuilder, exactly as Http2Session's do; and each
// request head it accepts is written as the HTTP/1.1 head the proxy sends upstream
// (http::AppendRequestHead) and parsed again with the proxy's own HTTP/1 parser.
//
// Input: byte 0 chooses the limits (bit 0: tight, 256-byte heads and 4 fields; bits 1-2:
// the underscore policy, allow/drop/reject); bytes 1.. are what the client sends after the
// connection preface (which the target sends first), in reads split by bits 3-7 (0: one
// read; else reads of up to that many bytes).
//
// Invariants (beyond "no crash, no sanitizer report"), for every request head accepted:
//  - the HTTP/1.1 head parses, completely, as exactly one request head;
//  - it has the same method and target, and exactly the fields that were forwarded, each
//    with the same value: nothing was split, joined or injected on the way;
//  - Host is the request's authority, and is a valid Host;
//  - the body framing the builder chose is the one the HTTP/1.1 head announces;
//  - a CONNECT has no body; a WebSocket's extended CONNECT became a GET with a key.
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "dataplane/http/authority.h"
#include "dataplane/http/h2_request.h"
#include "dataplane/http/header_map.h"
#include "dataplane/http/message_parser.h"
#include "dataplane/http/serializer.h"
#include "tools/fuzz/fuzz_check.h"

namespace switchyard::http {
namespace {

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// What an HTTP/1.1 request line can carry (RFC 9110 5.6.2 tokens; a target of visible
// ASCII). The router answers anything else before it could be forwarded.
bool IsToken(std::string_view s) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  if (s.empty()) return false;
  for (const char c : s) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && kSpecials.find(c) == std::string_view::npos) return false;
  }
  return true;
}
bool IsVisibleAscii(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

struct Request {
  explicit Request(const ParserLimits& limits) : builder(limits) {}
  std::string method;
  std::string target;
  std::string authority;
  std::string protocol;
  HeaderMap headers;
  HeaderMap trailers;
  bool tunnel_only = false;
  bool websocket_upgrade = false;
  H2RequestBuilder builder;
  H2RequestFields Fields() {
    return {method, target, authority, protocol, headers, trailers, tunnel_only, websocket_upgrade};
  }
};

struct Session {
  ParserLimits limits;
  std::map<int32_t, std::unique_ptr<Request>> requests;
};

// The head the proxy would send upstream, parsed back.
void CheckTranslation(Request& request, const BodyInfo& body) {
  if (request.tunnel_only) {
    FUZZ_CHECK(!body.has_body);              // what follows a CONNECT's head is the tunnel's
    if (!request.websocket_upgrade) return;  // answered 501, never forwarded
    FUZZ_CHECK(request.method == "GET");
    FUZZ_CHECK(request.headers.Has("sec-websocket-key"));
  }
  FUZZ_CHECK(IsValidHostHeader(request.authority));
  const std::string* host = request.headers.Get("host");
  FUZZ_CHECK(host != nullptr && *host == request.authority);
  BodyFraming framing = BodyFraming::kNone;
  if (body.has_body) {
    framing = body.length_known ? BodyFraming::kContentLength : BodyFraming::kChunked;
  }
  // Content-Length is framing: the serializer writes it from `body`, never from the map
  // (as PrepareUpstreamRequestHeaders removes it before the proxy forwards).
  HeaderMap forwarded = request.headers;
  forwarded.Remove("content-length");
  forwarded.Remove("transfer-encoding");
  std::string head;
  AppendRequestHead(head, request.method.empty() ? "GET" : request.method,
                    request.target.empty() ? "/" : request.target, forwarded, framing, body.length);

  ParserLimits generous;
  generous.max_header_bytes = 1 << 20;
  generous.max_headers = 10'000;
  generous.max_request_line = 1 << 20;
  generous.headers_with_underscores = HeadersWithUnderscores::kAllow;
  HeaderMap parsed_headers;
  RequestParser parser(generous, parsed_headers);
  boost::beast::error_code ec;
  const size_t used = parser.Feed(head, ec);
  // A method or target nghttp2 let through that HTTP/1.1 cannot carry is refused here,
  // as it is answered before it could be forwarded. Anything else, whatever its fields
  // hold, must parse: a field value that HTTP/1.1 refuses would reach a backend as a
  // message it reads differently.
  if (!IsToken(request.method.empty() ? "GET" : request.method) ||
      !IsVisibleAscii(request.target.empty() ? "/" : request.target)) {
    return;
  }
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(parser.is_header_done());
  FUZZ_CHECK(used == head.size());  // exactly one head, nothing left over
  FUZZ_CHECK(parser.method() == (request.method.empty() ? "GET" : request.method));
  FUZZ_CHECK(parser.target() == (request.target.empty() ? "/" : request.target));
  // The same fields in the same order (the framing field aside, written from `body`).
  auto sent = forwarded.begin();
  for (const HeaderField& field : parser.headers()) {
    if (field.name == "content-length" || field.name == "transfer-encoding") continue;
    FUZZ_CHECK(sent != forwarded.end());
    FUZZ_CHECK(field.name == sent->name);
    FUZZ_CHECK(field.value == sent->value);
    ++sent;
  }
  FUZZ_CHECK(sent == forwarded.end());
  FUZZ_CHECK(parser.framing() == framing ||
             (framing == BodyFraming::kNone && parser.framing() == BodyFraming::kContentLength &&
              parser.content_length() == 0));
}

int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  auto& session = *static_cast<Session*>(user_data);
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    session.requests[frame->hd.stream_id] = std::make_unique<Request>(session.limits);
  }
  return 0;
}

int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
             const uint8_t* value, size_t valuelen, uint8_t, void* user_data) {
  auto& session = *static_cast<Session*>(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  const auto it = session.requests.find(frame->hd.stream_id);
  if (it == session.requests.end()) return 0;
  H2RequestFields fields = it->second->Fields();
  const auto result = it->second->builder.Add({reinterpret_cast<const char*>(name), namelen},
                                              {reinterpret_cast<const char*>(value), valuelen},
                                              frame->headers.cat == NGHTTP2_HCAT_HEADERS, fields);
  if (result == H2RequestBuilder::FieldResult::kRefused) return NGHTTP2_ERR_HTTP_HEADER;
  if (result == H2RequestBuilder::FieldResult::kTooLarge) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  return 0;
}

int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  auto& session = *static_cast<Session*>(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  const auto it = session.requests.find(frame->hd.stream_id);
  if (it == session.requests.end()) return 0;
  H2RequestFields fields = it->second->Fields();
  BodyInfo body;
  const bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (H2RequestBuilder::Finish(end, fields, body)) CheckTranslation(*it->second, body);
  return 0;
}

int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user_data) {
  static_cast<Session*>(user_data)->requests.erase(stream_id);
  return 0;
}

}  // namespace
}  // namespace switchyard::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchyard::http;  // NOLINT(google-build-using-namespace): fuzz entry point
  if (size < 1) return 0;
  const uint8_t control = data[0];
  Session session;
  if ((control & 1) != 0) {
    session.limits.max_header_bytes = 256;
    session.limits.max_headers = 4;
  }
  switch ((control >> 1) & 3) {
    case 0:
      session.limits.headers_with_underscores = HeadersWithUnderscores::kAllow;
      break;
    case 1:
      session.limits.headers_with_underscores = HeadersWithUnderscores::kDrop;
      break;
    default:
      session.limits.headers_with_underscores = HeadersWithUnderscores::kReject;
      break;
  }
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &OnFrameRecv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &OnStreamClose);
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096);
  nghttp2_option_set_stream_reset_rate_limit(option, 1000, 33);
  nghttp2_option_set_max_continuations(option, 8);
  nghttp2_session* h2 = nullptr;
  nghttp2_session_server_new2(&h2, callbacks, &session, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  // As the proxy announces it: :protocol is then allowed (RFC 8441).
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1}};
  nghttp2_submit_settings(h2, NGHTTP2_FLAG_NONE, settings, 1);

  std::string input(kPreface);
  input.append(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t max_read = control >> 3;
  size_t at = 0;
  while (at < input.size()) {
    const size_t n = max_read == 0 ? input.size() - at : std::min(max_read, input.size() - at);
    const ssize_t used =
        nghttp2_session_mem_recv(h2, reinterpret_cast<const uint8_t*>(input.data() + at), n);
    if (used < 0) break;  // a connection error: the proxy sends GOAWAY and closes
    at += n;
    // What the server would write (SETTINGS, acks, RST_STREAM, GOAWAY), drained so that
    // its state advances as it does on a socket.
    const uint8_t* out = nullptr;
    while (nghttp2_session_mem_send(h2, &out) > 0) {
    }
  }
  nghttp2_session_del(h2);
  return 0;
}
