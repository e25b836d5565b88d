// A request pins the snapshot it started with: a slow request routed by version N to
// backend A still completes from A after version N+1 moved the route to backend B, while
// new requests already go to B; and the old snapshot is freed once that request ends
// (the proxy's /stats snapshots_alive goes back to 1), even with its client connection
// still open. A WebSocket tunnel, likewise, outlives any number of swaps.
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/e2e/support/components.h"
#include "tests/e2e/support/e2e_test.h"
#include "tests/support/http_message.h"
#include "tests/support/raw_client.h"

namespace switchyard::e2e {
namespace {

using ::switchyard::testing::RawClient;
using ::switchyard::testing::ReadOptions;
using ::switchyard::testing::SimpleGet;

// Shared with the backend's connection threads, so it outlives an early-returning test.
struct SlowState {
  std::atomic<int> started{0};
  std::atomic<bool> release{false};
};

class SnapshotSwapTest : public E2eTest {
 protected:
  std::string Config(const std::string& cluster) {
    return SnapshotYaml({{"all", "prefix: /", cluster}},
                        {{"a", {a_->port()}}, {"b", {b_->port()}}});
  }
  // Backends A and B, a control plane serving one route to A (Config("a")), and one proxy
  // with one worker running that version.
  void StartWithEverythingOnA() {
    a_ = &AddBackend("A");
    b_ = &AddBackend("B");
    ASSERT_TRUE(StartControlPlane());
    uint64_t v1 = 0;
    ASSERT_TRUE(Apply(Config("a"), &v1));
    ASSERT_TRUE(StartProxies(1, {"--workers=1"}));
    ASSERT_TRUE(WaitForVersion(v1, std::chrono::seconds(10)));
  }
  uint64_t SnapshotsAlive() {
    const auto stats = proxy(0).Stats();
    return stats ? JsonUint(*stats, "snapshots_alive") : 0;
  }

  TestBackend* a_ = nullptr;
  TestBackend* b_ = nullptr;
};

TEST_F(SnapshotSwapTest, InFlightRequestFinishesOnOldSnapshotWhichIsThenFreed) {
  auto slow = std::make_shared<SlowState>();
  a_ = &AddBackend("A", [slow](BackendExchange& ex) {
    if (ex.request().target.rfind("/slow", 0) == 0) {
      ++slow->started;
      ex.WaitUntil([&] { return slow->release.load(); }, std::chrono::seconds(60));
      ex.Reply(200, "A-slow", {{"x-backend", "A"}});
      return;
    }
    ex.Reply(200, "A", {{"x-backend", "A"}});
  });
  b_ = &AddBackend("B");
  ASSERT_TRUE(StartControlPlane());
  uint64_t v1 = 0;
  ASSERT_TRUE(Apply(Config("a"), &v1));
  ASSERT_TRUE(StartProxies(1));
  ASSERT_TRUE(WaitForVersion(v1, std::chrono::seconds(10)));
  ASSERT_TRUE(PollUntil([&] { return SnapshotsAlive() == 1; }, std::chrono::seconds(5)))
      << "snapshots_alive with one version installed: " << SnapshotsAlive();

  // The slow request, routed by v1 to A, held there by the backend.
  RawClient slow_client(proxy(0).port());
  ASSERT_TRUE(slow_client.connected());
  const auto slow_sent = Clock::now();
  ASSERT_TRUE(slow_client.Send(SimpleGet("/slow/1", std::string(kHost))));
  ASSERT_TRUE(PollUntil([&] { return slow->started.load() == 1; }, std::chrono::seconds(10)))
      << "the slow request did not reach backend A";

  // v2 moves everything to B.
  uint64_t v2 = 0;
  ASSERT_TRUE(Apply(Config("b"), &v2));
  ASSERT_TRUE(WaitForVersion(v2, std::chrono::seconds(10)));
  {
    const Response r = proxy(0).Get("/fast/1");
    EXPECT_TRUE(r.complete && r.status == 200 && BackendOf(r) == "B")
        << "a new request must use v2: " << Summary(r);
    const Response same_path = proxy(0).Get("/slow/2");
    EXPECT_TRUE(same_path.complete && BackendOf(same_path) == "B")
        << "a new request on the slow path must use v2: " << Summary(same_path);
  }
  // Both versions are alive: v2 for new requests, v1 pinned by the request in flight.
  const uint64_t alive_during = SnapshotsAlive();
  EXPECT_EQ(alive_during, 2u);
  EXPECT_EQ(slow->started.load(), 1) << "the slow path was sent to A again";

  slow->release = true;
  const ReadOptions read{.timeout = std::chrono::seconds(10)};
  const Response finished = slow_client.ReadResponse(read);
  const double slow_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - slow_sent).count();
  ASSERT_TRUE(finished.complete) << Summary(finished);
  EXPECT_EQ(finished.status, 200);
  EXPECT_EQ(BackendOf(finished), "A") << "the request must finish where v1 sent it";
  EXPECT_EQ(finished.body, "A-slow");

