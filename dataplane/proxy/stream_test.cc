// The stream's lifecycle: every way a request can end reaches the one exit exactly once,
// phases can stop with headers or wait, and deadlines fire on a simulated clock (no
// sleeping). Upstreams are real loopback sockets; the client side is a fake Downstream.
#include "dataplane/proxy/stream.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/read_until.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/streambuf.hpp"
#include "boost/asio/write.hpp"
#include "dataplane/http/grpc.h"
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"

namespace switchyard::proxy {
namespace {

namespace net = boost::asio;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The client side: sends `pieces` as its body (then stalls unless `body_complete`);
// records what the stream sends.
class FakeDownstream final : public Downstream {
 public:
  const http::BodyInfo& request_body() const override { return body; }
  io::Awaitable<error_code> ReadBody(std::string_view& piece, bool& end) override {
    piece = {};
    end = false;
    if (next_piece < pieces.size()) {
      piece = pieces[next_piece++];
      end = body_complete && next_piece == pieces.size();
      co_return error_code{};
    }
    if (body_complete) {
      end = true;
      co_return error_code{};
    }
    // The client sends nothing more; the read ends when cancelled.
    error_code ec;
    stall->expires_at(time::MonotonicTime::max());
    co_await stall->async_wait(io::AwaitInto(ec));
    co_return net::error::operation_aborted;
  }
  bool body_malformed() const override { return false; }
  http::HeaderMap& request_trailers() override { return trailers; }
  io::Awaitable<error_code> SendInterimHead(int, http::HeaderMap&) override {
    co_return error_code{};
  }
  void StartResponse(int status, http::HeaderMap& headers, const http::BodyInfo&) override {
    response_status = status;
    response_headers = headers;
  }
  io::Awaitable<error_code> SendBody(std::string_view piece, bool end) override {
    response_body.append(piece);
    response_ended = end;
    co_return error_code{};
  }
  io::Awaitable<error_code> SendLocalReply(const http::LocalReply& reply, std::string_view,
                                           http::LocalReplyFormat format, bool) override {
    local_reply = reply;
    local_reply_format = format;
    co_return error_code{};
  }
  void CancelIo() override {
    ++cancels;
    if (stall) stall->cancel();
  }
  bool ClientReset() override { return reset; }

  http::BodyInfo body;
  http::HeaderMap trailers;
  std::vector<std::string> pieces;
  size_t next_piece = 0;
  bool body_complete = true;
  std::optional<io::SteadyTimer> stall;
  std::optional<http::LocalReply> local_reply;
  http::LocalReplyFormat local_reply_format = http::LocalReplyFormat::kJson;
  int response_status = 0;
  http::HeaderMap response_headers;
  std::string response_body;
  bool response_ended = false;
  bool reset = false;
  int cancels = 0;
};

// What the test phase does at the request head.
enum class Behaviour {
  kContinue,
  kStopWithHeaders,
  kWaitOnTimer,
  kWaitForever,
  kChooseClusterWithoutRoute,  // a chain that routes its own way: no route, a cluster
  kStopAtResponseTrailers,
};

struct Observed {
  int ends = 0;
  RequestRecord last;
  std::shared_ptr<ResumeHandle> handle;
  // "name=value;" for each trailer field a trailer hook saw.
  std::string request_trailers;
  std::string response_trailers;
};

std::string Fields(const http::HeaderMap& fields) {
  std::string out;
  for (const auto& [name, value] : fields) out.append(name).append("=").append(value).append(";");
  return out;
}

class TestPhase final : public Phase {
 public:
  TestPhase(Behaviour& behaviour, Observed& observed)
      : behaviour_(behaviour), observed_(observed) {}
  std::string_view name() const override { return "test"; }
  PhaseStatus OnRequestHeaders(RequestContext& ctx) const override {
    switch (behaviour_) {
      case Behaviour::kContinue:
      case Behaviour::kChooseClusterWithoutRoute:
      case Behaviour::kStopAtResponseTrailers:
        return PhaseStatus::kContinue;
      case Behaviour::kStopWithHeaders:
        ctx.local_reply = {401, "unauthorized", "a key is required"};
        ctx.local_reply.headers.Add("www-authenticate", "ApiKey realm=\"test\"");
        return PhaseStatus::kStop;
      case Behaviour::kWaitOnTimer: {
        // An asynchronous check (think external authorization) that answers later.
        auto handle = Suspend(ctx);
        auto timer = std::make_shared<net::steady_timer>(executor_, milliseconds(20));
        timer->async_wait(
            [timer, handle](boost::system::error_code) { handle->Resume(PhaseStatus::kContinue); });
        return PhaseStatus::kPending;
      }
      case Behaviour::kWaitForever:
        observed_.handle = Suspend(ctx);
        return PhaseStatus::kPending;
    }
    return PhaseStatus::kStop;
  }
  PhaseStatus OnRequestTrailers(RequestContext&, http::HeaderMap& trailers) const override {
    observed_.request_trailers += Fields(trailers);
    return PhaseStatus::kContinue;
  }
  PhaseStatus OnResponseTrailers(RequestContext&, http::HeaderMap& trailers) const override {
    observed_.response_trailers += Fields(trailers);
    return behaviour_ == Behaviour::kStopAtResponseTrailers ? PhaseStatus::kStop
                                                            : PhaseStatus::kContinue;
  }
  PhaseStatus ChooseUpstream(RequestContext& ctx) const override {
    if (behaviour_ == Behaviour::kChooseClusterWithoutRoute) {
      ctx.cluster = &ctx.config->clusters()[0];
    }
    return PhaseStatus::kContinue;
  }
  void OnRequestEnd(const RequestContext& ctx) const override {
    ++observed_.ends;
    observed_.last = ctx.record;
  }
  void SetExecutor(net::any_io_executor executor) { executor_ = std::move(executor); }

