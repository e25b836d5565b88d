#include "dataplane/http/h2_request.h"

#include "absl/strings/numbers.h"
#include "common/ascii.h"
#include "dataplane/http/authority.h"
#include "dataplane/http/websocket.h"

namespace switchyard::http {

H2RequestBuilder::FieldResult H2RequestBuilder::Add(std::string_view name, std::string_view value,
                                                    bool trailer, H2RequestFields& out) {
  bytes_ += name.size() + value.size() + 32;  // RFC 9113's accounting
  if (bytes_ > limits_.max_header_bytes || ++count_ > limits_.max_headers) {
    return FieldResult::kTooLarge;
  }
  if (trailer) {
    out.trailers.Add(name, value);
    return FieldResult::kOk;
  }
  // The same policy as HTTP/1.1 (ParserLimits::headers_with_underscores): no standard
  // field has '_' in its name, and some backends read '_' as '-'.
  if (name.find('_') != std::string_view::npos) {
    switch (limits_.headers_with_underscores) {
      case HeadersWithUnderscores::kAllow:
        break;
      case HeadersWithUnderscores::kDrop:
        return FieldResult::kOk;
      case HeadersWithUnderscores::kReject:
        return FieldResult::kRefused;
    }
  }
  if (name == ":method") {
    out.method = value;
  } else if (name == ":path") {
    out.target = value;
  } else if (name == ":authority") {
    out.authority = value;
  } else if (name == ":protocol") {
    out.protocol = value;
  } else if (name == ":scheme") {
    // Not forwarded: the upstream request is HTTP/1.1 over its own transport.
  } else if (name == "cookie") {
    // HTTP/2 splits cookies into fields; HTTP/1.1 wants one (RFC 9113 8.2.3). An empty
    // crumb adds nothing but a dangling "; " that an HTTP/1.1 parser trims (found by
    // tools/fuzz/http2_request_fuzzer).
    if (value.empty()) return FieldResult::kOk;
    if (std::string* cookies = out.headers.GetMutable("cookie")) {
      cookies->append("; ").append(value);
    } else {
      out.headers.Add(name, value);
    }
  } else {
    out.headers.Add(name, value);
  }
  return FieldResult::kOk;
}

bool H2RequestBuilder::Finish(bool end_stream, H2RequestFields& out, BodyInfo& body) {
  if (out.authority.empty()) {
    if (const std::string* host = out.headers.Get("host")) out.authority = *host;
  }
  // The rules Host has on HTTP/1.1 (RFC 3986 3.2: no userinfo, a valid port), since it
  // becomes the Host upstream and decides the virtual host.
  if (out.authority.empty() || !IsValidHostHeader(out.authority)) return false;
  out.headers.Set("host", out.authority);  // :authority wins (RFC 9113 8.3.1)
  if (out.method == "CONNECT") {
    out.tunnel_only = true;
    body = BodyInfo{};
    if (EqualsIgnoreCase(out.protocol, "websocket")) {
      out.websocket_upgrade = true;
      out.method = "GET";
      // RFC 8441 5: an HTTP/2 client sends no key (the stream already proves it speaks
      // WebSocket); the upstream's HTTP/1.1 handshake needs one. Any sent is replaced.
      out.headers.Set("sec-websocket-key", NewWebSocketKey());
    }
    return true;
  }
  body = end_stream ? BodyInfo{} : BodyInfo{.has_body = true};
  if (const std::string* length = out.headers.Get("content-length"); length && !end_stream) {
    uint64_t value = 0;
    if (absl::SimpleAtoi(*length, &value)) {
      body = {.has_body = value > 0, .length_known = true, .length = value};
    }
  }
  return true;
}

}  // namespace switchyard::http
