// The control plane dies (SIGKILL) and comes back while load flows through HAProxy to
// three proxies: no request fails, the proxies notice the loss, reconnect to the
// restarted control plane and take a change applied after the restart. While it is down,
// a proxy restarted with its snapshot cache boots and serves, and a proxy with no cache
// stays unready (/ready 503) until the control plane is back.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/support/components.h"
#include "tests/e2e/support/e2e_test.h"
#include "tests/e2e/support/load_generator.h"

namespace switchyard::e2e {
namespace {

class ControlPlaneOutageTest : public E2eTest {
 protected:
  std::string Config(const std::string& cluster) {
    return SnapshotYaml({{"svc", "prefix: /svc/", cluster}},
                        {{"a", {a_->port()}}, {"b", {b_->port()}}});
  }

  static bool Connected(const DynamicProxy& p) {
    const auto stats = p.Stats();
    return stats && stats->contains("discovery") && (*stats)["discovery"].value("connected", false);
  }

  static std::string DiscoveryJson(const DynamicProxy& p) {
    const auto stats = p.Stats();
    return stats ? stats->dump() : "(no answer from the admin port)";
  }

  TestBackend* a_ = nullptr;
  TestBackend* b_ = nullptr;
};

double MillisSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

TEST_F(ControlPlaneOutageTest, ProxiesServeThroughKillAndRestartThenReconnect) {
  a_ = &AddBackend("A");
  b_ = &AddBackend("B");
  ASSERT_TRUE(StartControlPlane());
  uint64_t v1 = 0;
  ASSERT_TRUE(Apply(Config("a"), &v1));
  ASSERT_TRUE(StartProxies(3));
  ASSERT_TRUE(WaitForVersion(v1, std::chrono::seconds(10)));
  ASSERT_TRUE(StartHaproxy());
  std::vector<DynamicProxy*> served = {&proxy(0), &proxy(1), &proxy(2)};
  for (DynamicProxy* p : served) {
    ASSERT_TRUE(PollUntil([&] { return Connected(*p); }, std::chrono::seconds(10)))
        << p->node_id() << ": " << DiscoveryJson(*p);
  }

  // A replica that ran once while the control plane was up, so its cache holds v1.
  DynamicProxy::Options returning_options;
  returning_options.node_id = "proxy-returning";
  returning_options.control_plane = control().address();
  returning_options.snapshot_cache = dir() + "/proxy-returning.cache";
  DynamicProxy& returning = AddProxy(returning_options);
  std::string error;
  ASSERT_TRUE(returning.Start(&error)) << error;
  ASSERT_TRUE(WaitForVersion(v1, std::chrono::seconds(10), {&returning}));
  returning.Stop();

  LoadGenerator::Options load_options;
  load_options.port = haproxy().port();
  load_options.targets = {"/svc/1", "/svc/2", "/svc/3?x=y"};
  load_options.threads = 4;
  load_options.requests_per_second = 150;
  LoadGenerator load(load_options);
  load.Start();
  ASSERT_TRUE(PollUntil([&] { return load.counts().ok >= 200; }, std::chrono::seconds(20)))
      << load.Report();

  // SIGKILL: no goodbye on the streams.
  const auto killed_at = Clock::now();
  control().Kill();
  for (DynamicProxy* p : served) {
    EXPECT_TRUE(PollUntil([&] { return !Connected(*p); }, std::chrono::seconds(30)))
        << p->node_id()
        << " still reports connected to a dead control plane: " << DiscoveryJson(*p);
  }
  // At least ~2 s of load (600 requests/s) with the control plane down.
  const uint64_t ok_at_kill = load.counts().ok;
  ASSERT_TRUE(
      PollUntil([&] { return load.counts().ok >= ok_at_kill + 1200; }, std::chrono::seconds(30)))
      << "the load stalled while the control plane was down: " << load.Report();

  // Booting with the control plane down: from the cache...
  ASSERT_TRUE(returning.Start(&error)) << "a proxy with a cached snapshot must boot and become "
                                          "ready without the control plane: "
                                       << error;
  EXPECT_EQ(returning.Version(), v1) << DiscoveryJson(returning);
  {
    const Response r = returning.Get("/svc/from-cache");
    EXPECT_TRUE(r.complete && r.status == 200 && BackendOf(r) == "A") << Summary(r);
  }
  // ...or, with no cache, not ready until there is a snapshot.
  DynamicProxy::Options cold_options;
  cold_options.node_id = "proxy-cold";
  cold_options.control_plane = control().address();
  DynamicProxy& cold = AddProxy(cold_options);
  ASSERT_TRUE(cold.Start(&error, /*wait_ready=*/false)) << error;
  EXPECT_EQ(cold.ReadyStatus(), 503);
  {
    const Response r = cold.Get("/svc/cold");
    EXPECT_FALSE(r.complete && r.status == 200)
        << "a proxy with no snapshot served: " << Summary(r);
  }

  // Back, on the same port with the same store.
  ASSERT_TRUE(control().Start(&error)) << error;
  const auto restarted_at = Clock::now();
  const double outage_ms =
      std::chrono::duration<double, std::milli>(restarted_at - killed_at).count();
  ASSERT_TRUE(PollUntil([&] { return cold.ReadyStatus() == 200; }, std::chrono::seconds(30)))
      << "the proxy without a cache did not become ready once the control plane was back: "
      << DiscoveryJson(cold);
  EXPECT_EQ(cold.Version(), v1);

  // Reconnected, as the control plane sees it (the proxies' streams are open again)...
  std::vector<DynamicProxy*> all = served;
  all.push_back(&returning);
  all.push_back(&cold);
  nlohmann::json status;
  const bool reconnected = PollUntil(
      [&] {
        auto s = yardctl().StatusJson();
        if (!s || !s->contains("proxies")) return false;
        status = *s;
        for (DynamicProxy* p : all) {
          bool connected = false;
          for (const auto& e : status["proxies"]) {
            if (e.value("node_id", "") == p->node_id()) connected = e.value("connected", false);
          }
          if (!connected) return false;
        }
        return true;
      },
      std::chrono::seconds(30));
  const double reconnect_ms = MillisSince(restarted_at);
  EXPECT_TRUE(reconnected) << "yardctl status does not show every proxy connected again: "
                           << status.dump(2);
  // ...and as each proxy reports it in /stats.
  for (DynamicProxy* p : all) {
    EXPECT_TRUE(PollUntil([&] { return Connected(*p); }, std::chrono::seconds(2)))
        << p->node_id()
        << " does not show connected again in /stats, although the control plane lists its "
           "stream as connected: "
        << DiscoveryJson(*p);
  }

  // A change made after the restart reaches every proxy.
  uint64_t v2 = 0;
  ASSERT_TRUE(Apply(Config("b"), &v2));
  const auto applied_at = Clock::now();
  ASSERT_TRUE(WaitForVersion(v2, std::chrono::seconds(30), all));
  const double arrive_ms = MillisSince(applied_at);
  for (DynamicProxy* p : all) {
    const Response r = p->Get("/svc/after-restart");
    EXPECT_TRUE(r.complete && r.status == 200 && BackendOf(r) == "B")
        << p->node_id() << ": " << Summary(r);
  }
  ASSERT_TRUE(PollUntil([&] { return BackendOf(HttpGet(haproxy().port(), "/svc/lb")) == "B"; },
                        std::chrono::seconds(5)));

  load.Stop();
  const LoadGenerator::Counts counts = load.counts();
  std::printf(
      "[control plane outage] control plane down for %.0f ms; all proxies connected again (as "
      "yardctl status shows) within %.0f ms of the restart; change after the restart on all %zu "
      "proxies in %.0f ms\n"
      "[control plane outage] load through HAProxy: %s\n",
      outage_ms, reconnect_ms, all.size(), arrive_ms, load.Report().c_str());
  std::fflush(stdout);
  EXPECT_EQ(counts.failed(), 0u) << load.Report();
  EXPECT_EQ(counts.requests, counts.ok) << load.Report();
  EXPECT_GT(counts.ok, ok_at_kill + 1200);
}

}  // namespace
}  // namespace switchyard::e2e