 private:
  Behaviour& behaviour_;
  Observed& observed_;
  net::any_io_executor executor_;
};

class StreamTest : public ::testing::Test {
 protected:
  StreamTest() : acceptor_(io_.get_executor(), {net::ip::make_address("127.0.0.1"), 0}) {
    BuildStream(/*standard_phases=*/true);
    downstream_.stall.emplace(io_.get_executor());
  }

  // The test phase first, then the standard phases unless `standard_phases` is false
  // (then nothing routes).
  void BuildStream(bool standard_phases) {
    stream_.reset();
    auto test_phase = std::make_unique<TestPhase>(behaviour_, observed_);
    test_phase->SetExecutor(io_.get_executor());
    std::vector<std::unique_ptr<const Phase>> phases;
    phases.push_back(std::move(test_phase));
    if (standard_phases) {
      for (auto& phase : PhaseChain::StandardPhases({})) phases.push_back(std::move(phase));
    }
    chain_.emplace(std::move(phases));
    stream_.emplace(io_.get_executor(), *chain_, services_, options_);
  }

  std::shared_ptr<const runtime::RuntimeConfig> Config(uint16_t port) {
    const std::string yaml = R"(
virtual_hosts:
  - name: vh
    domains: ["*"]
    routes:
      - {name: app, match: {prefix: /app/}, route: {cluster: app, timeout: 2s)" +
                             route_options_ + "}" + route_extra_ + R"(}
clusters:
  - name: app
    endpoints: [{address: 127.0.0.1, port: )" +
                             std::to_string(port) + "}]\n" + extra_yaml_;
    auto snapshot = config::ParseSnapshot(yaml, "test.yaml");
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    auto compiled = runtime::RuntimeConfig::Compile(*snapshot);
    EXPECT_TRUE(compiled.ok()) << compiled.status();
    services_.endpoints.OnConfig(**compiled);
    return *compiled;
  }

  // Starts the stream on a GET of `path`.
  void Start(const std::string& path, uint16_t port) {
    RequestContext& ctx = stream_->context();
    ctx.method = "GET";
    ctx.target = path;
    ctx.headers.Add("host", "example.com");
    ctx.client_ip = "192.0.2.1";
    ctx.config = Config(port);
    net::co_spawn(
        io_.get_executor(),
        [this]() -> io::Awaitable<void> { result_ = co_await stream_->Run(downstream_); },
        net::detached);
  }

  template <typename Done>
  void RunUntil(Done done) {
    for (int i = 0; i < 4000 && !done(); ++i) {
      io_.restart();
      io_.run_for(milliseconds(1));
    }
  }
  // Gives pending work a chance to run, for checking that nothing happens.
  void RunIdle() {
    for (int i = 0; i < 50; ++i) {
      io_.restart();
      io_.run_for(milliseconds(1));
    }
  }
  void RunUntilEnded() {
    RunUntil([this] { return result_.has_value(); });
  }
  // Moves the simulated clock and lets the stream see it.
  void Advance(time::Duration by) {
    clock_.Advance(by);
    stream_->Sweep(clock_.Now());
  }

  net::io_context io_;
  time::ManualClock clock_;
  WorkerServices services_{1, clock_, seconds(30)};
  StreamOptions options_{.idle_timeout = seconds(60)};
  Behaviour behaviour_ = Behaviour::kContinue;
  Observed observed_;
  std::optional<PhaseChain> chain_;
  std::optional<Stream> stream_;
  FakeDownstream downstream_;
  std::optional<StreamResult> result_;
  std::string route_options_;
  // Fields of the route after its action, and more of the snapshot after its clusters.
  std::string route_extra_;
  std::string extra_yaml_;
  io::Acceptor acceptor_;
};

TEST_F(StreamTest, APhaseStopsWithHeaders) {
  behaviour_ = Behaviour::kStopWithHeaders;
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntilEnded();
  ASSERT_TRUE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.local_reply->status, 401);
  EXPECT_EQ(*downstream_.local_reply->headers.Get("www-authenticate"), "ApiKey realm=\"test\"");
  EXPECT_EQ(observed_.ends, 1);
  EXPECT_EQ(observed_.last.end, StreamEnd::kLocalReply);
  EXPECT_EQ(observed_.last.status, 401);
  EXPECT_EQ(observed_.last.local_reply_error, "unauthorized");
}

TEST_F(StreamTest, NoRouteIsALocalReplyEndedOnce) {
  Start("/elsewhere", acceptor_.local_endpoint().port());
  RunUntilEnded();
  ASSERT_TRUE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.local_reply->status, 404);
  EXPECT_EQ(observed_.ends, 1);
}

// A tiny upstream on the test's acceptor: reads one request head, answers `response`
// (or nothing when empty), and keeps the connection open.
struct Upstream {
  explicit Upstream(io::Acceptor& acceptor) : socket(acceptor.get_executor()) {
    acceptor.async_accept(socket, [this](boost::system::error_code ec) {
      if (ec) return;
      accepted = true;
      net::async_read_until(socket, request, "\r\n\r\n",
                            [this](boost::system::error_code read_ec, size_t) {
                              if (read_ec || response.empty()) return;
                              net::async_write(socket, net::buffer(response),
                                               [](boost::system::error_code, size_t) {});
                            });
    });
  }
  io::Socket socket;
  net::streambuf request;
  std::string response;
  bool accepted = false;
};

TEST_F(StreamTest, CompletedRequestRecordsStatusBytesAndTimes) {
  Upstream upstream(acceptor_);
  upstream.response = "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntilEnded();
  EXPECT_EQ(downstream_.response_status, 200);
  EXPECT_EQ(downstream_.response_body, "hello");
  EXPECT_TRUE(downstream_.response_ended);
  EXPECT_FALSE(result_->close);
  EXPECT_EQ(observed_.ends, 1);
  EXPECT_EQ(observed_.last.end, StreamEnd::kCompleted);
  EXPECT_EQ(observed_.last.status, 200);
  EXPECT_EQ(observed_.last.response_body_bytes, 5u);
  EXPECT_GE(observed_.last.upstream_connected, observed_.last.start);
  EXPECT_GE(observed_.last.response_head, observed_.last.upstream_connected);
  EXPECT_GE(observed_.last.finish, observed_.last.response_head);
  const auto& endpoint = stream_->context().config->clusters()[0].endpoints[0];
  EXPECT_EQ(services_.endpoints.Find("app", endpoint.pool_key)->successes, 1u);
  // The connection went back to the pool for the next request.
  EXPECT_EQ(services_.pool.idle_count(), 1u);
}

// Route limits apply when there is a route; a phase may choose a cluster without one.
TEST_F(StreamTest, ABodyGoesUpstreamWhenAPhaseChoseAClusterWithoutARoute) {
  behaviour_ = Behaviour::kChooseClusterWithoutRoute;
  BuildStream(/*standard_phases=*/false);
  downstream_.body = {.has_body = true, .length_known = true, .length = 5};
  downstream_.pieces = {"hello"};
  Upstream upstream(acceptor_);
  upstream.response = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
  Start("/anything", acceptor_.local_endpoint().port());
  RunUntilEnded();
  EXPECT_FALSE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.response_status, 200);
  EXPECT_EQ(downstream_.response_body, "ok");
  EXPECT_EQ(observed_.ends, 1);
  EXPECT_EQ(observed_.last.request_body_bytes, 5u);
}

TEST_F(StreamTest, RequestTrailersReachTheTrailerHookOnce) {
  downstream_.body = {.has_body = true};
  downstream_.pieces = {"abc"};
  downstream_.trailers.Add("x-checksum", "c1");
  Upstream upstream(acceptor_);
  upstream.response = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntilEnded();
  EXPECT_EQ(downstream_.response_status, 200);
  EXPECT_EQ(observed_.request_trailers, "x-checksum=c1;");
  EXPECT_EQ(observed_.response_trailers, "");  // the response had none: no hook call
}

TEST_F(StreamTest, ResponseTrailersReachTheTrailerHookBeforeTheBodyEnds) {
  Upstream upstream(acceptor_);
  upstream.response =
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
      "2\r\nok\r\n0\r\ngrpc-status: 0\r\ngrpc-message: fine\r\n\r\n";
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntilEnded();
  EXPECT_EQ(downstream_.response_body, "ok");
  EXPECT_TRUE(downstream_.response_ended);
  EXPECT_EQ(observed_.response_trailers, "grpc-status=0;grpc-message=fine;");
  EXPECT_EQ(observed_.last.end, StreamEnd::kCompleted);
  EXPECT_EQ(observed_.request_trailers, "");
}

TEST_F(StreamTest, APhaseStoppingAtResponseTrailersCutsTheResponse) {
  behaviour_ = Behaviour::kStopAtResponseTrailers;
  Upstream upstream(acceptor_);
  upstream.response =
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
      "2\r\nok\r\n0\r\ngrpc-status: 13\r\n\r\n";
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntilEnded();
  EXPECT_FALSE(downstream_.response_ended);  // the client never sees the body end
  EXPECT_TRUE(result_->close);
  EXPECT_EQ(observed_.ends, 1);
  EXPECT_EQ(observed_.last.end, StreamEnd::kCutByPhase);
}

TEST_F(StreamTest, APhaseWaitsOnATimerWithoutBlocking) {
  behaviour_ = Behaviour::kWaitOnTimer;
  Upstream upstream(acceptor_);
  upstream.response = "HTTP/1.1 204 No Content\r\n\r\n";
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntilEnded();
  EXPECT_EQ(downstream_.response_status, 204);
  EXPECT_EQ(observed_.ends, 1);
  EXPECT_EQ(observed_.last.end, StreamEnd::kCompleted);
}

TEST_F(StreamTest, APendingPhaseTimesOutOnTheSimulatedClock) {
  behaviour_ = Behaviour::kWaitForever;
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntil([this] { return observed_.handle != nullptr; });
  ASSERT_NE(observed_.handle, nullptr);
  Advance(seconds(59));
  RunIdle();  // nothing happens before the deadline
  EXPECT_FALSE(result_.has_value());
  Advance(seconds(2));
  RunUntilEnded();
  ASSERT_TRUE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.local_reply->status, 504);
  EXPECT_EQ(downstream_.local_reply->error, "phase_timeout");
  EXPECT_FALSE(observed_.handle->waiting());
  observed_.handle->Resume(PhaseStatus::kContinue);  // too late: nothing happens
  EXPECT_EQ(observed_.ends, 1);
}

