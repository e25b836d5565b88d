#include "dataplane/server/worker.h"

#include <random>
#include <utility>

#include "boost/asio/post.hpp"
#include "common/log.h"
#include "dataplane/server/http1_session.h"

namespace switchyard::server {
namespace {

// How often deadlines are checked. A timeout fires at most this much late; in exchange,
// arming a deadline on the request path is one store instead of a timer operation.
constexpr std::chrono::milliseconds kSweepInterval{50};

uint64_t RandomSeed() {
  std::random_device device;
  return (uint64_t{device()} << 32) ^ device();
}

}  // namespace

Worker::Worker(int index, const ServerOptions& options, const proxy::RequestPipeline& pipeline,
               std::shared_ptr<const runtime::RuntimeConfig> initial_config)
    : index_(index),
      options_(options),
      pipeline_(pipeline),
      config_(std::move(initial_config)),
      services_(RandomSeed()),
      pool_(options.upstream_idle_timeout) {}

Worker::~Worker() { Stop(); }

boost::asio::ip::tcp::endpoint Worker::Listen(const boost::asio::ip::tcp::endpoint& endpoint,
                                              boost::system::error_code& ec) {
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return {};
  acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (ec) return {};
  const int one = 1;
  if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    ec.assign(errno, boost::system::system_category());
    return {};
  }
  acceptor_.bind(endpoint, ec);
  if (ec) return {};
  acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return {};
  return acceptor_.local_endpoint(ec);
}

void Worker::Start() {
  Accept();
  Sweep();
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(io_, [this] {
    stopping_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    sweep_timer_.cancel();
    // Copy: closing a session unregisters it.
    const std::list<Http1Session*> open(sessions_.begin(), sessions_.end());
    for (Http1Session* session : open) session->Close();
    io_.stop();
  });
  thread_.join();
}

void Worker::SetConfig(std::shared_ptr<const runtime::RuntimeConfig> config) {
  boost::asio::post(io_,
                    [this, config = std::move(config)]() mutable { config_ = std::move(config); });
}

std::list<Http1Session*>::iterator Worker::Register(Http1Session* session) {
  return sessions_.insert(sessions_.end(), session);
}

void Worker::Unregister(std::list<Http1Session*>::iterator it) {
  sessions_.erase(it);
  if (stopping_ || !acceptor_.is_open() ||
      sessions_.size() + 1 != options_.max_connections_per_worker) {
    return;
  }
  Accept();  // accepting paused at the limit; one slot is free again
}

void Worker::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, io::Socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      boost::system::error_code ignored;
      socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
      std::make_shared<Http1Session>(*this, std::move(socket))->Start();
    } else {
      // EMFILE and friends: keep accepting; the sweeper frees descriptors over time.
      LogWarning("worker %d: accept failed: %s", index_, ec.message().c_str());
    }
    if (sessions_.size() < options_.max_connections_per_worker) Accept();
  });
}

void Worker::Sweep() {
  sweep_timer_.expires_after(kSweepInterval);
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    const auto now = std::chrono::steady_clock::now();
    now_ = now;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      Http1Session* session = *it++;  // the session may unregister itself
      session->Sweep(now);
    }
    Sweep();
  });
}

}  // namespace switchyard::server
