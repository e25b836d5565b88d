// Upstream failures and timeouts: refused and hanging connects, closes/resets/garbage
// before the response header (local replies), failures mid-response (truncated client
// response, never a clean-looking end), route timeouts, and cleanup of the upstream side
// when the client goes away.
#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/substitute.h"
#include "gtest/gtest.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class UpstreamFailureTest : public ProxyTest {
 protected:
  TestBackend& StartWith(TestBackend::Handler handler, std::string_view route_extra = "",
                         BackendOptions options = {}) {
    TestBackend& b = AddBackend("b", std::move(handler), options);
    started_ = StartProxy(SingleClusterConfig({b.port()}, route_extra));
    return b;
  }
  ::testing::AssertionResult started_ = ::testing::AssertionFailure();
};

// Set by a handler, read by the test. Shared ownership because the backend (and so the
// handler thread) outlives the test body when an assertion returns early.
std::shared_ptr<std::atomic<int>> SharedFlag() { return std::make_shared<std::atomic<int>>(-1); }

std::string ClusterConfig(uint16_t port, const std::string& cluster_extra) {
  return absl::Substitute(R"(
virtual_hosts:
- {name: v, domains: ["*"], routes: [{name: r, match: {prefix: "/"}, route: {cluster: c, timeout: 10s}}]}
clusters:
- {name: c, endpoints: [{address: 127.0.0.1, port: $0}] $1}
)",
                          port, cluster_extra);
}

TEST_F(UpstreamFailureTest, RefusedConnectGives503) {
  RefusingPort refusing;
  ASSERT_TRUE(StartProxy(ClusterConfig(refusing.port(), "")));
  const auto start = Clock::now();
  const Response r = Get("/");
  EXPECT_TRUE(IsLocalReply(r, 503, {"upstream_connect_failed"}));
  EXPECT_LT(Clock::now() - start, seconds(3));
}

TEST_F(UpstreamFailureTest, ConnectTimeoutGives503) {
  BlackholeListener blackhole;
  ASSERT_TRUE(StartProxy(ClusterConfig(blackhole.port(), ", connect_timeout: 0.3s")));
  const auto start = Clock::now();
  const Response r = Get("/");
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(IsLocalReply(r, 503, {"upstream_connect_failed"}));
  EXPECT_GE(elapsed, milliseconds(250)) << "answered before the connect timeout could fire";
  EXPECT_LT(elapsed, seconds(5)) << "connect_timeout 0.3s was not applied";
}

TEST_F(UpstreamFailureTest, CloseBeforeResponseGives502) {
  StartWith([](BackendExchange& ex) { ex.CloseNow(); });
  ASSERT_TRUE(started_);
  EXPECT_TRUE(IsLocalReply(Get("/"), 502, {"upstream_reset"}));
}

TEST_F(UpstreamFailureTest, ResetBeforeResponseGives502) {
  StartWith([](BackendExchange& ex) { ex.ResetNow(); });
  ASSERT_TRUE(started_);
  EXPECT_TRUE(IsLocalReply(Get("/"), 502, {"upstream_reset"}));
}

TEST_F(UpstreamFailureTest, CloseInsideResponseHeaderGives502) {
  StartWith([](BackendExchange& ex) {
    ex.Send("HTTP/1.1 200 OK\r\nContent-Len");
    ex.CloseNow();
  });
  ASSERT_TRUE(started_);
  // Both descriptions fit: the upstream closed, leaving an incomplete header.
  EXPECT_TRUE(IsLocalReply(Get("/"), 502, {"upstream_reset", "upstream_protocol_error"}));
}