// The route's auth policy asks an authorization service (a cluster on `port`) with
// ext_authz `options`.
std::string ExtAuthzPolicy(uint16_t port, const std::string& options) {
  return "  - {name: authz, protocol: HTTP2, endpoints: [{address: 127.0.0.1, port: " +
         std::to_string(port) +
         "}]}\n"
         "auth_policies:\n"
         "  - {name: opa, ext_authz: {cluster: authz, " +
         options + "}}\n";
}

TEST_F(StreamTest, AnExternalAuthorizationCheckTimesOutOnTheSimulatedClock) {
  // The service accepts the connection and never answers.
  io::Acceptor silent(io_.get_executor(), {net::ip::make_address("127.0.0.1"), 0});
  io::Socket held(io_.get_executor());
  silent.async_accept(held, [](boost::system::error_code) {});
  route_extra_ = ", auth_policy: opa";
  extra_yaml_ = ExtAuthzPolicy(silent.local_endpoint().port(), "timeout: 0.5s");
  Start("/app/x", acceptor_.local_endpoint().port());
  RunIdle();
  Advance(milliseconds(400));
  RunIdle();  // nothing happens before the check's deadline
  EXPECT_FALSE(result_.has_value());
  Advance(milliseconds(200));
  RunUntilEnded();
  ASSERT_TRUE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.local_reply->status, 403);
  EXPECT_EQ(downstream_.local_reply->error, "ext_authz_error");
  EXPECT_EQ(
      services_.metrics.view()
          ->totals->ext_authz_checks[static_cast<size_t>(metrics::ExtAuthzResult::kFailedClosed)]
          .value(),
      1u);
}

