#include "dataplane/server/worker.h"

#include <algorithm>
#include <random>
#include <utility>

#include "boost/asio/post.hpp"
#include "common/log.h"
#include "dataplane/io/read_some.h"
#include "dataplane/server/http1_connection.h"
#include "dataplane/server/http1_exchange.h"

namespace switchyard::server {
namespace {

// How often deadlines are checked. A timeout fires at most this much late; in exchange,
// arming a deadline on the request path is one store instead of a timer operation.
constexpr std::chrono::milliseconds kSweepInterval{50};
// Idle pooled upstream connections are checked for expiry every this many sweeps.
constexpr uint32_t kPoolSweepEvery = 20;
// Idle per-request storage kept per worker; more is freed (a burst of connections must
// not pin its peak memory forever).
constexpr size_t kMaxFreeExchanges = 256;
constexpr size_t kMaxFreeBuffers = 256;
// Accept back-off after failures: first wait, and the most.
constexpr std::chrono::milliseconds kFirstAcceptBackoff{10};
constexpr std::chrono::milliseconds kMaxAcceptBackoff{1000};
// While memory is over the first watermark, how often accepting is reconsidered.
constexpr std::chrono::milliseconds kOverloadRecheck{20};

uint64_t RandomSeed() {
  std::random_device device;
  return (uint64_t{device()} << 32) ^ device();
}

}  // namespace

Worker::Worker(int index, const ServerOptions& options, const proxy::PhaseChain& phases,
               std::shared_ptr<const runtime::RuntimeConfig> initial_config)
    : index_(index),
      options_(options),
      phases_(phases),
      stream_options_{.limits = options.limits, .idle_timeout = options.idle_timeout},
      services_(RandomSeed(), clock_, options.upstream_idle_timeout) {
  services_.overload = options.overload;
  ApplyConfig(std::move(initial_config));
}

Worker::~Worker() {
  Stop();
  // Sockets and timers must go before io_ does; connections still inside io_'s handlers
  // free their storage directly (stopping_).
  stopping_ = true;
  free_exchanges_.clear();
  services_.pool.RetainOnly([](std::string_view) { return false; });
}

boost::asio::ip::tcp::endpoint Worker::Listen(ListenerKind kind,
                                              const boost::asio::ip::tcp::endpoint& endpoint,
                                              boost::system::error_code& ec) {
  io::Acceptor& acceptor = listener(kind).acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return {};
  acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (ec) return {};
  const int one = 1;
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    ec.assign(errno, boost::system::system_category());
    return {};
  }
  acceptor.bind(endpoint, ec);
  if (ec) return {};
  acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return {};
  return acceptor.local_endpoint(ec);
}

boost::asio::ip::tcp::endpoint Worker::Adopt(ListenerKind kind, int fd,
                                             boost::system::error_code& ec) {
  io::Acceptor& acceptor = listener(kind).acceptor;
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ec.assign(errno, boost::system::system_category());
    return {};
  }
  acceptor.assign(
      address.ss_family == AF_INET6 ? boost::asio::ip::tcp::v6() : boost::asio::ip::tcp::v4(), fd,
      ec);
  if (ec) return {};
  return acceptor.local_endpoint(ec);
}

void Worker::Start() {
  AcceptMore();
  Sweep();
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(io_, [this] {
    stopping_ = true;
    boost::system::error_code ignored;
    plain_listener_.acceptor.close(ignored);
    tls_listener_.acceptor.close(ignored);
    sweep_timer_.cancel();
    accept_retry_timer_.cancel();
    // Copy: closing a connection may unregister it.
    std::vector<Http1Connection*> open;
    for (Http1Connection& connection : connections_) open.push_back(&connection);
    for (Http1Connection* connection : open) connection->Close();
    io_.stop();
  });
  thread_.join();
}

void Worker::BeginDrain() {
  boost::asio::post(io_, [this] { draining_ = true; });
}

void Worker::CloseListener() {
  boost::asio::post(io_, [this] {
    draining_ = true;
    TakeQueuedAndClose(ListenerKind::kPlain);
    TakeQueuedAndClose(ListenerKind::kTls);
    accept_retry_timer_.cancel();
    std::vector<Http1Connection*> open;  // copy: closing a connection unregisters it
    for (Http1Connection& connection : connections_) open.push_back(&connection);
    for (Http1Connection* connection : open) connection->CloseIfIdle();
  });
}

