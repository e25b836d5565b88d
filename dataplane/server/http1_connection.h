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

#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "boost/beast/core/flat_buffer.hpp"
#include "boost/intrusive/list_hook.hpp"
#include "dataplane/http/message_parser.h"
#include "dataplane/io/io_types.h"
#include "dataplane/proxy/downstream.h"
#include "dataplane/proxy/stream.h"
#include "dataplane/time/clock.h"

namespace switchyard::server {

class Worker;
struct Http1Exchange;

// The hook links the connection into its worker's list for the sweeper: two pointers in
// the object instead of a list node allocated per connection.
class Http1Connection final : public std::enable_shared_from_this<Http1Connection>,
                              public proxy::Downstream,
                              public boost::intrusive::list_base_hook<
                                  boost::intrusive::link_mode<boost::intrusive::normal_link>> {
 public:
  Http1Connection(Worker& worker, io::Socket socket);
  ~Http1Connection();
  Http1Connection(const Http1Connection&) = delete;
  Http1Connection& operator=(const Http1Connection&) = delete;

  // Starts serving; the connection keeps itself alive until it closes.
  void Start();
  // Closes the connection now (worker shutdown).
  void Close();
  // Called by the worker's sweeper every sweep interval.
  void Sweep(time::MonotonicTime now);

  // proxy::Downstream
  const http::BodyInfo& request_body() const override;
  io::Awaitable<error_code> ReadBody(std::string_view& piece, bool& end) override;
  bool body_malformed() const override;
  io::Awaitable<error_code> SendInterimHead(int status, http::HeaderMap& headers) override;
  void StartResponse(int status, http::HeaderMap& headers, const http::BodyInfo& body) override;
  io::Awaitable<error_code> SendBody(std::string_view piece, bool end) override;
  io::Awaitable<error_code> SendLocalReply(const http::LocalReply& reply,
                                           std::string_view request_id, bool close) override;
  void CancelIo() override;
  bool ClientReset() override;

 private:
  // What the connection itself waits for, outside a stream.
  enum class Wait {
    kNothing,
    kNextRequest,     // idle keep-alive connection: close quietly
    kRequestHeaders,  // 408
    kWriteReply,      // a reply the connection sends itself: close
  };

  // The connection's one long-lived coroutine. It holds `self` (the connection keeps
  // itself alive) and, while idle, suspends directly in a readability wait, so an idle
  // connection's suspended state is this one small frame.
  io::Awaitable<void> Run(std::shared_ptr<Http1Connection> self);
  // Decodes the next request head (bytes are buffered or readable). Returns false when the
  // connection should close (after answering a bad or late request where HTTP allows it).
  io::Awaitable<bool> ReadRequestHead();
  void PrepareStream();
  // Gives the exchange back to the worker, and the read buffer when it holds nothing.
  void ReleaseExchange();

  void Expect(Wait wait, time::Duration within);

  Worker& worker_;
  io::Socket socket_;
  std::string client_ip_;
  // Borrowed from the worker while bytes are buffered; null while idle.
  std::unique_ptr<boost::beast::flat_buffer> in_;
  Http1Exchange* exchange_ = nullptr;

  Wait wait_ = Wait::kNothing;
  time::MonotonicTime deadline_ = time::MonotonicTime::max();
  Wait timed_out_ = Wait::kNothing;
  bool closed_ = false;
};

}  // namespace switchyard::server

#endif  // SWITCHYARD_DATAPLANE_SERVER_HTTP1_CONNECTION_H_
