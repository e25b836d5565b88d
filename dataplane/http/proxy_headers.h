// Header rules of a forwarding proxy (RFC 9110 section 7.6): what is removed because it
// only concerns one hop, and what the gateway adds for the next hop.
#ifndef SWITCHYARD_DATAPLANE_HTTP_PROXY_HEADERS_H_
#define SWITCHYARD_DATAPLANE_HTTP_PROXY_HEADERS_H_

#include <string_view>

#include "dataplane/http/header_map.h"

namespace switchyard::http {

// Removes Connection and every header it names, Keep-Alive, TE, Trailer,
// Transfer-Encoding, Upgrade, Proxy-* and Content-Length (framing is written anew by the
// serializer for the next hop). Connection cannot nominate the headers the proxy relies on
// (Host, X-Forwarded-*, Forwarded, X-Real-IP, X-Request-Id, Via; the list and the reasons
// are in proxy_headers.cc): those stay.
void RemoveHopByHopHeaders(HeaderMap& headers);

// Removes from trailer fields (HTTP/1.1 chunked trailers, HTTP/2 trailers) what a trailer
// section must not carry (RFC 9110 6.5.1) and what would change how a hop reads the
// message: framing (Content-Length, Transfer-Encoding, Trailer), routing (Host), the
// hop-by-hop fields, content handling (Content-Encoding, Content-Type, Content-Range) and
// any pseudo-header. What is left may be forwarded with the end of the body.
void RemoveForbiddenTrailers(HeaderMap& trailers);

// True if the client asked to close the connection after this request: "Connection:
// close" on HTTP/1.1, or HTTP/1.0 without "Connection: keep-alive". Call before
// RemoveHopByHopHeaders.
bool ClientWantsClose(const HeaderMap& headers, int version);

// Whether a request asks to become a WebSocket (RFC 6455 4.1): GET, HTTP/1.1, an Upgrade
// field naming "websocket" and a Connection field naming "upgrade" (tokens in any case).
// Call before RemoveHopByHopHeaders; a request with a body never qualifies (the caller
// checks). Other upgrade tokens (h2c above all) are never honoured: RemoveHopByHopHeaders
// drops Upgrade.
bool WantsWebSocketUpgrade(const HeaderMap& headers, std::string_view method, int version);

struct ForwardingInfo {
  std::string_view client_ip;
  std::string_view scheme;  // "http" or "https"
  std::string_view via;     // the proxy's name for Via; empty: no Via
};

// Applies hop-by-hop removal and the forwarding headers to a request about to go
// upstream: X-Forwarded-For gets the client address appended, X-Forwarded-Proto and
// X-Forwarded-Host (from Host, if any) are set, and Via is appended when configured.
void PrepareUpstreamRequestHeaders(HeaderMap& headers, const ForwardingInfo& info);

// Applies hop-by-hop removal and Via to a response about to go to the client.
void PrepareDownstreamResponseHeaders(HeaderMap& headers, std::string_view via);

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_PROXY_HEADERS_H_
