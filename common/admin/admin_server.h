// The admin port of the proxy and of the control plane: a small HTTP/1.1 server on its
// own thread, for operators, load balancers and Prometheus, never on a proxy worker. Bind
// it to a loopback or management address.
//
//   GET /ready        200, or 503 with the reason AdminHandlers::not_ready_reason gives
//                     (no snapshot yet, draining): for load balancers
//   GET /live         200 while the process works, or 503 with the reason
//                     AdminHandlers::not_live_reason gives (a stuck worker): for restarts
//   GET /healthz      200 while the process runs (older name, kept for probes using it)
//   POST /drain       starts the graceful shutdown SIGTERM starts (202); docs/operations.md
//   GET /stats        JSON (the proxy: version, readiness, live snapshots, discovery state)
//   GET /metrics      Prometheus text format (docs/metrics.md)
//   GET /config_dump  the served snapshot as JSON (the proxy)
// A path whose handler is unset answers 404.
//
// With a token (AdminHandlers::token_sha256, from --admin_token_file), every path but
// /ready, /live and /healthz (which load balancers probe, and which tell nothing) needs
// "Authorization: Bearer TOKEN"; without one the answer is 401. main.cc requires a token
// for an admin address that is not loopback.
#ifndef SWITCHYARD_DATAPLANE_ADMIN_ADMIN_SERVER_H_
#define SWITCHYARD_DATAPLANE_ADMIN_ADMIN_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"

namespace switchyard::admin {

struct AdminHandlers {
  // Empty when ready; otherwise why not, e.g. "draining". Unset: always ready.
  std::function<std::string()> not_ready_reason;
  // Empty when live; otherwise what is wrong. Unset: live while the admin thread answers.
  std::function<std::string()> not_live_reason;
  std::function<std::string()> stats_json;
  // The /metrics page; unset: 404.
  std::function<std::string()> metrics_text;
  std::function<std::string()> config_dump_json;
  // Starts draining; unset: POST /drain is 404.
  std::function<void()> drain;
  // SHA-256 (hex) of the token /stats and /config_dump require; empty: none.
  std::string token_sha256;
};

class AdminServer {
 public:
  explicit AdminServer(AdminHandlers handlers) : handlers_(std::move(handlers)) {}
  ~AdminServer();

  // Binds and starts serving on a thread; returns the bound endpoint.
  boost::asio::ip::tcp::endpoint Start(const boost::asio::ip::tcp::endpoint& endpoint,
                                       boost::system::error_code& ec);
  // As Start, on an inherited listening socket (a binary upgrade), which it then owns.
  boost::asio::ip::tcp::endpoint Adopt(int fd, boost::system::error_code& ec);
  // The listening descriptor after Start or Adopt, for a successor; -1 before.
  int listener_fd() const { return acceptor_ ? acceptor_->native_handle() : -1; }
  void Stop();

  // The response to one request; exposed for tests.
  struct Reply {
    int status;
    std::string content_type;
    std::string body;
  };
  // `authorization`: the request's Authorization header ("" when absent).
  Reply Handle(const std::string& method, const std::string& target,
               const std::string& authorization) const;

 private:
  bool Authorized(const std::string& authorization) const;
  // Serves on acceptor_, open and listening.
  boost::asio::ip::tcp::endpoint Serve(boost::system::error_code& ec);

  AdminHandlers handlers_;
  boost::asio::io_context io_{1};
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::thread thread_;
};

}  // namespace switchyard::admin

#endif  // SWITCHYARD_DATAPLANE_ADMIN_ADMIN_SERVER_H_