TEST_F(UpstreamFailureTest, GarbageResponseGives502AndConnectionIsDropped) {
  auto proxy_closed = SharedFlag();
  StartWith([proxy_closed](BackendExchange& ex) {
    ex.Send("SSH-2.0-OpenSSH_9.2\r\nnot http at all\r\n\r\n");
    // Stay open: a connection that spoke garbage must not go back to the pool.
    *proxy_closed = ex.WaitForPeerClose(seconds(5)) ? 1 : 0;
  });
  ASSERT_TRUE(started_);
  EXPECT_TRUE(IsLocalReply(Get("/"), 502, {"upstream_protocol_error"}));
  EXPECT_TRUE(PollUntil([&] { return proxy_closed->load() >= 0; }, seconds(10)));
  EXPECT_EQ(proxy_closed->load(), 1) << "the proxy kept a garbage-speaking upstream connection";
}

TEST_F(UpstreamFailureTest, AmbiguousResponseFramingGives502) {
  StartWith([](BackendExchange& ex) {
    if (ex.request().target == "/two-lengths") {
      ex.Send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
    } else {
      ex.Send(
          "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
          "0\r\n\r\n");
    }
    ex.CloseNow();
  });
  ASSERT_TRUE(started_);
  EXPECT_TRUE(IsLocalReply(Get("/two-lengths"), 502, {"upstream_protocol_error"}));
  EXPECT_TRUE(IsLocalReply(Get("/cl-and-te"), 502, {"upstream_protocol_error"}));
}

TEST_F(UpstreamFailureTest, CloseMidBodyTruncatesTheClientResponse) {
  StartWith([](BackendExchange& ex) {
    ex.SendHead(200, {{"Content-Length", "1000000"}});
    ex.SendPatternBody(100000, false);
    ex.CloseNow();
  });
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  const Response r = client.RoundTrip(SimpleGet("/"));
  EXPECT_EQ(r.status, 200) << r.DebugString();
  EXPECT_FALSE(r.complete) << "a truncated upstream body arrived as a complete response";
  EXPECT_LE(r.body_bytes, 100000u);
  EXPECT_TRUE(client.WaitForClose(seconds(5)).closed);
}

TEST_F(UpstreamFailureTest, CloseMidChunkedBodyIsNotTurnedIntoACleanEnd) {
  StartWith([](BackendExchange& ex) {
    ex.SendHead(200, {{"Transfer-Encoding", "chunked"}});
    ex.SendPatternBody(100000, /*chunked=*/true, /*finish_chunked=*/false);
    ex.CloseNow();
  });
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  const Response r = client.RoundTrip(SimpleGet("/"));
  EXPECT_EQ(r.status, 200) << r.DebugString();
  EXPECT_FALSE(r.complete) << "the proxy ended a truncated chunked body cleanly";
  EXPECT_TRUE(client.WaitForClose(seconds(5)).closed);
}

TEST_F(UpstreamFailureTest, ResetMidBodyTruncatesTheClientResponse) {
  StartWith([](BackendExchange& ex) {
    ex.SendHead(200, {{"Content-Length", "1000000"}});
    ex.SendPatternBody(10000, false);
    ex.ResetNow();
  });
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  const Response r = client.RoundTrip(SimpleGet("/"));
  EXPECT_EQ(r.status, 200) << r.DebugString();
  EXPECT_FALSE(r.complete);
  EXPECT_TRUE(client.WaitForClose(seconds(5)).closed);
}

TEST_F(UpstreamFailureTest, RouteTimeoutGives504AndDropsTheUpstreamConnection) {
  auto proxy_closed = SharedFlag();
  StartWith(
      [proxy_closed](BackendExchange& ex) {
        if (ex.request().target == "/slow") {
          const bool closed = ex.WaitForPeerClose(seconds(2));
          *proxy_closed = closed ? 1 : 0;
          // If the proxy kept the connection, this late answer would be handed to whoever
          // uses the connection next.
          if (!closed) ex.Reply(200, "stale");
          return;
        }
        ex.Reply(200, "fast");
      },
      "timeout: 0.3s");
  ASSERT_TRUE(started_);
  const auto start = Clock::now();
  const Response r = Get("/slow");
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(IsLocalReply(r, 504, {"upstream_timeout"}));
  EXPECT_GE(elapsed, milliseconds(250));
  EXPECT_LT(elapsed, seconds(2)) << "route timeout 0.3s did not fire in time";
  // The next request must get its own answer, not the late one.
  const Response next = Get("/fast");
  ASSERT_TRUE(next.ok()) << next.DebugString();
  EXPECT_EQ(next.body, "fast");
  EXPECT_TRUE(PollUntil([&] { return proxy_closed->load() >= 0; }, seconds(10)));
  EXPECT_EQ(proxy_closed->load(), 1) << "the timed-out upstream connection was kept open";
}