TEST_F(StreamTest, AnExternalAuthorizationTimeoutFailsOpenWhenThePolicySaysSo) {
  io::Acceptor silent(io_.get_executor(), {net::ip::make_address("127.0.0.1"), 0});
  io::Socket held(io_.get_executor());
  silent.async_accept(held, [](boost::system::error_code) {});
  Upstream upstream(acceptor_);
  upstream.response = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
  route_extra_ = ", auth_policy: opa";
  extra_yaml_ =
      ExtAuthzPolicy(silent.local_endpoint().port(), "timeout: 0.5s, failure_mode_allow: true");
  Start("/app/x", acceptor_.local_endpoint().port());
  RunIdle();
  EXPECT_FALSE(upstream.accepted);
  Advance(milliseconds(600));
  RunUntilEnded();
  EXPECT_EQ(downstream_.response_status, 200);
  EXPECT_EQ(downstream_.response_body, "ok");
}

TEST_F(StreamTest, ARequestThatEndsFirstCancelsItsExternalAuthorizationCheck) {
  io::Acceptor silent(io_.get_executor(), {net::ip::make_address("127.0.0.1"), 0});
  io::Socket held(io_.get_executor());
  silent.async_accept(held, [](boost::system::error_code) {});
  route_extra_ = ", auth_policy: opa";
  extra_yaml_ = ExtAuthzPolicy(silent.local_endpoint().port(), "timeout: 5s");
  Start("/app/x", acceptor_.local_endpoint().port());
  RunIdle();
  // The route's 2s bounds the whole wait: the phase times out first, and the check is
  // cancelled with it (its call does not outlive the request).
  Advance(milliseconds(2100));
  RunUntilEnded();
  ASSERT_TRUE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.local_reply->error, "phase_timeout");
  RunIdle();
  EXPECT_EQ(
      services_.metrics.view()
          ->totals->ext_authz_checks[static_cast<size_t>(metrics::ExtAuthzResult::kFailedClosed)]
          .value(),
      0u);
  // The call ended: its endpoint has nothing in flight.
  const auto& cluster = stream_->context().config->clusters()[1];
  EXPECT_EQ(services_.endpoints.Find("authz", cluster.endpoints[0].pool_key)->in_flight, 0u);
}

