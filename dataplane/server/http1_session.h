// One client connection speaking HTTP/1.1, from accept to close, on one worker thread.
//
// Requests are served one at a time in arrival order: pipelined requests wait in the read
// buffer until the response before them is complete, so responses can never be reordered
// and a pipelining client gets backpressure for free. For each request the session
// decodes the head, runs the request pipeline (route, header changes, cluster, endpoint),
// takes a pooled upstream connection or opens one, then streams the request body up and
// the response down concurrently, one buffer at a time in each direction, so memory per
// connection is bounded whatever the body sizes.
//
// Deadlines: the session keeps one deadline and what it is waiting for; the worker's
// sweeper calls Sweep(), which on a passed deadline cancels the pending socket operations
// so the coroutine sees the timeout and answers (408, 503, 504) or closes. While the
// session waits on an upstream and reads nothing from its client, Sweep() also checks
// about once a second whether the client reset the connection, and if so abandons the
// upstream request instead of letting it run for nobody.
#ifndef SWITCHYARD_DATAPLANE_SERVER_HTTP1_SESSION_H_
#define SWITCHYARD_DATAPLANE_SERVER_HTTP1_SESSION_H_

#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "boost/beast/core/flat_buffer.hpp"
#include "dataplane/http/local_reply.h"
#include "dataplane/http/message_parser.h"
#include "dataplane/io/io_types.h"
#include "dataplane/proxy/request_context.h"
#include "dataplane/upstream/connection_pool.h"

namespace switchyard::server {

class Worker;

class Http1Session : public std::enable_shared_from_this<Http1Session> {
 public:
  Http1Session(Worker& worker, io::Socket socket);
  ~Http1Session();
  Http1Session(const Http1Session&) = delete;
  Http1Session& operator=(const Http1Session&) = delete;

  // Starts serving; the session keeps itself alive until the connection closes.
  void Start();
  // Closes both connections now (worker shutdown).
  void Close();

  // Called by the worker's sweeper every sweep interval.
  void Sweep(std::chrono::steady_clock::time_point now);

 private:
  using Clock = std::chrono::steady_clock;
  template <typename T>
  using awaitable = io::Awaitable<T>;

  // What the session is waiting for; decides what a passed deadline means.
  enum class Wait {
    kNothing,
    kNextRequest,     // idle keep-alive connection: close quietly
    kRequestHeaders,  // 408
    kConnect,         // 503
    kResponseHeader,  // the route's timeout: 504
    kStreamProgress,  // a body transfer stalled: close (408 if no response began)
  };

  // How a request exchange ended, for the keep-alive decision.
  enum class Outcome { kKeepAlive, kClose };

  awaitable<void> Run();
  // Reads until the parser has the whole request head. Returns false when the connection
  // should close (after answering a bad or late request where HTTP allows it).
  awaitable<bool> ReadRequestHead(http::RequestParser& parser);
  awaitable<Outcome> Exchange(http::RequestParser& parser);
  // Sets upstream_ to a new connection to ctx.endpoint. On failure returns false with the
  // local reply to send in `failure`.
  awaitable<bool> Connect(const proxy::RequestContext& ctx, http::LocalReply& failure);
  // Sends the request body from the client to `up`, re-framed for the next hop.
  awaitable<void> PumpRequestBody(http::RequestParser& parser, upstream::UpstreamConnection& up);
  awaitable<void> WaitForPump();
  awaitable<bool> SendLocalReply(const http::LocalReply& reply, std::string_view request_id,
                                 bool close);

  void OnDeadline();
  // True if the client's socket reports a reset or error (a FIN alone is a half-close:
  // the client may still read the answer).
  bool ClientReset() const;

  void Expect(Wait wait, Clock::duration within) {
    wait_ = wait;
    deadline_ = worker_now() + within;
  }
  // The worker's clock, updated every sweep: deadlines are enforced to sweep precision
  // anyway, and this keeps clock reads off the request path.
  Clock::time_point worker_now() const;
  void ExpectNothing() {
    wait_ = Wait::kNothing;
    deadline_ = Clock::time_point::max();
  }
  // The local reply for a request that failed before its response began.
  http::LocalReply UpstreamFailure(bool upstream_sent_nothing) const;

  Worker& worker_;
  io::Socket socket_;
  std::string client_ip_;
  boost::beast::flat_buffer in_;
  std::string out_;            // response head or local reply being written
  std::string upstream_head_;  // request head being written upstream
  std::list<Http1Session*>::iterator registration_;

  Wait wait_ = Wait::kNothing;
  Clock::time_point deadline_ = Clock::time_point::max();
  // What the session was waiting for when its deadline passed; kNothing if it has not.
  Wait timed_out_ = Wait::kNothing;
  Clock::time_point next_client_check_{};
  // The client reset the connection while an upstream exchange was in progress.
  bool client_gone_ = false;

  // The exchange in progress. Both are reused from request to request for their storage.
  proxy::RequestContext ctx_;
  http::HeaderMap response_headers_;
  Clock::duration route_timeout_{};
  std::unique_ptr<upstream::UpstreamConnection> upstream_;
  bool response_started_ = false;
  bool pump_running_ = false;
  bool pump_ok_ = false;
  // The request body was malformed (a bad chunk): the request cannot be completed.
  bool pump_malformed_ = false;
  std::optional<io::SteadyTimer> pump_done_;
  std::string pump_chunk_header_;
  bool closed_ = false;
};

}  // namespace switchyard::server

#endif  // SWITCHYARD_DATAPLANE_SERVER_HTTP1_SESSION_H_