void Worker::TakeQueuedAndClose(ListenerKind kind) {
  io::Acceptor& acceptor = listener(kind).acceptor;
  if (!acceptor.is_open()) return;
  // Connections the kernel completed already are taken and served, not reset by the
  // close: a client that got its SYN-ACK has every reason to expect an answer.
  boost::system::error_code ec;
  acceptor.non_blocking(true, ec);
  size_t taken = 0;
  while (!ec) {
    io::Socket socket(io_.get_executor());
    acceptor.accept(socket, ec);
    if (ec) break;
    StartConnection(std::move(socket), kind);
    ++taken;
  }
  acceptor.close(ec);
  LogDebug("worker %d: %s listener closed (%zu queued connections taken)", index_,
           kind == ListenerKind::kTls ? "TLS" : "plaintext", taken);
}

void Worker::Publish(std::shared_ptr<const runtime::RuntimeConfig> config) {
  boost::asio::post(
      io_, [this, config = std::move(config)]() mutable { ApplyConfig(std::move(config)); });
}

void Worker::ApplyConfig(std::shared_ptr<const runtime::RuntimeConfig> config) {
  config_ = std::move(config);
  if (config_ == nullptr) return;
  const runtime::RuntimeConfig& current = *config_;
  services_.endpoints.OnConfig(current);
  // Idle connections to endpoints no cluster has any more are closed now, not left in
  // CLOSE_WAIT until the upstream gives up on them.
  services_.pool.RetainOnly([&current](std::string_view key) { return current.HasPoolKey(key); });
  services_.resources.Retain([&current](runtime::ResourceKind kind, std::string_view name) {
    return kind == runtime::ResourceKind::kCluster ? current.FindCluster(name) >= 0
                                                   : current.HasRoute(name);
  });
  services_.metrics.Bind(current, services_.resources);
}

Http1Exchange* Worker::TakeExchange() {
  if (free_exchanges_.empty()) {
    return new Http1Exchange(io_.get_executor(), phases_, services_, stream_options_);
  }
  Http1Exchange* exchange = free_exchanges_.back().release();
  free_exchanges_.pop_back();
  return exchange;
}

void Worker::GiveExchange(Http1Exchange* exchange) {
  std::unique_ptr<Http1Exchange> owned(exchange);
  if (stopping_ || free_exchanges_.size() >= kMaxFreeExchanges) return;  // freed here
  free_exchanges_.push_back(std::move(owned));
}

std::unique_ptr<boost::beast::flat_buffer> Worker::TakeBuffer() {
  std::unique_ptr<boost::beast::flat_buffer> buffer;
  if (free_buffers_.empty()) {
    buffer = std::make_unique<boost::beast::flat_buffer>();
  } else {
    buffer = std::move(free_buffers_.back());
    free_buffers_.pop_back();
  }
  buffer->max_size(options_.limits.max_header_bytes + io::kReadChunk);
  return buffer;
}

void Worker::GiveBuffer(std::unique_ptr<boost::beast::flat_buffer> buffer) {
  if (stopping_ || free_buffers_.size() >= kMaxFreeBuffers) return;
  buffer->clear();
  free_buffers_.push_back(std::move(buffer));
}

void Worker::Register(Http1Connection& connection) {
  connections_.push_back(connection);
  open_connections_.store(connections_.size(), std::memory_order_relaxed);
  services_.metrics.ConnectionOpened();
}

void Worker::Unregister(Http1Connection& connection) {
  connections_.erase(connections_.iterator_to(connection));
  open_connections_.store(connections_.size(), std::memory_order_relaxed);
  services_.metrics.ConnectionClosed();
  if (options_.connection_limits != nullptr) {
    options_.connection_limits->Release(connection.client_ip());
  }
  if (!stopping_ && accept_backoff_.count() == 0) AcceptMore();  // a slot may be free again
}

void Worker::AcceptMore() {
  if (stopping_ || waiting_for_memory_ ||
      connections_.size() >= options_.max_connections_per_worker) {
    return;
  }
  const auto wants_accept = [](const Listener& l) {
    return l.acceptor.is_open() && !l.accept_armed;
  };
  if (!wants_accept(plain_listener_) && !wants_accept(tls_listener_)) return;
  if (options_.overload != nullptr &&
      options_.overload->level() >= overload::OverloadLevel::kPauseAccept) {
    // New connections wait in the kernel's queue until memory is back under the watermark.
    waiting_for_memory_ = true;
    accept_retry_timer_.expires_after(kOverloadRecheck);
    accept_retry_timer_.async_wait([this](boost::system::error_code wait_ec) {
      waiting_for_memory_ = false;
      if (!wait_ec) AcceptMore();
    });
    return;
  }
  if (wants_accept(plain_listener_)) Accept(ListenerKind::kPlain);
  if (wants_accept(tls_listener_)) Accept(ListenerKind::kTls);
}

