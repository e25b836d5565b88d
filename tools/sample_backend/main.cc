// sample-backend: a small HTTP/1.1 server for demos and local setups. It answers every
// request with JSON describing what it received (its own name, method, target, headers,
// body size), so you can see which backend a request was routed to and what the gateway
// changed on the way.
#include <cstdio>
#include <string>
#include <utility>  // before Asio's awaitable.hpp (Boost 1.74 needs std::exchange)

#include "absl/flags/flag.h"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/redirect_error.hpp"
#include "boost/asio/signal_set.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http.hpp"
#include "common/program_flags.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(std::string, listen, "127.0.0.1:9001", "address:port to serve on");
ABSL_FLAG(std::string, name, "sample-backend", "name reported in every response");

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using net::ip::tcp;

constexpr size_t kMaxBody = size_t{10} * 1024 * 1024;

net::awaitable<void> Serve(tcp::socket socket, std::string name) {
  boost::beast::flat_buffer buffer;
  for (;;) {
    boost::system::error_code ec;
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    co_await http::async_read(socket, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    const auto& request = parser.get();
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& field : request) {
      headers[std::string(field.name_string())] = std::string(field.value());
    }
    const nlohmann::json body = {
        {"backend", name},
        {"method", std::string(request.method_string())},
        {"target", std::string(request.target())},
        {"headers", headers},
        {"body_bytes", request.body().size()},
    };
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::content_type, "application/json");
    response.set("x-backend", name);
    response.keep_alive(request.keep_alive());
    response.body() = body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    response.prepare_payload();
    co_await http::async_write(socket, response, net::redirect_error(net::use_awaitable, ec));
    if (ec || !request.keep_alive()) co_return;
  }
}

net::awaitable<void> Accept(tcp::acceptor& acceptor, std::string name) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    net::co_spawn(acceptor.get_executor(), Serve(std::move(socket), name), net::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  switchyard::ParseProgramFlags(argc, argv, "sample-backend --listen=127.0.0.1:9001 --name=blue");
  const std::string listen = absl::GetFlag(FLAGS_listen);
  const size_t colon = listen.rfind(':');
  boost::system::error_code ec;
  const auto address =
      net::ip::make_address(colon == std::string::npos ? "" : listen.substr(0, colon), ec);
  if (ec || colon == std::string::npos) {
    std::fprintf(stderr, "--listen must look like 127.0.0.1:9001\n");
    return 2;
  }
  const auto port = static_cast<uint16_t>(std::stoi(listen.substr(colon + 1)));
  net::io_context io;
  tcp::acceptor acceptor(io);
  acceptor.open(address.is_v6() ? tcp::v6() : tcp::v4(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind({address, port}, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "cannot listen on %s: %s\n", listen.c_str(), ec.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "sample-backend %s listening on %s\n", absl::GetFlag(FLAGS_name).c_str(),
               listen.c_str());
  net::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](auto, int) { io.stop(); });
  net::co_spawn(io, Accept(acceptor, absl::GetFlag(FLAGS_name)), net::detached);
  io.run();
  return 0;
}
