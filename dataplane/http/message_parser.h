// An HTTP/1.x message parser built on Boost.Beast's basic_parser, with the strictness a
// proxy needs on top of Beast's own checks.
//
// Beast does the parsing. This class records the head into a HeaderMap, hands body bytes
// back to the caller without copying (so the caller can forward them with backpressure),
// and rejects what a proxy must never forward ambiguously: Content-Length together with
// Transfer-Encoding, repeated Content-Length, any Transfer-Encoding but exactly "chunked",
// obs-fold, a request-line over the limit, too many header fields (dropped ones count),
// requests with more than one Host, HTTP/1.1 requests without Host, a Host that is not a
// valid `uri-host [":" port]` (authority.h), and Transfer-Encoding in an HTTP/1.0 request
// (RFC 9112 section 6.1). Request header names with '_' follow
// ParserLimits::headers_with_underscores. One parser handles one message; construct a new one (in
// place) for the next message on the connection. Not thread-safe.
#ifndef SWITCHYARD_DATAPLANE_HTTP_MESSAGE_PARSER_H_
#define SWITCHYARD_DATAPLANE_HTTP_MESSAGE_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "boost/beast/http/basic_parser.hpp"
#include "dataplane/http/header_map.h"

namespace switchyard::http {

// What a request header whose name contains '_' becomes. Such names are legal tokens, but
// a backend (CGI, and servers that map '-' and '_' to one character) may read
// "Content_Length" as Content-Length, which the proxy does not treat as framing: Envoy's
// choices, with drop as the default.
enum class HeadersWithUnderscores {
  kAllow,   // forward them like any other field
  kDrop,    // remove them silently; the request goes on
  kReject,  // refuse the request: kMalformed, 400
};

// Reads "allow", "drop" or "reject" (exactly, lower case) into `policy`; false, with
// `policy` untouched, for anything else.
bool ParseHeadersWithUnderscores(std::string_view text, HeadersWithUnderscores& policy);

struct ParserLimits {
  // Whole header section including the start line; larger gives kHeaderTooLarge.
  uint32_t max_header_bytes = 64 * 1024;
  // Number of header fields; more gives kTooManyHeaders.
  uint32_t max_headers = 100;
  // Request line (method, target, version); longer gives kUriTooLong. Requests only.
  uint32_t max_request_line = 8 * 1024;
  // Request header names containing '_'; responses are not affected.
  HeadersWithUnderscores headers_with_underscores = HeadersWithUnderscores::kDrop;
};

// Why a message was refused. The session maps these to local replies (400, 431, 414) or,
// for an upstream response, to 502.
enum class ParseFailure {
  kNone,
  kMalformed,       // syntax Beast refused, or ambiguous framing: 400
  kHeaderTooLarge,  // 431
  kTooManyHeaders,  // 431
  kUriTooLong,      // 414
};

enum class BodyFraming {
  kNone,           // no body (or a response that cannot have one)
  kContentLength,  // exactly content_length() bytes
  kChunked,        // chunked transfer coding
  kUntilClose,     // response body delimited by the connection closing
};

template <bool kIsRequest>
class MessageParser final : public boost::beast::http::basic_parser<kIsRequest> {
 public:
  // Records the head's fields into `headers` (cleared first), which must outlive the
  // parser; sessions pass one map per connection so its storage is reused.
  MessageParser(const ParserLimits& limits, HeaderMap& headers);

  // Parses from `data`, which must hold every byte the caller has buffered and not yet
  // consumed. Returns the number of bytes the caller may discard from the front; a body
  // piece returned by TakeBody() points into `data` and stays valid until the caller
  // discards those bytes. Stops after the header, after each body piece, and at the end
  // of the message. On error, failure() says why; `need_more` is not an error.
  size_t Feed(std::string_view data, boost::beast::error_code& ec);

  // Where the trailer fields of a chunked body go (cleared now); without this call they
  // are parsed and dropped. Counted against max_headers together with the head's fields.
  // `trailers` must outlive the parser.
  void set_trailers(HeaderMap* trailers) {
    trailers_ = trailers;
    if (trailers_ != nullptr) trailers_->clear();
  }

  // The body piece found by the last Feed (empty if none) and clears it.
  std::string_view TakeBody() {
    std::string_view b = body_piece_;
    body_piece_ = {};
    return b;
  }

  ParseFailure failure() const { return failure_; }

  // The head, valid once is_header_done().
  const std::string& method() const { return method_; }
  const std::string& target() const { return target_; }
  int status() const { return status_; }
  int version() const { return version_; }  // 10 or 11
  HeaderMap& headers() { return headers_; }
  const HeaderMap& headers() const { return headers_; }
  BodyFraming framing() const { return framing_; }
  uint64_t content_length() const { return content_length_; }

 private:
  using string_view = boost::beast::string_view;
  using error_code = boost::beast::error_code;

  void on_request_impl(boost::beast::http::verb verb, string_view method, string_view target,
                       int version, error_code& ec) override;
  void on_response_impl(int status, string_view reason, int version, error_code& ec) override;
  void on_field_impl(boost::beast::http::field field, string_view name, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
  size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  void Fail(ParseFailure failure, error_code& ec);
  void ComputeFraming();
  // 414 or 431 for a head over max_header_bytes; `data` is what Feed was given.
  ParseFailure HeaderLimitFailure(std::string_view data) const;

  ParserLimits limits_;
  ParseFailure failure_ = ParseFailure::kNone;
  std::string method_;
  std::string target_;
  int status_ = 0;
  int version_ = 11;
  HeaderMap& headers_;
  HeaderMap* trailers_ = nullptr;
  BodyFraming framing_ = BodyFraming::kNone;
  uint64_t content_length_ = 0;
  uint32_t fields_seen_ = 0;  // including dropped ones
  int content_length_fields_ = 0;
  int transfer_encoding_fields_ = 0;
  int host_fields_ = 0;
  bool header_done_ = false;
  bool start_line_seen_ = false;
  bool head_bytes_seen_ = false;
  size_t head_bytes_ = 0;           // of the head, consumed by Beast so far
  bool chunk_header_seen_ = false;  // Beast reported a chunk header of this body
  std::string_view body_piece_;
};

using RequestParser = MessageParser<true>;
using ResponseParser = MessageParser<false>;

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_MESSAGE_PARSER_H_
