// The proxy's admin port: a small HTTP/1.1 server on its own thread, for operators and
// load balancers, never on a worker. Bind it to a loopback or management address.
//
//   GET /ready        200 once a snapshot is served, else 503 (load-balancer health check)
//   GET /healthz      200 while the process runs
//   GET /stats        JSON: version, readiness, live snapshots, discovery stream state
//   GET /config_dump  the served snapshot as JSON
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
  std::function<bool()> ready;
  std::function<std::string()> stats_json;
  std::function<std::string()> config_dump_json;
};

class AdminServer {
 public:
  explicit AdminServer(AdminHandlers handlers) : handlers_(std::move(handlers)) {}
  ~AdminServer();

  // Binds and starts serving on a thread; returns the bound endpoint.
  boost::asio::ip::tcp::endpoint Start(const boost::asio::ip::tcp::endpoint& endpoint,
                                       boost::system::error_code& ec);
  void Stop();

  // The response to one request; exposed for tests.
  struct Reply {
    int status;
    std::string content_type;
    std::string body;
  };
  Reply Handle(const std::string& method, const std::string& target) const;

 private:
  AdminHandlers handlers_;
  boost::asio::io_context io_{1};
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::thread thread_;
};

}  // namespace switchyard::admin

#endif  // SWITCHYARD_DATAPLANE_ADMIN_ADMIN_SERVER_H_