TEST_F(StreamTest, ConnectFailureIsA503AndCountsForTheEndpoint) {
  const uint16_t closed_port = acceptor_.local_endpoint().port();
  acceptor_.close();
  Start("/app/x", closed_port);
  RunUntilEnded();
  ASSERT_TRUE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.local_reply->status, 503);
  EXPECT_EQ(observed_.ends, 1);
  const auto& endpoint = stream_->context().config->clusters()[0].endpoints[0];
  EXPECT_EQ(services_.endpoints.Find("app", endpoint.pool_key)->connect_failures, 1u);
}

TEST_F(StreamTest, RouteTimeoutFiresOnTheSimulatedClock) {
  Upstream upstream(acceptor_);  // accepts, never answers
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntil([&] { return upstream.accepted && upstream.request.size() > 0; });
  Advance(milliseconds(1900));
  RunIdle();
  EXPECT_FALSE(result_.has_value());
  Advance(milliseconds(200));  // past the route's 2 s
  RunUntilEnded();
  ASSERT_TRUE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.local_reply->status, 504);
  EXPECT_EQ(observed_.ends, 1);
  const auto& endpoint = stream_->context().config->clusters()[0].endpoints[0];
  EXPECT_EQ(services_.endpoints.Find("app", endpoint.pool_key)->timeouts, 1u);
}

