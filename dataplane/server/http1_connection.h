// One client connection speaking HTTP/1.1, from accept to close, on one worker thread:
// the HTTP/1 codec. It turns bytes into requests for proxy::Stream and the stream's
// response back into bytes (it is the stream's Downstream), and owns what belongs to the
// connection: the keep-alive loop, the idle and request-header deadlines, and framing.
//
// Requests are served one at a time in arrival order: pipelined requests wait in the read
// buffer until the response before them is complete, so responses can never be
// reordered and a pipelining client gets backpressure for free.
//
// Memory: an idle connection holds no read buffer and no stream. It waits for the socket
// to become readable, then borrows a buffer and a stream (with its parser and strings)
// from the worker, and gives both back once the request is done and nothing more is
// buffered.
#ifndef SWITCHYARD_DATAPLANE_SERVER_HTTP1_CONNECTION_H_
#define SWITCHYARD_DATAPLANE_SERVER_HTTP1_CONNECTION_H_

#include <array>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "boost/beast/core/flat_buffer.hpp"
#include "boost/intrusive/list_hook.hpp"
#include "dataplane/http/message_parser.h"
#include "dataplane/io/io_types.h"
#include "dataplane/io/tls_layer.h"
#include "dataplane/proxy/downstream.h"
#include "dataplane/proxy/stream.h"
#include "dataplane/server/http2_session.h"
#include "dataplane/time/clock.h"