TEST_F(UpstreamFailureTest, RouteTimeoutDoesNotCutAStreamingBody) {
  StartWith(
      [](BackendExchange& ex) {
        ex.SendHead(200, {{"Content-Length", "50"}});
        // The header arrived in time; the body takes longer than the route timeout.
        for (int i = 0; i < 5; ++i) {
          ex.Delay(milliseconds(200));
          ex.Send("0123456789");
        }
      },
      "timeout: 0.4s");
  ASSERT_TRUE(started_);
  const Response r = Get("/");
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "01234567890123456789012345678901234567890123456789");
}

TEST_F(UpstreamFailureTest, ClientDisconnectWhileWaitingClosesUpstream) {
  auto proxy_closed = SharedFlag();
  TestBackend& b = StartWith([proxy_closed](BackendExchange& ex) {
    *proxy_closed = ex.WaitForPeerClose(seconds(10)) ? 1 : 0;
  });
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  ASSERT_TRUE(client.Send(SimpleGet("/wait")));
  ASSERT_TRUE(b.WaitForRequests(1, seconds(5)));
  // A reset, not a FIN: a FIN could be a client that half-closed and still wants the
  // answer, a reset cannot.
  client.Reset();
  EXPECT_TRUE(PollUntil([&] { return proxy_closed->load() >= 0; }, seconds(15)));
  EXPECT_EQ(proxy_closed->load(), 1) << "upstream request kept running after the client left";
}

TEST_F(UpstreamFailureTest, ClientAbortMidUploadAbortsUpstreamRequest) {
  auto outcome = SharedFlag();  // 0: body completed or stayed open (wrong), 1: aborted
  TestBackend& b = StartWith(
      [outcome](BackendExchange& ex) {
        ex.StreamBody([](std::string_view) {});
        *outcome = !ex.body_complete() && ex.WaitForPeerClose(seconds(5)) ? 1 : 0;
      },
      "", {.read_body_first = false});
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  ASSERT_TRUE(client.Send(BuildRequest("POST", "/up",
                                       {{"Host", "example.com"}, {"Content-Length", "1000000"}},
                                       std::string(1000, 'x'))));
  ASSERT_TRUE(b.WaitForRequests(1, seconds(5)));
  client.Reset();
  EXPECT_TRUE(PollUntil([&] { return outcome->load() >= 0; }, seconds(15)));
  EXPECT_EQ(outcome->load(), 1) << "the upstream saw a complete body or stayed connected";
  EXPECT_EQ(b.completed_request_count(), 0u);
}

TEST_F(UpstreamFailureTest, UpstreamClosedIdleConnectionIsNotReused) {
  // The backend closes every connection right after its response, without announcing it
  // (no "Connection: close"). A pooled connection it closed must not cost a request.
  TestBackend& b = AddBackend("b", [](BackendExchange& ex) {
    ex.Reply(200, "ok");
    ex.set_keep_alive(false);
  });
  ASSERT_TRUE(StartProxy(SingleClusterConfig({b.port()}), {"--workers=1"}));
  RawClient client = Connect();
  for (int i = 0; i < 5; ++i) {
    const Response r = client.RoundTrip(SimpleGet("/" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << "request " << i << ": " << r.DebugString();
    EXPECT_EQ(r.status, 200) << "request " << i << ": " << r.DebugString();
    EXPECT_EQ(r.body, "ok");
    // The backend side is closed (FIN sent) before the next request is made.
    ASSERT_TRUE(b.WaitForConnectionsClosed(seconds(5)));
  }
  EXPECT_EQ(b.request_count(), 5u);
}

}  // namespace
}  // namespace switchyard::testing