  // v1 is freed when its last request ends, although the client keeps the connection.
  const auto finished_at = Clock::now();
  const bool freed = PollUntil([&] { return SnapshotsAlive() == 1; }, std::chrono::seconds(5));
  const double freed_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - finished_at).count();
  EXPECT_TRUE(freed) << "snapshots_alive stays at " << SnapshotsAlive()
                     << " after the last request on the old snapshot ended";
  // The next request on that same connection is routed by v2.
  const Response next = slow_client.RoundTrip(SimpleGet("/slow/3", std::string(kHost)), read);
  EXPECT_TRUE(next.complete && BackendOf(next) == "B") << Summary(next);

  std::printf(
      "[snapshot swap] slow request on v%llu lasted %.0f ms across the swap to v%llu; "
      "snapshots alive during: %llu; old snapshot freed %.1f ms after the request ended\n",
      static_cast<unsigned long long>(v1), slow_ms, static_cast<unsigned long long>(v2),
      static_cast<unsigned long long>(alive_during), freed_ms);
}

// A WebSocket tunnel pinned its snapshot like any request (docs/websocket.md): versions
// that move its route elsewhere and stop tunnelling leave it open and working, while new
// requests follow the new version.
TEST_F(SnapshotSwapTest, AnOpenWebSocketTunnelOutlivesConfigSwaps) {
  using ::switchyard::testing::Deadline;
  using ::switchyard::testing::IoStatus;
  using ::switchyard::testing::Socket;
  a_ = &AddBackend("A", [](BackendExchange& ex) {
    if (ex.request().headers.Joined("upgrade").empty()) {
      ex.Reply(200, "A", {{"x-backend", "A"}});
      return;
    }
    ex.SendHead(101, {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}});
    Socket& socket = ex.raw_socket();
    for (;;) {  // echo until the proxy ends the tunnel
      std::string data;
      if (socket.ReadSome(&data, size_t{64} * 1024, Deadline::After(std::chrono::seconds(30))) !=
          IoStatus::kOk) {
        break;
      }
      if (socket.WriteAll(data, Deadline::After(std::chrono::seconds(10))) != IoStatus::kOk) {
        break;
      }
    }
    ex.CloseNow();
  });
  b_ = &AddBackend("B");
  ASSERT_TRUE(StartControlPlane());
  uint64_t v1 = 0;
  ASSERT_TRUE(Apply(SnapshotYaml({{"all", "prefix: /", "a, websocket: true"}},
                                 {{"a", {a_->port()}}, {"b", {b_->port()}}}),
                    &v1));
  ASSERT_TRUE(StartProxies(1, {"--workers=1"}));
  ASSERT_TRUE(WaitForVersion(v1, std::chrono::seconds(10)));

  RawClient tunnel(proxy(0).port());
  ASSERT_TRUE(tunnel.connected());
  ASSERT_TRUE(tunnel.Send("GET /chat HTTP/1.1\r\nHost: " + std::string(kHost) +
                          "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"));
  const Response accepted = tunnel.ReadResponse({.stop_at_interim = true});
  ASSERT_EQ(accepted.status, 101) << Summary(accepted);
  const auto echo = [&tunnel](const std::string& bytes) {
    if (!tunnel.Send(bytes)) return std::string("<send failed>");
    std::string got;
    while (got.size() < bytes.size()) {
      const std::string more = tunnel.ReadAvailable(std::chrono::seconds(10));
      if (more.empty()) break;
      got += more;
    }
    return got;
  };
  EXPECT_EQ(echo("before"), "before");

  for (int swap = 0; swap < 3; ++swap) {
    uint64_t version = 0;
    ASSERT_TRUE(Apply(Config(swap % 2 == 0 ? "b" : "a"), &version));  // no tunnelling
    ASSERT_TRUE(WaitForVersion(version, std::chrono::seconds(10)));
    EXPECT_EQ(echo("after swap " + std::to_string(swap)), "after swap " + std::to_string(swap));
  }
  const Response next = proxy(0).Get("/x");
  EXPECT_TRUE(next.complete && BackendOf(next) == "B") << Summary(next);
}

