#include "common/admin/admin_server.h"

#include <sys/socket.h>

#include <cerrno>
#include <utility>  // before Asio's awaitable.hpp (Boost 1.74 needs std::exchange)

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/redirect_error.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http.hpp"
#include "common/sha256.h"

namespace switchyard::admin {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using net::ip::tcp;

// Admin clients are operators and health checkers: keep them on a short leash.
constexpr auto kRequestTimeout = std::chrono::seconds(10);
constexpr size_t kMaxConcurrentClients = 64;

net::awaitable<void> Serve(tcp::socket socket, const AdminServer* server,
                           std::shared_ptr<size_t> clients) {
  boost::beast::flat_buffer buffer(size_t{16} * 1024);
  net::steady_timer deadline(socket.get_executor());
  for (;;) {
    boost::system::error_code ec;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(8 * 1024);
    deadline.expires_after(kRequestTimeout);
    deadline.async_wait([&socket](boost::system::error_code wait_ec) {
      if (!wait_ec) socket.close();
    });
    co_await http::async_read(socket, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    deadline.cancel();
    if (ec) break;
    const auto& request = parser.get();
    const AdminServer::Reply reply =
        server->Handle(std::string(request.method_string()), std::string(request.target()),
                       std::string(request[http::field::authorization]));
    http::response<http::string_body> response{static_cast<http::status>(reply.status),
                                               request.version()};
    response.set(http::field::content_type, reply.content_type);
    response.set(http::field::cache_control, "no-store");
    if (reply.status == 401) response.set(http::field::www_authenticate, "Bearer");
    response.keep_alive(request.keep_alive());
    response.body() = reply.body;
    response.prepare_payload();
    co_await http::async_write(socket, response, net::redirect_error(net::use_awaitable, ec));
    if (ec || !request.keep_alive()) break;
  }
  --*clients;
}

net::awaitable<void> Accept(tcp::acceptor& acceptor, const AdminServer* server) {
  auto clients = std::make_shared<size_t>(0);
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec == net::error::operation_aborted) co_return;
    if (ec) continue;
    if (*clients >= kMaxConcurrentClients) continue;  // drops the socket: too many clients
    ++*clients;
    net::co_spawn(acceptor.get_executor(), Serve(std::move(socket), server, clients),
                  net::detached);
  }
}

AdminServer::Reply Unauthorized() {
  return {401, "text/plain", "this admin port needs \"Authorization: Bearer TOKEN\"\n"};
}

}  // namespace

AdminServer::~AdminServer() { Stop(); }

tcp::endpoint AdminServer::Start(const tcp::endpoint& endpoint, boost::system::error_code& ec) {
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(net::socket_base::max_listen_connections, ec);
  if (ec) return {};
  return Serve(ec);
}

tcp::endpoint AdminServer::Adopt(int fd, boost::system::error_code& ec) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ec.assign(errno, boost::system::system_category());
    return {};
  }
  acceptor_ = std::make_unique<tcp::acceptor>(io_);
  acceptor_->assign(address.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) return {};
  return Serve(ec);
}

tcp::endpoint AdminServer::Serve(boost::system::error_code& ec) {
  tcp::endpoint bound = acceptor_->local_endpoint(ec);
  if (ec) return {};
  net::co_spawn(io_, Accept(*acceptor_, this), net::detached);
  thread_ = std::thread([this] { io_.run(); });
  return bound;
}

void AdminServer::Stop() {
  if (!thread_.joinable()) return;
  io_.stop();
  thread_.join();
}

bool AdminServer::Authorized(const std::string& authorization) const {
  if (handlers_.token_sha256.empty()) return true;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.compare(0, kBearer.size(), kBearer) != 0) return false;
  return SecretEquals(Sha256Hex(std::string_view(authorization).substr(kBearer.size())),
                      handlers_.token_sha256);
}

AdminServer::Reply AdminServer::Handle(const std::string& method, const std::string& target,
                                       const std::string& authorization) const {
  const std::string path = target.substr(0, target.find('?'));
  if (path == "/drain" && handlers_.drain) {
    if (method != "POST") return {405, "text/plain", "use POST /drain to start draining\n"};
    if (!Authorized(authorization)) return Unauthorized();
    handlers_.drain();
    return {202, "text/plain", "draining: not ready from now, then closing (see /ready)\n"};
  }
  if (method != "GET" && method != "HEAD") {
    return {405, "text/plain", "use GET (POST only for /drain)\n"};
  }
  if (path == "/ready") {
    const std::string reason = handlers_.not_ready_reason ? handlers_.not_ready_reason() : "";
    if (reason.empty()) return {200, "text/plain", "ready\n"};
    return {503, "text/plain", "not ready: " + reason + "\n"};
  }
  if (path == "/live") {
    const std::string reason = handlers_.not_live_reason ? handlers_.not_live_reason() : "";
    if (reason.empty()) return {200, "text/plain", "live\n"};
    return {503, "text/plain", "not live: " + reason + "\n"};
  }
  if (path == "/healthz") return {200, "text/plain", "ok\n"};
  if (!Authorized(authorization)) return Unauthorized();
  if (path == "/stats" && handlers_.stats_json) {
    return {200, "application/json", handlers_.stats_json() + "\n"};
  }
  if (path == "/metrics" && handlers_.metrics_text) {
    return {200, "text/plain; version=0.0.4; charset=utf-8", handlers_.metrics_text()};
  }
  if (path == "/config_dump" && handlers_.config_dump_json) {
    return {200, "application/json", handlers_.config_dump_json() + "\n"};
  }
  std::string paths = "/ready /live /healthz";
  if (handlers_.stats_json) paths += " /stats";
  if (handlers_.metrics_text) paths += " /metrics";
  if (handlers_.config_dump_json) paths += " /config_dump";
  if (handlers_.drain) paths += " POST /drain";
  return {404, "text/plain", "unknown path; try " + paths + "\n"};
}

}  // namespace switchyard::admin
