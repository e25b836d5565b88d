// One request's exchange with an upstream endpoint (Envoy's router "upstream request"):
// choose the endpoint (again for each retry), take a pooled connection or open one (with a
// TLS handshake when the cluster has `tls:`), send the head and body, read the response,
// then give the connection back and report the outcome to the endpoint's state.
//
// Over HTTP/1.1 the request has its connection to itself; over HTTP/2 (a cluster's
// `protocol`, docs/upstream-http2.md) it is one stream of a connection that the worker's
// requests share (h2_connection.h). The interface is the same either way.
//
// The caller (the stream) owns the timing: it arms deadlines and calls Cancel() when one
// passes, and it decides what a failure means for the client. Operations return error
// codes, never throw. One object per stream, reused from request to request for its
// buffers; used on one worker thread.
#ifndef SWITCHYARD_DATAPLANE_UPSTREAM_UPSTREAM_REQUEST_H_
#define SWITCHYARD_DATAPLANE_UPSTREAM_UPSTREAM_REQUEST_H_

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "boost/asio/write.hpp"
#include "dataplane/http/body_info.h"
#include "dataplane/http/header_map.h"
#include "dataplane/http/message_parser.h"
#include "dataplane/io/io_types.h"
#include "dataplane/io/read_some.h"
#include "dataplane/io/tls_layer.h"
#include "dataplane/runtime/runtime_config.h"
#include "dataplane/time/clock.h"
#include "dataplane/upstream/connection_pool.h"
#include "dataplane/upstream/endpoint_store.h"
#include "dataplane/upstream/h2_connection.h"

namespace switchyard::upstream {

struct UpstreamServices {
  ConnectionPool& pool;
  EndpointStore& endpoints;
  const time::Clock& clock;
};

// The final response head, as decoded.
struct ResponseHeadInfo {
  int status = 0;
  int version = 11;
  http::BodyInfo body;
  // The upstream will close the connection after this response.
  bool closes = false;
};

class UpstreamRequest {
 public:
  UpstreamRequest(const io::Executor& executor, UpstreamServices services,
                  const http::ParserLimits& limits);
  ~UpstreamRequest();
  UpstreamRequest(const UpstreamRequest&) = delete;
  UpstreamRequest& operator=(const UpstreamRequest&) = delete;

  // Picks an endpoint of `cluster` in `config` and counts it in flight; ends the accounting
  // of an earlier pick (as a reset) if one is open. Also settles the protocol: HTTP/2 for a
  // cluster that speaks it, or for MATCH_CLIENT when `client_http2`.
  const runtime::Endpoint& ChooseEndpoint(const runtime::RuntimeConfig& config,
                                          const runtime::Cluster& cluster, bool client_http2);
  bool http2() const { return http2_; }

  // Takes an idle pooled connection to the chosen endpoint, if there is one. See
  // ConnectionPool::Acquire for `verify_open`.
  bool TakePooled(bool verify_open);
  // Opens a new connection to the chosen endpoint, and runs the TLS handshake when the
  // cluster has TLS settings. Unbounded: the caller's deadline calls Cancel(). A failed
  // handshake (a certificate that does not verify, no common protocol) is logged at most
  // every 10 s per cluster and leaves tls_failed() true.
  io::Awaitable<boost::system::error_code> Connect();
  // Whether the last Connect failed in the TLS handshake rather than in TCP's.
  bool tls_failed() const { return tls_failed_; }
  // Over HTTP/2: the endpoint never processed the request (its stream was refused, or a
  // GOAWAY left it out), so it may be sent again whatever its method.
  bool refused() const { return http2_ && h2_exchange_.refused; }
  bool connected() const { return connection_ != nullptr; }
  // Whether the connection came from the pool (a failure before any response byte may
  // then be retried on a new one).
  bool reused() const { return connection_ != nullptr && connection_->reused; }

  // Sends the request head with framing for `body`, in two steps so that the usual case
  // needs no asynchronous operation (io/send_now.h): SendHeadNow writes what the socket
  // takes at once and returns true when that was all of it (or `ec` says it failed);
  // otherwise SendRestOfHead writes the rest.
  bool SendHeadNow(std::string_view method, std::string_view target, const http::HeaderMap& headers,
                   const http::BodyInfo& body, boost::system::error_code& ec);
  io::Awaitable<boost::system::error_code> SendRestOfHead();
  // Sends a piece of the request body, framed as SendHeadNow announced; EndBody after the
  // last piece, with `trailers` in the last chunk of a chunked body (a body of known length
  // has no trailer section: they are dropped).
  io::Awaitable<boost::system::error_code> SendBody(std::string_view piece);
  io::Awaitable<boost::system::error_code> EndBody(const http::HeaderMap& trailers);

  // Reads a response head in steps that need no coroutine frame of their own:
  //
  //   upstream.BeginHead(headers, head_request);
  //   while (!upstream.ParseHead(head, ec)) {
  //     SWITCHYARD_UPSTREAM_RECEIVE(upstream, ec);
  //     if (ec) break;
  //   }
  //
  // BeginHead starts a head (again after each 1xx, which the caller relays) and records
  // its fields into `headers`. ParseHead parses what is buffered: true once the head is
  // complete (a 1xx or the final one) or `ec` says why it cannot be.
  // SWITCHYARD_UPSTREAM_RECEIVE (below) reads once into the connection's buffer, or over
  // HTTP/2 waits for the stream's news (WaitHttp2).
  void BeginHead(http::HeaderMap& headers, bool head_request);
  bool ParseHead(ResponseHeadInfo& head, boost::system::error_code& ec);
  // Not a coroutine itself: the connection's wait, without a frame of its own.
  io::Awaitable<boost::system::error_code> WaitHttp2() {
    return h2_connection_->WaitReadable(h2_exchange_);
  }
  // The connection's transport, for SWITCHYARD_UPSTREAM_RECEIVE only.
  io::TlsLayer* connection_tls() const { return connection_->tls.get(); }
  io::Socket& connection_socket() const { return connection_->socket; }
  boost::beast::flat_buffer& connection_buffer() const { return connection_->buffer; }
  // The response's trailer fields (HTTP/1.1 chunked trailers), complete once ReadBody
  // returned `end`.
  http::HeaderMap& response_trailers() { return response_trailers_; }