// A swap keeps the upstream connections of endpoints that remain: the proxy's pooled
// keep-alive connection to A is reused after a swap that renames A's cluster and changes
// every route, so A never sees a second connection.
TEST_F(SnapshotSwapTest, PooledUpstreamConnectionsSurviveASwap) {
  ASSERT_NO_FATAL_FAILURE(StartWithEverythingOnA());

  RawClient client(proxy(0).port());
  ASSERT_TRUE(client.connected());
  const ReadOptions read{.timeout = std::chrono::seconds(10)};
  const Response before = client.RoundTrip(SimpleGet("/one", std::string(kHost)), read);
  ASSERT_TRUE(before.complete && BackendOf(before) == "A") << Summary(before);
  ASSERT_EQ(a_->connections_accepted(), 1);

  // v2: different routes, A's endpoint under a new cluster name.
  uint64_t v2 = 0;
  ASSERT_TRUE(Apply(SnapshotYaml({{"other", "prefix: /other/", "b"}, {"rest", "prefix: /", "a2"}},
                                 {{"a2", {a_->port()}}, {"b", {b_->port()}}}),
                    &v2));
  ASSERT_TRUE(WaitForVersion(v2, std::chrono::seconds(10)));

  const Response after = client.RoundTrip(SimpleGet("/two", std::string(kHost)), read);
  ASSERT_TRUE(after.complete && BackendOf(after) == "A") << Summary(after);
  EXPECT_EQ(a_->request_count(), 2u);
  EXPECT_EQ(a_->connections_accepted(), 1)
      << "the swap dropped the pooled upstream connection to an endpoint that remained";
  // And the client's own connection was never touched either: both requests used it.
  EXPECT_TRUE(client.connected());
}

// A swap that removes an endpoint closes the proxy's idle pooled connections to it, rather
// than leaving them open (in CLOSE_WAIT once the upstream gives up) for as long as the
// proxy runs.
TEST_F(SnapshotSwapTest, IdleConnectionsToRemovedEndpointsAreClosed) {
  ASSERT_NO_FATAL_FAILURE(StartWithEverythingOnA());
  const ReadOptions read{.timeout = std::chrono::seconds(10)};
  {
    RawClient client(proxy(0).port());
    const Response r = client.RoundTrip(SimpleGet("/one", std::string(kHost)), read);
    ASSERT_TRUE(r.complete && BackendOf(r) == "A") << Summary(r);
  }
  ASSERT_TRUE(PollUntil([&] { return a_->open_connections() == 1; }, std::chrono::seconds(5)))
      << "the proxy did not keep its upstream connection to A";

  uint64_t v2 = 0;
  ASSERT_TRUE(Apply(SnapshotYaml({{"all", "prefix: /", "b"}}, {{"b", {b_->port()}}}), &v2));
  ASSERT_TRUE(WaitForVersion(v2, std::chrono::seconds(10)));
  EXPECT_TRUE(PollUntil([&] { return a_->open_connections() == 0; }, std::chrono::seconds(5)))
      << "the idle connection to the removed endpoint A stayed open";
  RawClient client(proxy(0).port());
  const Response r = client.RoundTrip(SimpleGet("/two", std::string(kHost)), read);
  EXPECT_TRUE(r.complete && BackendOf(r) == "B") << Summary(r);
}

}  // namespace
}  // namespace switchyard::e2e
