// The gateway's own answers (404 no route, 503 upstream down, 400 bad request, ...).
// They carry a marker header and a small JSON body with the request id, so a client can
// tell the gateway's answer from a backend's. A gRPC request gets the same answer as a
// gRPC status instead (docs/grpc.md): a trailers-only response, HTTP 200 with
// grpc-status and grpc-message, never a JSON page a gRPC client cannot read.
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
  // Transfer-Encoding, Connection), Content-Type, the marker header, X-Request-Id,
  // grpc-status and grpc-message are always the gateway's own: fields of those names here
  // are ignored.
  HeaderMap headers;
};

enum class LocalReplyFormat {
  kJson,  // status `reply.status`, the JSON body below
  kGrpc,  // status 200, grpc-status and grpc-message, no body (trailers-only; grpc.h)
};

// The reply's status, headers and body for codecs that frame them their own way
// (HTTP/2). kJson: status reply.status; content-type, the marker header, x-request-id,
// then reply.headers (no framing); body
// {"status":N,"error":"...","message":"...","request_id":"..."}; but a 204 (a CORS
// preflight's answer, docs/cors.md) has neither body nor content-type. kGrpc: status 200;
// content-type application/grpc, grpc-status, grpc-message (the message, percent-encoded
// as gRPC requires), the marker header, x-request-id, then reply.headers; empty body.
int BuildLocalReply(const LocalReply& reply, std::string_view request_id, LocalReplyFormat format,
                    HeaderMap& headers, std::string& body);

// Appends the whole response, HTTP/1.1: status line, the headers above, content-length
// (none on a 204), "connection: close" when `close`, and the body.
void AppendLocalReply(std::string& out, const LocalReply& reply, std::string_view request_id,
                      LocalReplyFormat format, bool close);

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_LOCAL_REPLY_H_
