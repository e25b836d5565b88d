// One worker thread: its own io_context, its own SO_REUSEPORT acceptors, the client
// connections it accepted for their whole life, and its own services (upstream pool,
// endpoint state, per-resource store, clock). Nothing here is shared with other workers,
// so the request path takes no lock. Other threads talk to a worker only by posting to
// its io_context (Publish).
#ifndef SWITCHYARD_DATAPLANE_SERVER_WORKER_H_
#define SWITCHYARD_DATAPLANE_SERVER_WORKER_H_

#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <thread>
#include <vector>

#include "boost/beast/core/flat_buffer.hpp"
#include "boost/intrusive/list.hpp"
#include "dataplane/config/config_sink.h"
#include "dataplane/io/io_types.h"
#include "dataplane/metrics/worker_metrics.h"
#include "dataplane/proxy/phase_chain.h"
#include "dataplane/proxy/stream.h"
#include "dataplane/proxy/worker_services.h"
#include "dataplane/runtime/runtime_config.h"
#include "dataplane/server/http1_connection.h"
#include "dataplane/server/server_options.h"
#include "dataplane/time/clock.h"

namespace switchyard::server {

class Http1Connection;
struct Http1Exchange;

// --listen (plaintext: HTTP/1.1, or h2c with prior knowledge) or --listen_tls.
enum class ListenerKind : uint8_t { kPlain, kTls };

class Worker final : public config::ConfigSink {
 public:
  Worker(int index, const ServerOptions& options, const proxy::PhaseChain& phases,
         std::shared_ptr<const runtime::RuntimeConfig> initial_config);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds the worker's acceptor of `kind` to `endpoint` with SO_REUSEPORT. Call before
  // Start(). Returns the bound endpoint (the real port when `endpoint` has port 0).
  boost::asio::ip::tcp::endpoint Listen(ListenerKind kind,
                                        const boost::asio::ip::tcp::endpoint& endpoint,
                                        boost::system::error_code& ec);
  // Instead of Listen: serves on an inherited listening socket (a binary upgrade,
  // listener_handoff.h) and owns `fd` from now on. Returns its local endpoint.
  boost::asio::ip::tcp::endpoint Adopt(ListenerKind kind, int fd, boost::system::error_code& ec);
  // The listener's descriptor, for a successor; valid from Listen or Adopt until
  // CloseListener or Stop; -1 when that listener is not open.
  int listener_fd(ListenerKind kind) { return listener(kind).acceptor.native_handle(); }
  // Starts the thread, which accepts and serves until Stop().
  void Start();
  // Thread-safe. Stops accepting and serving, then joins the thread.
  void Stop();
  // Thread-safe. Draining (docs/operations.md): from now on every response carries
  // "Connection: close", so keep-alive clients move off this process while it still accepts.
  void BeginDrain();
  // Thread-safe. Accepts what already waits in the listen queue (served with
  // "Connection: close", never reset), closes the listener, and closes idle connections;
  // requests in flight finish. Implies BeginDrain.
  void CloseListener();
  // Thread-safe: client connections open now.
  size_t open_connections() const { return open_connections_.load(std::memory_order_relaxed); }
  // Thread-safe: when this worker's event loop last ran its sweep (every 50 ms while it
  // is not stuck), for /live.
  std::chrono::steady_clock::time_point last_turn() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_turn_.load(std::memory_order_relaxed)));
  }

  // Thread-safe (config::ConfigSink). Requests that start after the post runs use
  // `config`; endpoint state, pooled connections and stored entries of resources it no
  // longer has are dropped then.
  void Publish(std::shared_ptr<const runtime::RuntimeConfig> config) override;

  // Thread-safe: what /metrics reads of this worker.
  std::shared_ptr<const metrics::WorkerView> metrics_view() const {
    return services_.metrics.view();
  }

  // For connections, on this worker's thread only.
  int index() const { return index_; }
  const ServerOptions& options() const { return options_; }
  proxy::WorkerServices& services() { return services_; }
  const time::Clock& clock() const { return clock_; }
  const std::shared_ptr<const runtime::RuntimeConfig>& config() const { return config_; }
  // Every response closes its connection: draining, or memory over the first watermark.
  bool closing_connections() const {
    return draining_ || (options_.overload != nullptr &&
                         options_.overload->level() >= overload::OverloadLevel::kPauseAccept);
  }

  // Per-request storage, lent to a connection for one request at a time.
  Http1Exchange* TakeExchange();
  void GiveExchange(Http1Exchange* exchange);
  std::unique_ptr<boost::beast::flat_buffer> TakeBuffer();
  void GiveBuffer(std::unique_ptr<boost::beast::flat_buffer> buffer);

  // Where idle connections' readability peeks write the byte they peek at (MSG_PEEK leaves
  // it in the socket, so the many idle connections can share one scratch byte).
  char& peek_byte() { return peek_byte_; }

  // Connections register while open so the sweeper can enforce their deadlines.
  void Register(Http1Connection& connection);
  void Unregister(Http1Connection& connection);

 private:
  // Arms one accept unless one is armed, the worker is full, or memory says wait.
  void AcceptMore();
  void Accept(ListenerKind kind);
  // Admits (connection limits) and serves one accepted connection.
  void StartConnection(io::Socket socket, ListenerKind kind);
  // A server-side SSL for a connection accepted on --listen_tls, on the current config's
  // certificates; null when the config has none.
  SSL* NewTlsSession();
  // Accepts what waits in the queue of `kind`'s listener, then closes it.
  void TakeQueuedAndClose(ListenerKind kind);
  // After a failed accept (EMFILE, ENFILE, ENOBUFS...): waits before accepting again,
  // doubling up to a second while failures continue, so a full descriptor table costs
  // neither a spinning CPU nor a flooded log.
  void BackOffAccept(const boost::system::error_code& ec);
  void Sweep();
  void ApplyConfig(std::shared_ptr<const runtime::RuntimeConfig> config);

  const int index_;
  const ServerOptions& options_;
  const proxy::PhaseChain& phases_;
  proxy::StreamOptions stream_options_;
  time::ManualClock clock_;
  // Declared before io_ so they outlive the connections destroyed with io_'s handlers;
  // ~Worker empties the parts that hold sockets and timers before io_ goes away.
  proxy::WorkerServices services_;
  std::vector<std::unique_ptr<Http1Exchange>> free_exchanges_;
  std::vector<std::unique_ptr<boost::beast::flat_buffer>> free_buffers_;
  boost::intrusive::list<Http1Connection, boost::intrusive::constant_time_size<true>> connections_;
  bool stopping_ = false;
  bool draining_ = false;
  // Written by this worker only, read by the admin thread.
  std::atomic<size_t> open_connections_{0};
  std::atomic<std::chrono::steady_clock::rep> last_turn_{
      std::chrono::steady_clock::now().time_since_epoch().count()};
  char peek_byte_ = 0;
  // Only this worker's thread does I/O on its sockets, so the reactor's per-socket locks
  // are not needed; posting from other threads stays safe (the scheduler keeps its lock).
  boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  struct Listener {
    explicit Listener(const io::Executor& executor) : acceptor(executor) {}
    io::Acceptor acceptor;
    bool accept_armed = false;
  };
  Listener& listener(ListenerKind kind) {
    return kind == ListenerKind::kTls ? tls_listener_ : plain_listener_;
  }
  Listener plain_listener_{io_.get_executor()};
  Listener tls_listener_{io_.get_executor()};
  io::SteadyTimer sweep_timer_{io_.get_executor()};
  io::SteadyTimer accept_retry_timer_{io_.get_executor()};
  bool waiting_for_memory_ = false;
  std::chrono::milliseconds accept_backoff_{0};
  uint64_t accept_failures_ = 0;
  uint32_t sweeps_ = 0;
  std::shared_ptr<const runtime::RuntimeConfig> config_;
  std::thread thread_;
};

}  // namespace switchyard::server

#endif  // SWITCHYARD_DATAPLANE_SERVER_WORKER_H_
