// One worker thread: its own io_context, its own SO_REUSEPORT acceptor, the client
// connections it accepted for their whole life, its own upstream connection pool and
// load-balancer state. Nothing here is shared with other workers, so the request path
// takes no lock. Other threads talk to a worker only by posting to its io_context.
#ifndef SWITCHYARD_DATAPLANE_SERVER_WORKER_H_
#define SWITCHYARD_DATAPLANE_SERVER_WORKER_H_

#include <chrono>
#include <list>
#include <memory>
#include <thread>

#include "dataplane/io/io_types.h"
#include "dataplane/proxy/request_context.h"
#include "dataplane/proxy/request_pipeline.h"
#include "dataplane/runtime/runtime_config.h"
#include "dataplane/server/server_options.h"
#include "dataplane/upstream/connection_pool.h"

namespace switchyard::server {

class Http1Session;

class Worker {
 public:
  Worker(int index, const ServerOptions& options, const proxy::RequestPipeline& pipeline,
         std::shared_ptr<const runtime::RuntimeConfig> initial_config);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds the worker's acceptor to `endpoint` with SO_REUSEPORT. Call before Start().
  // Returns the bound endpoint (the real port when `endpoint` has port 0).
  boost::asio::ip::tcp::endpoint Listen(const boost::asio::ip::tcp::endpoint& endpoint,
                                        boost::system::error_code& ec);
  // Starts the thread, which accepts and serves until Stop().
  void Start();
  // Thread-safe. Stops accepting and serving, then joins the thread.
  void Stop();
  // Thread-safe. Requests that start after the post runs use `config`.
  void SetConfig(std::shared_ptr<const runtime::RuntimeConfig> config);

  // For sessions, on this worker's thread only.
  int index() const { return index_; }
  boost::asio::io_context& io() { return io_; }
  const ServerOptions& options() const { return options_; }
  const proxy::RequestPipeline& pipeline() const { return pipeline_; }
  proxy::WorkerServices& services() { return services_; }
  upstream::ConnectionPool& pool() { return pool_; }
  const std::shared_ptr<const runtime::RuntimeConfig>& config() const { return config_; }
  // A clock reading taken at the last sweep (at most 50 ms old).
  std::chrono::steady_clock::time_point now() const { return now_; }

  // Sessions register while open so the sweeper can enforce their deadlines.
  std::list<Http1Session*>::iterator Register(Http1Session* session);
  void Unregister(std::list<Http1Session*>::iterator it);

 private:
  void Accept();
  void Sweep();

  const int index_;
  const ServerOptions& options_;
  const proxy::RequestPipeline& pipeline_;
  // Declared before io_ so it outlives it: sessions destroyed with io_'s pending handlers
  // unregister themselves.
  std::list<Http1Session*> sessions_;
  bool stopping_ = false;
  // Only this worker's thread does I/O on its sockets, so the reactor's per-socket locks
  // are not needed; posting from other threads stays safe (the scheduler keeps its lock).
  boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  io::Acceptor acceptor_{io_.get_executor()};
  io::SteadyTimer sweep_timer_{io_.get_executor()};
  std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::now();
  std::shared_ptr<const runtime::RuntimeConfig> config_;
  proxy::WorkerServices services_;
  upstream::ConnectionPool pool_;
  std::thread thread_;
};

}  // namespace switchyard::server

#endif  // SWITCHYARD_DATAPLANE_SERVER_WORKER_H_
