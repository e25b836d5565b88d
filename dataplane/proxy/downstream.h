// The client side of one request, as a codec presents it to the protocol-neutral Stream:
// the request body to read, and the response (or the gateway's local reply) to send.
// HTTP/1.1 implements it once per connection (one request at a time); HTTP/2 implements
// it once per stream, many on one connection.
//
// Operations complete with an error code, never throw; CancelIo() makes the pending ones
// complete with operation_aborted.
#ifndef SWITCHYARD_DATAPLANE_PROXY_DOWNSTREAM_H_
#define SWITCHYARD_DATAPLANE_PROXY_DOWNSTREAM_H_

#include <string_view>

#include "boost/asio/error.hpp"
#include "boost/system/error_code.hpp"
#include "dataplane/http/body_info.h"
#include "dataplane/http/header_map.h"
#include "dataplane/http/local_reply.h"
#include "dataplane/io/io_types.h"

namespace switchyard::proxy {

class Downstream {
 public:
  using error_code = boost::system::error_code;

  // The request's body as its head announced it.
  virtual const http::BodyInfo& request_body() const = 0;
  // Reads the next piece of the request body. `piece` is valid until the next call;
  // `end` is set with the last piece (which may be empty). An error means the client
  // failed, the read was cancelled, or the body was malformed (body_malformed()).
  virtual io::Awaitable<error_code> ReadBody(std::string_view& piece, bool& end) = 0;
  virtual bool body_malformed() const = 0;
  // Trailer fields that followed the request body (HTTP/1.1 chunked trailers, HTTP/2
  // trailers), complete once ReadBody returned `end`; empty when there were none. The
  // stream runs OnRequestTrailers on them, then forwards what may be forwarded.
  virtual http::HeaderMap& request_trailers() = 0;

  // Sends an informational (1xx) head now. A codec whose client cannot take one (an
  // HTTP/1.0 client) drops it.
  virtual io::Awaitable<error_code> SendInterimHead(int status, http::HeaderMap& headers) = 0;
  // Sets the final response head. Nothing is written yet: the head goes out with the
  // first SendBody, so a small response is one write. The codec removes what concerns
  // only one hop and frames `body` its own way.
  virtual void StartResponse(int status, http::HeaderMap& headers, const http::BodyInfo& body) = 0;
  // Trailer fields to send with the end of the response body (the SendBody or
  // SendBodyNow with `end`); `trailers` must stay alive until then. HTTP/2 sends them as a
  // HEADERS frame that ends the stream, HTTP/1.1 in the last chunk of a chunked body. A
  // response that cannot carry them (a known length, an HTTP/1.0 client) drops them.
  virtual void SetResponseTrailers(const http::HeaderMap& trailers) { (void)trailers; }
  // Sends a piece of the response body; `end` with the last one (which may be empty).
  virtual io::Awaitable<error_code> SendBody(std::string_view piece, bool end) = 0;
  // SendBody without waiting, for a transport that can take the piece at once (a small
  // response and a socket with room): true when it is done (sent, or failed with `ec`);
  // false when the caller must call SendBody with the same arguments, which sends what
  // this did not. Saves a coroutine frame and an asynchronous write on most responses.
  virtual bool SendBodyNow(std::string_view piece, bool end, error_code& ec) {
    (void)piece, (void)end, (void)ec;
    return false;
  }
  // Sends the gateway's own answer instead of a response, as JSON or, to a gRPC client,
  // as a gRPC status (http/local_reply.h). `close`: the stream cannot leave the
  // connection in a known state (the codec may close for its own reasons too).
  virtual io::Awaitable<error_code> SendLocalReply(const http::LocalReply& reply,
                                                   std::string_view request_id,
                                                   http::LocalReplyFormat format, bool close) = 0;

  // A tunnel (WebSocket; docs/websocket.md), for a codec that set
  // RequestContext::websocket_upgrade. AcceptUpgrade sends the head that switches the
  // connection over: HTTP/1.1 "101 Switching Protocols" with `headers`, Upgrade:
  // websocket and Connection: upgrade. ReadTunnel returns the client's next bytes (any
  // that followed the request head first; valid until the next call; eof when the client
  // closed its side), WriteTunnel sends bytes, ShutdownTunnelWrite ends our side. A codec
  // without tunnels answers operation_not_supported.
  virtual io::Awaitable<error_code> AcceptUpgrade(http::HeaderMap& headers) {
    (void)headers;
    co_return boost::asio::error::operation_not_supported;
  }
  virtual io::Awaitable<error_code> ReadTunnel(std::string_view& piece) {
    piece = {};
    co_return boost::asio::error::operation_not_supported;
  }
  virtual io::Awaitable<error_code> WriteTunnel(std::string_view piece) {
    (void)piece;
    co_return boost::asio::error::operation_not_supported;
  }
  virtual void ShutdownTunnelWrite() {}

  // Makes pending client-side operations complete now (a deadline passed, or the request
  // is being abandoned).
  virtual void CancelIo() = 0;
  // Whether the client has reset the connection; polled while nobody reads from it.
  virtual bool ClientReset() = 0;

 protected:
  ~Downstream() = default;
};

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_DOWNSTREAM_H_
