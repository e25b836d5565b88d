// The gateway's own answers (404 no route, 503 upstream down, 400 bad request, ...).
// They carry a marker header and a small JSON body with the request id, so a client can
// tell the gateway's answer from a backend's.
#ifndef SWITCHYARD_DATAPLANE_HTTP_LOCAL_REPLY_H_
#define SWITCHYARD_DATAPLANE_HTTP_LOCAL_REPLY_H_

#include <string>
#include <string_view>

#include "dataplane/http/header_map.h"

namespace switchyard::http {

inline constexpr std::string_view kLocalReplyHeader = "x-switchyard-local-reply";

struct LocalReply {
  int status = 0;
  // A short machine-readable code, e.g. "route_not_found".
  std::string_view error;
  // A sentence for people.
  std::string message;
  // Headers the phase that stopped the request wants sent with the reply, such as
  // WWW-Authenticate on a 401 or Retry-After on a 429. Framing (Content-Length,
  // Transfer-Encoding, Connection), Content-Type, the marker header and X-Request-Id are
  // always the gateway's own: fields of those names here are ignored.
  HeaderMap headers;
};

// The reply's headers (content-type, the marker header, x-request-id, then
// reply.headers; no framing) and its body
// {"status":N,"error":"...","message":"...","request_id":"..."}, for codecs that frame
// them their own way (HTTP/2).
void BuildLocalReply(const LocalReply& reply, std::string_view request_id, HeaderMap& headers,
                     std::string& body);

// Appends the whole response: status line, headers (content-type, the marker header,
// x-request-id, then reply.headers, content-length, and "connection: close" when
// `close`), and the body
// {"status":N,"error":"...","message":"...","request_id":"..."}.
void AppendLocalReply(std::string& out, const LocalReply& reply, std::string_view request_id,
                      bool close);

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_LOCAL_REPLY_H_
