// The two values of a WebSocket opening handshake (RFC 6455 4.1, 4.2.2) that the gateway
// makes itself when it translates an HTTP/2 WebSocket (RFC 8441 extended CONNECT, which
// has neither) into the HTTP/1.1 upgrade its upstream expects: a fresh Sec-WebSocket-Key
// for the request, and the Sec-WebSocket-Accept the upstream's 101 must carry for it.
// docs/websocket.md, "Over HTTP/2".
#ifndef SWITCHYARD_DATAPLANE_HTTP_WEBSOCKET_H_
#define SWITCHYARD_DATAPLANE_HTTP_WEBSOCKET_H_

#include <string>
#include <string_view>

namespace switchyard::http {

// 16 random bytes, base64-encoded (24 characters), as RFC 6455 4.1 asks of a client.
std::string NewWebSocketKey();

// base64(SHA-1(key + the RFC's GUID)): what a server that understood `key` answers.
std::string WebSocketAccept(std::string_view key);

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_WEBSOCKET_H_
