// TLS on a client connection's socket, for the request path: OpenSSL reads and writes the
// non-blocking descriptor itself, and the coroutine waits for readiness only when OpenSSL
// says it would block (SSL_ERROR_WANT_READ / WANT_WRITE), as nginx does.
//
// Why not asio::ssl::stream: its engine keeps two 17 KiB buffers per connection for its
// memory BIOs, for the connection's whole life. Here the SSL object reads the socket
// directly, and its contexts set SSL_MODE_RELEASE_BUFFERS (dataplane/tls), so an idle TLS
// connection holds no record buffer at all (docs/tls.md has the measured bytes).
//
// Reads and writes may be in flight at the same time (HTTP/2 has a reader and a writer):
// each OpenSSL call completes before the coroutine suspends, so no call is ever half
// done across a suspension, and a write that would block is retried with the same bytes
// (ENABLE_PARTIAL_WRITE and ACCEPT_MOVING_WRITE_BUFFER are set on the context).
//
// OpenSSL writes with write(2), not send(MSG_NOSIGNAL): the process must ignore SIGPIPE
// (switchyard-proxy does, common/stop_signals.h).
//
// One worker thread; not thread-safe.
#ifndef SWITCHYARD_DATAPLANE_IO_TLS_LAYER_H_
#define SWITCHYARD_DATAPLANE_IO_TLS_LAYER_H_

#include <openssl/ssl.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "boost/asio/buffer.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/system/error_code.hpp"
#include "dataplane/io/io_types.h"

namespace switchyard::io {

class TlsLayer {
 public:
  // Takes ownership of `ssl` (not yet bound to a descriptor): the server side of a client
  // connection when its context has a server method, else the client side of an upstream
  // connection. `socket` must outlive this object and stay open until Close.
  TlsLayer(SSL* ssl, Socket& socket);
  ~TlsLayer();
  TlsLayer(const TlsLayer&) = delete;
  TlsLayer& operator=(const TlsLayer&) = delete;

  // The handshake, either side. On failure the error is connection_aborted (or
  // operation_aborted when the socket was cancelled: a deadline) and error_detail() says
  // what OpenSSL reported.
  Awaitable<boost::system::error_code> Handshake();

  // Reads once into `buffer` (never past its max_size: no_buffer_space when full), like
  // SWITCHYARD_READ_SOME. eof when the client closed the TLS session or the connection.
  Awaitable<boost::system::error_code> ReadSome(boost::beast::flat_buffer& buffer);
  // For a pooled connection about to be reused: reads without waiting and says whether it
  // found nothing (handshake messages such as session tickets are consumed). False when
  // the peer closed, failed, or sent application data.
  bool IdleLooksUsable();
  // Waits until a read would find something (decrypted bytes already held, or bytes on
  // the socket), without a buffer: how an idle connection waits.
  Awaitable<boost::system::error_code> WaitReadable();

  // Encrypts and sends all of `buffers`.
  Awaitable<boost::system::error_code> Write(std::span<const boost::asio::const_buffer> buffers);
  Awaitable<boost::system::error_code> Write(boost::asio::const_buffer buffer);
  // Encrypts and sends what the socket takes now, without waiting; returns the bytes of
  // `buffers` taken. A short count is not an error; the rest must be offered again
  // (by Write or WriteNow) before anything else is written.
  size_t WriteNow(std::span<const boost::asio::const_buffer> buffers,
                  boost::system::error_code& ec);

  // Sends close_notify if the socket takes it now; never waits. Call before closing.
  void Close();

  // The protocol ALPN chose ("h2", "http/1.1"), or empty.
  std::string_view alpn() const;
  SSL* ssl() const { return ssl_.get(); }
  // What OpenSSL said about the last failure, for logs.
  const std::string& error_detail() const { return error_detail_; }
  // Whether the last failure was a handshake refusing the client's certificate: none
  // sent where one is required, or one that did not verify (mTLS).
  bool client_certificate_refused() const { return client_certificate_refused_; }

 private:
  struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };
  enum class Step { kDone, kWantRead, kWantWrite, kEof, kFailed };
  // Classifies the result `ret` of an SSL call.
  Step Classify(int ret);
  // After a read: appends the records OpenSSL has already read ahead, while `buffer` has
  // room.
  void TakeBufferedRecords(boost::beast::flat_buffer& buffer);
  // Waits until the socket is ready for what `step` wants.
  Awaitable<boost::system::error_code> WaitFor(Step step);
  // One SSL_write of the front of `buffers` (small pieces are gathered into one record);
  // the bytes taken, or 0 with `step` saying why.
  size_t WriteOnce(std::span<const boost::asio::const_buffer> buffers, Step& step);

  std::unique_ptr<SSL, SslFree> ssl_;
  Socket& socket_;
  std::string error_detail_;
  bool client_certificate_refused_ = false;
};

}  // namespace switchyard::io

// Reads once from a client connection, through TLS when `tls` (a TlsLayer*) is set, else
// straight from `socket` (SWITCHYARD_READ_SOME, read_some.h). Use inside a coroutine.
#define SWITCHYARD_CONNECTION_READ_SOME(tls, socket, buffer, ec) \
  do {                                                           \
    if ((tls) != nullptr) {                                      \
      (ec) = co_await (tls)->ReadSome(buffer);                   \
    } else {                                                     \
      SWITCHYARD_READ_SOME(socket, buffer, ec);                  \
    }                                                            \
  } while (false)

// Writes all of `buffers` (a const_buffer or a span of them) to a client connection,
// through TLS when `tls` is set. Use inside a coroutine.
#define SWITCHYARD_CONNECTION_WRITE(tls, socket, buffers, ec)                                \
  do {                                                                                       \
    if ((tls) != nullptr) {                                                                  \
      (ec) = co_await (tls)->Write(buffers);                                                 \
    } else {                                                                                 \
      co_await ::boost::asio::async_write(socket, buffers, ::switchyard::io::AwaitInto(ec)); \
    }                                                                                        \
  } while (false)

#endif  // SWITCHYARD_DATAPLANE_IO_TLS_LAYER_H_
