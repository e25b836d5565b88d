// UpstreamCall against a real HTTP/1.1 backend on 127.0.0.1: the request arrives as built,
// the response comes back whole, and every way to fail ends the call with its error
// instead of a hang (a body over the bound, a refused port, Cancel on a backend that
// never answers).
#include "dataplane/upstream/upstream_call.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/error.hpp"
#include "boost/asio/io_context.hpp"
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"
#include "tests/support/socket.h"
#include "tests/support/test_backend.h"

namespace switchyard::upstream {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::BackendExchange;
using testing::TestBackend;

class UpstreamCallTest : public ::testing::Test {
 protected:
  // A snapshot with one cluster "c" on `port`; `cluster_extra` goes into its mapping.
  void Configure(uint16_t port, const std::string& cluster_extra = "") {
    const std::string yaml =
        "virtual_hosts: [{name: vh, domains: ['*'], routes: [{name: r, match: {prefix: /}, "
        "route: {cluster: c}}]}]\n"
        "clusters: [{name: c, endpoints: [{address: 127.0.0.1, port: " +
        std::to_string(port) + "}]" + cluster_extra + "}]\n";
    auto snapshot = config::ParseSnapshot(yaml, "test.yaml");
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    auto compiled = runtime::RuntimeConfig::Compile(*snapshot);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    config_ = std::move(*compiled);
  }

  // Runs one call to completion (or until `cancel_after`, then Cancel()).
  error_code Call(CallRequest& request, CallResponse& response, size_t max_body = 1024,
                  std::optional<milliseconds> cancel_after = std::nullopt) {
    UpstreamCall call(io_.get_executor(), {pool_, endpoints_, clock_}, http::ParserLimits{},
                      max_body);
    std::optional<error_code> result;
    net::co_spawn(
        io_,
        [&]() -> io::Awaitable<void> {
          result = co_await call.Run(*config_, config_->clusters().at(0), request, response);
        },
        net::detached);
    net::steady_timer cancel(io_);
    if (cancel_after.has_value()) {
      cancel.expires_after(*cancel_after);
      cancel.async_wait([&](error_code ec) {
        if (!ec) call.Cancel();
      });
    }
    while (!result.has_value() && io_.run_one_for(seconds(10)) > 0) {
    }
    cancel.cancel();
    io_.restart();
    io_.poll();
    io_.restart();
    EXPECT_TRUE(result.has_value()) << "the call never ended";
    return result.value_or(net::error::timed_out);
  }

  net::io_context io_;
  time::ManualClock clock_;
  ConnectionPool pool_{seconds(60)};
  EndpointStore endpoints_;
  std::shared_ptr<const runtime::RuntimeConfig> config_;
};

TEST_F(UpstreamCallTest, SendsTheRequestAndReadsTheWholeResponse) {
  TestBackend backend("b", [](BackendExchange& ex) {
    ex.Reply(200, "keys for " + ex.request().target + " " + ex.request().body,
             {{"content-type", "application/json"}});
  });
  Configure(backend.port());
  CallRequest request{.method = "POST", .target = "/jwks?x=1", .body = "hello"};
  request.headers.Add("x-test", "1");
  CallResponse response;
  ASSERT_FALSE(Call(request, response));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "keys for /jwks?x=1 hello");
  EXPECT_EQ(*response.headers.Get("content-type"), "application/json");
  const auto received = backend.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].method, "POST");
  EXPECT_EQ(received[0].headers.Get("x-test").value_or(""), "1");
  EXPECT_EQ(received[0].headers.Get("host").value_or(""),
            "127.0.0.1:" + std::to_string(backend.port()));

  // The connection went back to the pool: a second call reuses it.
  CallRequest again{.target = "/again"};
  ASSERT_FALSE(Call(again, response));
  EXPECT_EQ(response.body, "keys for /again ");
  EXPECT_EQ(backend.connections_accepted(), 1);
}

TEST_F(UpstreamCallTest, ReadsChunkedBodiesAndTheirTrailers) {
  TestBackend backend("b", [](BackendExchange& ex) {
    ex.Send(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n2\r\nde\r\n0\r\nGrpc-Status: 7\r\n\r\n");
  });
  Configure(backend.port());
  CallRequest request{.target = "/"};
  CallResponse response;
  ASSERT_FALSE(Call(request, response));
  EXPECT_EQ(response.body, "abcde");
  ASSERT_NE(response.trailers.Get("grpc-status"), nullptr);
  EXPECT_EQ(*response.trailers.Get("grpc-status"), "7");
}

TEST_F(UpstreamCallTest, ABodyOverTheBoundFails) {
  TestBackend backend("b", [](BackendExchange& ex) { ex.Reply(200, std::string(2000, 'x')); });
  Configure(backend.port());
  CallRequest request{.target = "/"};
  CallResponse response;
  EXPECT_EQ(Call(request, response, /*max_body=*/1000), net::error::message_size);
  TestBackend chunked(
      "c", [](BackendExchange& ex) { ex.StreamPatternResponse(200, 5000, /*chunked=*/true); });
  Configure(chunked.port());
  EXPECT_EQ(Call(request, response, /*max_body=*/1000), net::error::message_size);
}

TEST_F(UpstreamCallTest, ARefusedConnectionFails) {
  testing::RefusingPort refusing;
  Configure(refusing.port());
  CallRequest request{.target = "/"};
  CallResponse response;
  EXPECT_EQ(Call(request, response), net::error::connection_refused);
}

TEST_F(UpstreamCallTest, CancelEndsACallThatNeverGetsAnAnswer) {
  TestBackend backend("b", [](BackendExchange& ex) { ex.Delay(seconds(30)); });
  Configure(backend.port());
  CallRequest request{.target = "/"};
  CallResponse response;
  EXPECT_EQ(Call(request, response, 1024, milliseconds(50)), net::error::operation_aborted);
}

// Over HTTP/2 a deadline's Cancel must reach the connection being set up too (nobody
// shares it yet): a connect the peer never completes, a TLS handshake it never answers.
TEST_F(UpstreamCallTest, CancelEndsAnHttp2ConnectOrHandshakeThatNeverCompletes) {
  testing::BlackholeListener blackhole;
  Configure(blackhole.port(), ", protocol: HTTP2");
  CallRequest request{.target = "/"};
  CallResponse response;
  EXPECT_EQ(Call(request, response, 1024, milliseconds(50)), net::error::operation_aborted);

  testing::Listener silent;  // the kernel completes the connection; nobody ever answers
  Configure(silent.port(), ", protocol: HTTP2, tls: {insecure_skip_verify: true}");
  CallRequest again{.target = "/"};
  EXPECT_EQ(Call(again, response, 1024, milliseconds(50)), net::error::operation_aborted);
}

TEST_F(UpstreamCallTest, CancelBeforeRunFailsAtOnce) {
  TestBackend backend("b");
  Configure(backend.port());
  UpstreamCall call(io_.get_executor(), {pool_, endpoints_, clock_}, http::ParserLimits{}, 1024);
  call.Cancel();
  CallRequest request{.target = "/"};
  CallResponse response;
  std::optional<error_code> result;
  net::co_spawn(
      io_,
      [&]() -> io::Awaitable<void> {
        result = co_await call.Run(*config_, config_->clusters().at(0), request, response);
      },
      net::detached);
  io_.run_for(seconds(5));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, net::error::operation_aborted);
  EXPECT_EQ(backend.request_count(), 0u);
}

}  // namespace
}  // namespace switchyard::upstream
