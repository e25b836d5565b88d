#include "dataplane/http/message_parser.h"

#include <limits>

#include "boost/beast/http/error.hpp"
#include "common/ascii.h"
#include "dataplane/http/authority.h"

namespace switchyard::http {
namespace {

namespace beast_http = boost::beast::http;

// "0\r\n\r\n": the last chunk and the empty trailer section.
constexpr size_t kShortestChunkedBody = 5;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True if a line in `bytes` starts with space or tab: obs-fold, which Beast silently joins
// but RFC 9112 says a proxy must reject. `bytes` is a run of whole header lines as Beast
// consumed them (it consumes a field only once it has seen the next line begin). The scan
// stops at the blank line that ends the header section, so body bytes are never examined.
bool HasObsFold(std::string_view bytes, bool first_line_is_start_line) {
  size_t line = 0;
  bool first = true;
  while (line < bytes.size()) {
    const char c = bytes[line];
    if (c == '\r' || c == '\n') return false;  // end of the header section
    if ((c == ' ' || c == '\t') && !(first && first_line_is_start_line)) return true;
    first = false;
    const size_t lf = bytes.find('\n', line);
    if (lf == std::string_view::npos) return false;
    line = lf + 1;
  }
  return false;
}

}  // namespace

bool ParseHeadersWithUnderscores(std::string_view text, HeadersWithUnderscores& policy) {
  if (text == "allow") {
    policy = HeadersWithUnderscores::kAllow;
  } else if (text == "drop") {
    policy = HeadersWithUnderscores::kDrop;
  } else if (text == "reject") {
    policy = HeadersWithUnderscores::kReject;
  } else {
    return false;
  }
  return true;
}

template <bool kIsRequest>
MessageParser<kIsRequest>::MessageParser(const ParserLimits& limits, HeaderMap& headers)
    : limits_(limits), headers_(headers) {
  headers_.clear();
  this->header_limit(limits.max_header_bytes);
  // Bodies are streamed, never buffered here, so Beast's body limit does not apply.
  // (Not boost::none: Boost 1.74 compares the length against an empty optional and fails.)
  this->body_limit(std::numeric_limits<std::uint64_t>::max());
  this->eager(false);
}

template <bool kIsRequest>
size_t MessageParser<kIsRequest>::Feed(std::string_view data, error_code& ec) {
  body_piece_ = {};
  if (framing_ == BodyFraming::kChunked && !chunk_header_seen_ && !this->is_done() &&
      data.size() < kShortestChunkedBody && data.starts_with("0\r\n")) {
    // Boost.Beast 1.74 asserts n >= 5 (aborting the process in builds with asserts) when
    // it re-enters a last chunk "0\r\n" that began the body with fewer than 5 bytes
    // buffered. No chunked body is shorter than "0\r\n\r\n", so waiting for 5 bytes
    // delays nothing a peer could be waiting for.
    ec = {};
    return 0;
  }
  const bool header_was_done = header_done_;
  const size_t n = this->put(boost::asio::const_buffer(data.data(), data.size()), ec);
  if (!header_was_done && n > 0 && (!ec || ec == beast_http::error::need_more)) {
    // Beast consumes the head a few whole lines at a time; check each run it consumed.
    if (HasObsFold(data.substr(0, n), /*first_line_is_start_line=*/!head_bytes_seen_)) {
      Fail(ParseFailure::kMalformed, ec);
      return n;
    }
    head_bytes_seen_ = true;
    // Beast 1.74 applies header_limit to the start line and then again to the fields
    // after it, so alone it lets a head grow to the start line plus the limit when it
    // arrives in one read. The limit is the whole head's: what Beast consumed of it so far
    // plus, while the head is incomplete, everything still buffered (all of it head).
    head_bytes_ += n;
    const size_t pending = this->is_header_done() ? 0 : data.size() - n;
    if (head_bytes_ + pending > limits_.max_header_bytes) {
      Fail(HeaderLimitFailure(data), ec);
      return n;
    }
  }
  if (!ec && !header_was_done && this->is_header_done()) ComputeFraming();
  if (ec == beast_http::error::need_more) {
    ec = {};
    return n;
  }
  if (ec && failure_ == ParseFailure::kNone) {
    if (ec == beast_http::error::header_limit) {
      failure_ = HeaderLimitFailure(data);
    } else {
      failure_ = ParseFailure::kMalformed;
    }
  }
  return n;
}

template <bool kIsRequest>
ParseFailure MessageParser<kIsRequest>::HeaderLimitFailure(std::string_view data) const {
  if (!kIsRequest || start_line_seen_) return ParseFailure::kHeaderTooLarge;
  // Beast parses nothing until the whole head is buffered, so the request line may be
  // complete and short although it was never reported: 414 only for a request line that
  // is itself too long (or has no end within the head limit), 431 otherwise.
  const size_t line_end = data.find('\n');
  if (line_end == std::string_view::npos || line_end + 1 > limits_.max_request_line) {
    return ParseFailure::kUriTooLong;
  }
  return ParseFailure::kHeaderTooLarge;
}

template <bool kIsRequest>
void MessageParser<kIsRequest>::ComputeFraming() {
  if (this->is_done()) {
    framing_ = BodyFraming::kNone;  // includes HEAD, 1xx, 204 and 304 responses
  } else if (this->chunked()) {
    framing_ = BodyFraming::kChunked;
  } else if (const auto length = boost::beast::http::basic_parser<kIsRequest>::content_length()) {
    framing_ = BodyFraming::kContentLength;
    content_length_ = *length;
  } else {
    framing_ = BodyFraming::kUntilClose;  // only responses get here
  }
}

template <bool kIsRequest>
void MessageParser<kIsRequest>::Fail(ParseFailure failure, error_code& ec) {
  failure_ = failure;
  ec = beast_http::error::bad_value;
}

template <bool kIsRequest>
void MessageParser<kIsRequest>::on_request_impl(beast_http::verb /*verb*/, string_view method,
                                                string_view target, int version, error_code& ec) {
  if (method.size() + target.size() + 10 > limits_.max_request_line) {
    Fail(ParseFailure::kUriTooLong, ec);
    return;
  }
  start_line_seen_ = true;
  method_.assign(method.data(), method.size());
  target_.assign(target.data(), target.size());
  version_ = version;
}

template <bool kIsRequest>
void MessageParser<kIsRequest>::on_response_impl(int status, string_view /*reason*/, int version,
                                                 error_code& /*ec*/) {
  status_ = status;
  version_ = version;
}

template <bool kIsRequest>
void MessageParser<kIsRequest>::on_field_impl(beast_http::field field, string_view name,
                                              string_view value, error_code& ec) {
  if (fields_seen_++ >= limits_.max_headers) {
    Fail(ParseFailure::kTooManyHeaders, ec);
    return;
  }
  if (header_done_) {  // a trailer field of a chunked body: for phases, never framing
    if (trailers_ != nullptr) {
      trailers_->Add(std::string_view(name.data(), name.size()),
                     std::string_view(value.data(), value.size()));
    }
    return;
  }
  if constexpr (kIsRequest) {
    // No standard field has '_' in its name, so such a field is never framing or Host here.
    if (name.find('_') != string_view::npos) {
      switch (limits_.headers_with_underscores) {
        case HeadersWithUnderscores::kAllow:
          break;
        case HeadersWithUnderscores::kDrop:
          return;
        case HeadersWithUnderscores::kReject:
          Fail(ParseFailure::kMalformed, ec);
          return;
      }
    }
  }
  switch (field) {
    case beast_http::field::content_length:
      // Beast already refuses differing values; a proxy refuses any repetition, and
      // Beast accepts a list such as "3, 3".
      if (++content_length_fields_ > 1 || value.find(',') != string_view::npos) {
        Fail(ParseFailure::kMalformed, ec);
        return;
      }
      break;
    case beast_http::field::transfer_encoding:
      // The only coding a proxy can frame safely is a lone "chunked". In an HTTP/1.0
      // request it is faulty framing (RFC 9112 section 6.1): a 1.0 recipient behind us
      // would read the chunked body as the next request.
      if ((kIsRequest && version_ < 11) || ++transfer_encoding_fields_ > 1 ||
          !EqualsIgnoreCase(Trim(std::string_view(value.data(), value.size())), "chunked")) {
        Fail(ParseFailure::kMalformed, ec);
        return;
      }
      break;
    case beast_http::field::host:
      ++host_fields_;
      // RFC 9112 section 3.2: a Host that is not uri-host [":" port] is a 400.
      if (kIsRequest && !IsValidHostHeader(std::string_view(value.data(), value.size()))) {
        Fail(ParseFailure::kMalformed, ec);
        return;
      }
      break;
    default:
      break;
  }
  headers_.Add(std::string_view(name.data(), name.size()),
               std::string_view(value.data(), value.size()));
}

template <bool kIsRequest>
void MessageParser<kIsRequest>::on_header_impl(error_code& ec) {
  header_done_ = true;
  if constexpr (kIsRequest) {
    if (host_fields_ > 1 || (version_ >= 11 && host_fields_ == 0)) {
      Fail(ParseFailure::kMalformed, ec);
      return;
    }
  }
}

template <bool kIsRequest>
void MessageParser<kIsRequest>::on_body_init_impl(const boost::optional<std::uint64_t>&,
                                                  error_code&) {}

template <bool kIsRequest>
size_t MessageParser<kIsRequest>::on_body_impl(string_view body, error_code&) {
  body_piece_ = std::string_view(body.data(), body.size());
  return body.size();
}

template <bool kIsRequest>
void MessageParser<kIsRequest>::on_chunk_header_impl(std::uint64_t, string_view, error_code&) {
  chunk_header_seen_ = true;
}

template <bool kIsRequest>
size_t MessageParser<kIsRequest>::on_chunk_body_impl(std::uint64_t, string_view body, error_code&) {
  body_piece_ = std::string_view(body.data(), body.size());
  return body.size();
}

template <bool kIsRequest>
void MessageParser<kIsRequest>::on_finish_impl(error_code&) {}

template class MessageParser<true>;
template class MessageParser<false>;

}  // namespace switchyard::http