namespace switchyard::server {

class Worker;
struct Http1Exchange;

// The hook links the connection into its worker's list for the sweeper: two pointers in
// the object instead of a list node allocated per connection.
class Http1Connection final : public proxy::Downstream,
                              public boost::intrusive::list_base_hook<
                                  boost::intrusive::link_mode<boost::intrusive::normal_link>> {
 public:
  // `tls`: a server-side SSL (owned from now on) when the connection came in on
  // --listen_tls; the handshake runs first, and ALPN "h2" goes straight to HTTP/2.
  Http1Connection(Worker& worker, io::Socket socket, SSL* tls = nullptr);
  ~Http1Connection();
  Http1Connection(const Http1Connection&) = delete;
  Http1Connection& operator=(const Http1Connection&) = delete;

  // Starts serving `connection`, which its coroutine owns from now on: it is destroyed
  // when the connection closes. (A unique owner, not shared_from_this: a control block
  // and a weak pointer per idle connection are memory the 1.5 KiB cannot spare.)
  static void Start(std::unique_ptr<Http1Connection> connection);
  // Closes the connection now (worker shutdown).
  void Close();
  // Closes the connection if it waits for a next request and none has begun to arrive
  // (draining); otherwise the request is served, with "Connection: close".
  void CloseIfIdle();
  // The client's address: the peer's, or the one a PROXY protocol header named.
  const std::string& client_ip() const { return client_ip_; }
  // Called by the worker's sweeper every sweep interval.
  void Sweep(time::MonotonicTime now);

  // proxy::Downstream
  const http::BodyInfo& request_body() const override;
  io::Awaitable<error_code> ReadBody(std::string_view& piece, bool& end) override;
  bool body_malformed() const override;
  http::HeaderMap& request_trailers() override;
  io::Awaitable<error_code> SendInterimHead(int status, http::HeaderMap& headers) override;
  void StartResponse(int status, http::HeaderMap& headers, const http::BodyInfo& body) override;
  void SetResponseTrailers(const http::HeaderMap& trailers) override;
  io::Awaitable<error_code> SendBody(std::string_view piece, bool end) override;
  bool SendBodyNow(std::string_view piece, bool end, error_code& ec) override;
  io::Awaitable<error_code> SendLocalReply(const http::LocalReply& reply,
                                           std::string_view request_id,
                                           http::LocalReplyFormat format, bool close) override;
  io::Awaitable<error_code> AcceptUpgrade(http::HeaderMap& headers) override;
  io::Awaitable<error_code> ReadTunnel(std::string_view& piece) override;
  io::Awaitable<error_code> WriteTunnel(std::string_view piece) override;
  void ShutdownTunnelWrite() override;
  void CancelIo() override;
  bool ClientReset() override;

 private:
  // What the connection itself waits for, outside a stream.
  enum class Wait : uint8_t {
    kNothing,
    kHandshake,       // the TLS handshake: close quietly
    kNextRequest,     // idle keep-alive connection: close quietly
    kRequestHeaders,  // 408
    kWriteReply,      // a reply the connection sends itself: close
  };

  // The connection's one long-lived coroutine; it owns the connection (`self`).
  //
  // Between requests it waits in one of two ways. A connection in steady keep-alive use
  // (it has served more than one request) keeps its read buffer and reads straight into
  // it: one system call per request, as when every connection held a buffer. Once it has
  // been idle for a sweep interval or two, the sweeper takes the buffer back
  // (kReclaimBuffer), and it waits like a new or rarely used connection: a one-byte
  // MSG_PEEK receive, so its suspended state is this one small frame and a receive
  // operation. A peek rather than async_wait: Asio 1.74's epoll reactor re-registers the
  // descriptor (epoll_ctl) for every wait, a system call per request that a receive on an
  // already registered socket does not make.
  io::Awaitable<void> Run(std::unique_ptr<Http1Connection> self);

  // kHttp2: the client's first bytes are the HTTP/2 preface (h2c with prior knowledge).
  enum class HeadProgress : uint8_t { kComplete, kNeedMore, kFailed, kHttp2 };
  // Takes a buffer and an exchange for the next request and parses the buffered bytes.
  HeadProgress BeginRequestHead();
  // Parses the buffered bytes into the request head.
  HeadProgress FeedRequestHead();
  // Reads until the head is complete (kComplete), or the HTTP/2 preface is (kHttp2), or
  // answers a bad or late head where HTTP allows it (kFailed: close the connection).
  io::Awaitable<HeadProgress> ReadRequestHead(HeadProgress progress);
  // Serves the rest of the connection as HTTP/2.
  io::Awaitable<void> RunHttp2();
  // Reads the PROXY protocol header that --proxy_protocol says comes first and takes the
  // client address from it; false when the connection must close (no header where one
  // is required, or a malformed one).
  io::Awaitable<bool> ReadProxyHeader();
  // Before a TLS handshake, the PROXY header's bytes must be taken from the socket and no
  // more, since OpenSSL reads the ClientHello from the socket itself: peeks at what has
  // arrived into in_ and takes from the socket only what belongs to the header.
  io::Awaitable<error_code> PeekProxyHeaderBeforeTls();
  // The TLS handshake, within the request headers' time; false when the connection must
  // close.
  io::Awaitable<bool> Handshake();
  void PrepareStream();
  // Gives the exchange back to the worker, and the read buffer when it holds nothing and
  // `keep_buffer` is false.
  void ReleaseExchange(bool keep_buffer);

  void Expect(Wait wait, time::Duration within);
  // The buffers SendBody writes for `piece`: the pending head, chunk framing, the piece.
  size_t BodyBuffers(std::string_view piece, bool end,
                     std::array<boost::asio::const_buffer, 5>& buffers);

  Worker& worker_;
  io::Socket socket_;
  // Set on a connection from --listen_tls: every read and write goes through it.
  std::unique_ptr<io::TlsLayer> tls_;
  std::string client_ip_;
  // Borrowed from the worker while bytes are buffered; null while idle.
  std::unique_ptr<boost::beast::flat_buffer> in_;
  // Set once the client's first bytes turned out to be the HTTP/2 preface.
  std::unique_ptr<Http2Session> http2_;
  Http1Exchange* exchange_ = nullptr;

  Wait wait_ = Wait::kNothing;
  time::MonotonicTime deadline_ = time::MonotonicTime::max();
  Wait timed_out_ = Wait::kNothing;
  bool closed_ = false;
  // Requests served, saturating: from the second on the buffer is kept between requests.
  uint8_t requests_served_ = 0;
  // Whether the first bytes have been told apart from the HTTP/2 preface.
  bool protocol_known_ = false;
  // A read into the kept buffer is waiting for the next request; the sweeps it has seen.
  bool reading_idle_ = false;
  uint8_t idle_sweeps_ = 0;
  // The sweeper cancelled that read to take the buffer back.
  bool reclaim_buffer_ = false;
};

}  // namespace switchyard::server

#endif  // SWITCHYARD_DATAPLANE_SERVER_HTTP1_CONNECTION_H_