  // The next piece of the response body, in two steps so that a piece already buffered
  // costs no coroutine: NextBufferedBodyPiece takes it from what is buffered and returns
  // true when it produced a result (a piece, the end, or an error in `ec`); when it returns
  // false, ReadBody reads until it does. A piece is valid until the next call; `end` once
  // the body is complete (the last piece may come with it).
  bool NextBufferedBodyPiece(std::string_view& piece, bool& end, boost::system::error_code& ec);
  io::Awaitable<boost::system::error_code> ReadBody(std::string_view& piece, bool& end);

  // After a 101 to an upgrade (WebSocket; docs/websocket.md) the connection is a tunnel:
  // ReadTunnel returns the upstream's next bytes (what followed the 101 head first; a
  // piece is valid until the next call; eof when the upstream closed its side),
  // WriteTunnel sends bytes, ShutdownTunnelWrite ends our side (the upstream sees eof).
  // The connection is never pooled again.
  io::Awaitable<boost::system::error_code> ReadTunnel(std::string_view& piece);
  io::Awaitable<boost::system::error_code> WriteTunnel(std::string_view piece);
  void ShutdownTunnelWrite();

  // Cancels pending operations (a deadline passed); they complete with an error.
  void Cancel();
  // Closes the connection: the exchange can never complete.
  void Abandon();
  // Closes and forgets the connection but keeps the endpoint: for sending the request
  // once more on a new connection when a reused one turned out closed.
  void DropConnection();

  // Ends the exchange: reports `outcome`, and returns the connection to the pool when
  // `reusable` (and the upstream left it so), else closes it. Safe to call twice.
  void Finish(EndpointOutcome outcome, bool reusable, uint32_t max_idle);

 private:
  // Closes and forgets a connection that Connect could not complete.
  void DropNewConnection();
  // HTTP/2's side of SendHeadNow, ParseHead and NextBufferedBodyPiece.
  bool OpenHttp2Stream(std::string_view method, std::string_view target,
                       const http::HeaderMap& headers, const http::BodyInfo& body,
                       boost::system::error_code& ec);
  bool ParseHttp2Head(ResponseHeadInfo& head, boost::system::error_code& ec);
  bool NextBufferedHttp2Piece(std::string_view& piece, bool& end, boost::system::error_code& ec);

  io::Executor executor_;
  UpstreamServices services_;
  http::ParserLimits limits_;
  std::shared_ptr<UpstreamConnection> connection_;
  const runtime::Endpoint* endpoint_ = nullptr;
  const runtime::Cluster* cluster_ = nullptr;
  bool tls_failed_ = false;
  // From Connect's start until the connection is set up (or dropped): Cancel must then
  // reach the socket, also over HTTP/2, whose connection nobody shares yet.
  bool connecting_ = false;
  // The protocol of this exchange, and the pool key for it.
  bool http2_ = false;
  const std::string* pool_key_ = nullptr;
  // Over HTTP/2: connection_ as what it is, and this request's stream.
  std::shared_ptr<H2Connection> h2_connection_;
  H2Exchange h2_exchange_;
  http::HeaderMap* head_fields_ = nullptr;
  // The request's fields as nghttp2 takes them (pointing into the request's header map),
  // and its content-length value.
  std::vector<nghttp2_nv> h2_fields_;
  std::string content_length_;
  EndpointState* endpoint_state_ = nullptr;
  std::optional<http::ResponseParser> parser_;
  http::HeaderMap response_trailers_;
  bool chunked_ = false;
  bool until_close_ = false;
  bool closes_ = false;
  bool head_request_ = false;
  size_t body_consumed_ = 0;
  // The request head, and how much of it SendHeadNow wrote.
  std::string head_;
  size_t head_sent_ = 0;
  std::string chunk_header_;
};

}  // namespace switchyard::upstream

// Reads once from `upstream`'s connection (an UpstreamRequest) into its buffer, through TLS
// when the connection has it (`ec` is no_buffer_space when the buffer is full); over HTTP/2
// waits for the stream's news instead. A macro rather than a coroutine: it runs once per
// response head (io/read_some.h says why). Use inside a coroutine.
#define SWITCHYARD_UPSTREAM_RECEIVE(upstream, ec)                                                  \
  do {                                                                                             \
    if ((upstream).http2()) {                                                                      \
      (ec) = co_await (upstream).WaitHttp2();                                                      \
    } else {                                                                                       \
      SWITCHYARD_CONNECTION_READ_SOME((upstream).connection_tls(), (upstream).connection_socket(), \
                                      (upstream).connection_buffer(), ec);                         \
    }                                                                                              \
  } while (false)

#endif  // SWITCHYARD_DATAPLANE_UPSTREAM_UPSTREAM_REQUEST_H_