TEST_F(StreamTest, ClientGoneWhileWaitingOnTheUpstream) {
  Upstream upstream(acceptor_);
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntil([&] { return upstream.accepted && upstream.request.size() > 0; });
  downstream_.reset = true;
  Advance(seconds(1));
  RunUntilEnded();
  EXPECT_FALSE(downstream_.local_reply.has_value());
  EXPECT_TRUE(result_->close);
  EXPECT_EQ(observed_.ends, 1);
  EXPECT_EQ(observed_.last.end, StreamEnd::kClientGone);
}

TEST_F(StreamTest, DeclaredBodyOverTheRouteLimitIs413BeforeAnythingGoesUpstream) {
  route_options_ = ", max_request_body_bytes: 10";
  downstream_.body = {.has_body = true, .length_known = true, .length = 11};
  Upstream upstream(acceptor_);
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntilEnded();
  ASSERT_TRUE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.local_reply->status, 413);
  EXPECT_TRUE(result_->close);
  EXPECT_FALSE(upstream.accepted);
  EXPECT_EQ(observed_.ends, 1);
}

TEST_F(StreamTest, ChunkedBodyCrossingTheRouteLimitIs413) {
  route_options_ = ", max_request_body_bytes: 10";
  downstream_.body = {.has_body = true};
  downstream_.pieces = {"12345678", "12345678"};
  Upstream upstream(acceptor_);
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntilEnded();
  ASSERT_TRUE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.local_reply->status, 413);
  EXPECT_EQ(observed_.ends, 1);
}

TEST_F(StreamTest, TrickledBodyIs408OnTheSimulatedClock) {
  downstream_.body = {.has_body = true};
  downstream_.pieces = {"a"};
  downstream_.body_complete = false;  // then nothing more: well under 1024 bytes/s
  Upstream upstream(acceptor_);
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntil([&] { return upstream.accepted && upstream.request.size() > 0; });
  Advance(seconds(4));
  RunIdle();
  EXPECT_FALSE(result_.has_value());  // still within the grace period
  Advance(seconds(2));
  RunUntilEnded();
  ASSERT_TRUE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.local_reply->status, 408);
  EXPECT_EQ(downstream_.local_reply->message, "the request body arrived too slowly");
  EXPECT_EQ(observed_.ends, 1);
  EXPECT_EQ(observed_.last.request_body_bytes, 1u);
}

TEST_F(StreamTest, StreamingRoutesOptOutOfRateAndIdleLimits) {
  route_options_ = ", request_body_min_bytes_per_second: 0, idle_timeout: 0s";
  downstream_.body = {.has_body = true};
  downstream_.pieces = {"a"};
  downstream_.body_complete = false;
  Upstream upstream(acceptor_);
  Start("/app/x", acceptor_.local_endpoint().port());
  RunUntil([&] { return upstream.accepted && upstream.request.size() > 0; });
  for (int i = 0; i < 10; ++i) Advance(std::chrono::minutes(10));
  RunIdle();
  EXPECT_FALSE(result_.has_value());
  stream_->Abort();  // worker shutdown
  RunUntilEnded();
  EXPECT_EQ(observed_.ends, 1);
  EXPECT_EQ(observed_.last.end, StreamEnd::kClientGone);
}