void Worker::StartConnection(io::Socket socket, ListenerKind kind) {
  boost::system::error_code ec;
  if (options_.connection_limits != nullptr) {
    const std::string ip = socket.remote_endpoint(ec).address().to_string();
    const ConnectionLimits::Verdict verdict = options_.connection_limits->Admit(ip);
    if (verdict != ConnectionLimits::Verdict::kAdmitted) {
      services_.metrics.ConnectionRefused(verdict == ConnectionLimits::Verdict::kGlobalLimit
                                              ? metrics::ConnectionRefusal::kGlobalLimit
                                              : metrics::ConnectionRefusal::kPerIpLimit);
      socket.close(ec);  // before anything is read: the cheapest answer there is
      return;
    }
  }
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  SSL* tls = nullptr;
  if (kind == ListenerKind::kTls) {
    tls = NewTlsSession();
    if (tls == nullptr) {
      // No certificate in the config: nothing to answer a ClientHello with.
      services_.metrics.TlsHandshake(metrics::TlsHandshakeResult::kFailure);
      thread_local time::MonotonicTime next_warning{};  // each worker is a thread
      if (clock_.Now() >= next_warning) {
        next_warning = clock_.Now() + std::chrono::seconds(10);
        LogWarning("worker %d: TLS connection closed: the config has no certificates", index_);
      }
      socket.close(ec);
      return;
    }
  }
  Http1Connection::Start(std::make_unique<Http1Connection>(*this, std::move(socket), tls));
}

SSL* Worker::NewTlsSession() {
  if (config_ == nullptr || config_->certificates() == nullptr) return nullptr;
  return config_->certificates()->NewSsl();
}

void Worker::Accept(ListenerKind kind) {
  Listener& l = listener(kind);
  l.accept_armed = true;
  l.acceptor.async_accept([this, kind, &l](boost::system::error_code ec, io::Socket socket) {
    l.accept_armed = false;
    if (ec == boost::asio::error::operation_aborted || !l.acceptor.is_open()) return;
    if (ec) {
      BackOffAccept(ec);
      return;
    }
    if (accept_backoff_.count() > 0) {
      LogInfo("worker %d: accepting again after %llu failed accepts", index_,
              static_cast<unsigned long long>(accept_failures_));
      accept_backoff_ = std::chrono::milliseconds(0);
      accept_failures_ = 0;
    }
    StartConnection(std::move(socket), kind);
    AcceptMore();
  });
}

void Worker::BackOffAccept(const boost::system::error_code& ec) {
  ++accept_failures_;
  // One warning when failures start, then one each time the wait reaches its maximum.
  if (accept_backoff_.count() == 0 || accept_backoff_ == kMaxAcceptBackoff) {
    LogWarning("worker %d: accept failed: %s (%llu so far); retrying in %lld ms", index_,
               ec.message().c_str(), static_cast<unsigned long long>(accept_failures_),
               static_cast<long long>(
                   std::max(kFirstAcceptBackoff, std::min(accept_backoff_ * 2, kMaxAcceptBackoff))
                       .count()));
  }
  accept_backoff_ = std::max(kFirstAcceptBackoff, std::min(accept_backoff_ * 2, kMaxAcceptBackoff));
  accept_retry_timer_.expires_after(accept_backoff_);
  accept_retry_timer_.async_wait([this](boost::system::error_code wait_ec) {
    if (wait_ec || stopping_) return;
    AcceptMore();
  });
}

void Worker::Sweep() {
  sweep_timer_.expires_after(kSweepInterval);
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    const auto wall = std::chrono::steady_clock::now();
    clock_.Set(wall);
    last_turn_.store(wall.time_since_epoch().count(), std::memory_order_relaxed);
    const time::MonotonicTime now = clock_.Now();
    for (auto it = connections_.begin(); it != connections_.end();) {
      Http1Connection& connection = *it++;  // the connection may unregister itself
      connection.Sweep(now);
    }
    if (++sweeps_ % kPoolSweepEvery == 0) services_.pool.Sweep(now);
    Sweep();
  });
}

}  // namespace switchyard::server
