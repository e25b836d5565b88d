// An HTTP/2 request's header fields turned into the request the gateway routes and then
// forwards as HTTP/1.1 (docs/http2.md, "From HTTP/2 to HTTP/1.1"). nghttp2 has already
// enforced RFC 9113 8.2 and 8.3 on what arrives here: lower-case names, no
// connection-specific fields, no CR, LF or NUL in values, pseudo-headers first and once,
// te only "trailers", content-length agreeing with the DATA. This adds the gateway's own
// rules: the head's size limits, the underscore policy, :authority as Host with HTTP/1.1's
// checks, cookies joined into one field, the body's framing from content-length, and
// CONNECT: a WebSocket's extended CONNECT (RFC 8441) becomes the HTTP/1.1 upgrade GET
// (docs/websocket.md, "Over HTTP/2").
//
// One builder per stream; used on the stream's worker thread.
#ifndef SWITCHYARD_DATAPLANE_HTTP_H2_REQUEST_H_
#define SWITCHYARD_DATAPLANE_HTTP_H2_REQUEST_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "dataplane/http/body_info.h"
#include "dataplane/http/header_map.h"
#include "dataplane/http/message_parser.h"

namespace switchyard::http {

// Where a request's parts go (the codec's request context, owned by the caller).
struct H2RequestFields {
  std::string& method;
  std::string& target;     // :path
  std::string& authority;  // :authority, else Host
  std::string& protocol;   // :protocol (RFC 8441); empty when absent
  HeaderMap& headers;
  HeaderMap& trailers;
  // Set by Finish for a CONNECT: the stream carries a tunnel and nothing else; and
  // whether that tunnel is a WebSocket (proxy::RequestContext has both).
  bool& tunnel_only;
  bool& websocket_upgrade;
};

class H2RequestBuilder {
 public:
  enum class FieldResult {
    kOk,
    kRefused,   // the underscore policy refuses the field: the stream is malformed
    kTooLarge,  // past max_header_bytes (RFC 9113's accounting) or max_headers
  };

  explicit H2RequestBuilder(const ParserLimits& limits) : limits_(limits) {}

  // One field of the request head (`trailer` false) or of its trailers (true).
  FieldResult Add(std::string_view name, std::string_view value, bool trailer,
                  H2RequestFields& out);

  // The head is complete (`end_stream`: it ended the stream, so there is no body). False
  // when the request cannot be served: no authority at all, or one that is not a valid
  // HTTP/1.1 Host. Otherwise Host is set from the authority and `body` says how the body
  // is framed: none, a known length (content-length), or unknown until END_STREAM. A
  // CONNECT has no body (what follows is the tunnel's); one whose :protocol is
  // "websocket" becomes a GET with a Sec-WebSocket-Key of the gateway's making, the
  // HTTP/1.1 handshake an upstream expects.
  static bool Finish(bool end_stream, H2RequestFields& out, BodyInfo& body);

 private:
  const ParserLimits& limits_;
  size_t bytes_ = 0;
  size_t count_ = 0;
};

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_H2_REQUEST_H_