// gRPC calls: the gateway's own answers are gRPC statuses, and grpc-timeout bounds the
// whole call on the simulated clock.
class GrpcStreamTest : public StreamTest {
 protected:
  void StartCall(const std::string& path, const std::string& grpc_timeout) {
    Start(path, acceptor_.local_endpoint().port());
    // Run has not started yet: the headers are the request's.
    stream_->context().headers.Add("content-type", "application/grpc");
    if (!grpc_timeout.empty()) stream_->context().headers.Add("grpc-timeout", grpc_timeout);
  }
  static std::string Head(Upstream& upstream) {
    return std::string(net::buffers_begin(upstream.request.data()),
                       net::buffers_end(upstream.request.data()));
  }
};

TEST_F(GrpcStreamTest, NoRouteIsAGrpcStatus) {
  StartCall("/pkg.Svc/Missing", "");
  RunUntilEnded();
  ASSERT_TRUE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.local_reply->status, 404);  // UNIMPLEMENTED (http/grpc.h)
  EXPECT_EQ(downstream_.local_reply_format, http::LocalReplyFormat::kGrpc);
}

TEST_F(GrpcStreamTest, GrpcTimeoutBoundsTheCallAndWhatRemainsGoesUpstream) {
  Upstream upstream(acceptor_);  // accepts, never answers
  StartCall("/app/pkg.Svc/Slow", "500m");
  RunUntil([&] { return upstream.accepted && upstream.request.size() > 0; });
  const std::string head = Head(upstream);
  const size_t at = head.find("grpc-timeout: ");
  ASSERT_NE(at, std::string::npos) << head;
  const auto sent = http::ParseGrpcTimeout(head.substr(at + 14, head.find('\r', at) - at - 14));
  ASSERT_TRUE(sent.has_value()) << head;
  EXPECT_LE(*sent, milliseconds(500));
  EXPECT_GT(*sent, milliseconds(400));
  Advance(milliseconds(450));
  RunIdle();
  EXPECT_FALSE(result_.has_value());
  Advance(milliseconds(100));  // past the call's 500 ms, well before the route's 2 s
  RunUntilEnded();
  ASSERT_TRUE(downstream_.local_reply.has_value());
  EXPECT_EQ(downstream_.local_reply->error, "deadline_exceeded");
  EXPECT_EQ(downstream_.local_reply_format, http::LocalReplyFormat::kGrpc);
  EXPECT_EQ(observed_.ends, 1);
}

// A streaming response is bounded too: the deadline cuts it.
TEST_F(GrpcStreamTest, TheDeadlineCutsAResponseInProgress) {
  Upstream upstream(acceptor_);
  upstream.response = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nfirst";
  StartCall("/app/pkg.Svc/Stream", "1S");
  RunUntil([&] { return downstream_.response_body == "first"; });
  ASSERT_EQ(downstream_.response_body, "first");
  Advance(milliseconds(1100));
  RunUntilEnded();
  ASSERT_TRUE(result_.has_value());
  EXPECT_TRUE(result_->close);
  EXPECT_FALSE(downstream_.response_ended);
  EXPECT_EQ(observed_.last.end, StreamEnd::kDeadlineExceeded);
}

TEST_F(GrpcStreamTest, AMalformedGrpcTimeoutIsIgnoredAndNotForwarded) {
  Upstream upstream(acceptor_);
  upstream.response = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
  StartCall("/app/pkg.Svc/Do", "soon");
  RunUntilEnded();
  EXPECT_EQ(downstream_.response_status, 200);
  EXPECT_EQ(Head(upstream).find("grpc-timeout"), std::string::npos) << Head(upstream);
}

}  // namespace
}  // namespace switchyard::proxy
