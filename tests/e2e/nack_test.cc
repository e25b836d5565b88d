// A snapshot the proxies cannot take (more routes than their --max_routes) is NACKed:
// each proxy keeps serving the version it runs, the control plane records the rejection
// (shown by `yardctl status -o json`) and never sends that version again, neither on the
// open stream nor after a reconnect; the next valid version is taken as usual.
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/support/components.h"
#include "tests/e2e/support/e2e_test.h"

namespace switchyard::e2e {
namespace {

constexpr int kMaxRoutes = 4;
constexpr int kProxies = 2;

class NackTest : public E2eTest {
 protected:
  // `extra_routes` more routes beyond the three every version has; /app/ goes to `app`.
  std::string Config(const std::string& app, int extra_routes) {
    std::vector<RouteSpec> routes = {
        {"app", "prefix: /app/", app},
        {"health", "path: /health", "a"},
        {"other", "prefix: /other/", "b"},
    };
    for (int i = 0; i < extra_routes; ++i) {
      routes.push_back({"extra" + std::to_string(i), "path: /extra/" + std::to_string(i), "a"});
    }
    return SnapshotYaml(routes, {{"a", {a_->port()}}, {"b", {b_->port()}}});
  }

  // The proxy's entry in `yardctl status -o json`, or null.
  static nlohmann::json ProxyEntry(const nlohmann::json& status, const std::string& node_id) {
    if (!status.contains("proxies") || !status["proxies"].is_array()) return nullptr;
    for (const auto& p : status["proxies"]) {
      if (p.value("node_id", "") == node_id) return p;
    }
    return nullptr;
  }

  // The proxy's /stats "discovery" object (empty when the proxy does not answer).
  static nlohmann::json Discovery(const DynamicProxy& p) {
    const auto stats = p.Stats();
    if (!stats || !stats->contains("discovery")) return nlohmann::json::object();
    return (*stats)["discovery"];
  }

  // For 3 s, every proxy keeps running `good` and its NACK count stays at `expected`.
  // Reports the first violation (with the proxy's discovery stats) and stops looking.
  ::testing::AssertionResult NothingResent(const std::vector<uint64_t>& expected, uint64_t good,
                                           const std::string& when) {
    const auto until = Clock::now() + std::chrono::seconds(3);
    while (Clock::now() < until) {
      for (size_t i = 0; i < proxy_count(); ++i) {
        const nlohmann::json d = Discovery(proxy(i));
        if (JsonUint(d, "nacks") != expected[i] || proxy(i).Version() != good) {
          return ::testing::AssertionFailure()
                 << proxy(i).node_id() << " was sent the rejected version again " << when
                 << " (expected " << expected[i] << " NACKs, version " << good << "): " << d.dump();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return ::testing::AssertionSuccess();
  }

  TestBackend* a_ = nullptr;
  TestBackend* b_ = nullptr;
};

TEST_F(NackTest, RejectedSnapshotIsNotServedNotResentAndShownByStatus) {
  a_ = &AddBackend("A");
  b_ = &AddBackend("B");
  ASSERT_TRUE(StartControlPlane());
  uint64_t good = 0;
  ASSERT_TRUE(Apply(Config("a", 0), &good));
  ASSERT_TRUE(StartProxies(kProxies, {"--max_routes=" + std::to_string(kMaxRoutes)}));
  ASSERT_TRUE(WaitForVersion(good, std::chrono::seconds(10)));
  for (size_t i = 0; i < proxy_count(); ++i) {
    EXPECT_EQ(BackendOf(proxy(i).Get("/app/1")), "A");
  }

  // Valid for the control plane (it stores it), too big for the proxies. It also moves
  // /app/ to B, so serving it would show.
  uint64_t rejected = 0;
  ASSERT_TRUE(Apply(Config("b", kMaxRoutes), &rejected));
  ASSERT_GT(rejected, good);

  for (size_t i = 0; i < proxy_count(); ++i) {
    DynamicProxy& p = proxy(i);
    ASSERT_TRUE(
        PollUntil([&] { return JsonUint(Discovery(p), "nacks") >= 1; }, std::chrono::seconds(10)))
        << p.node_id() << " never NACKed version " << rejected
        << "; /stats discovery: " << Discovery(p).dump();
    const nlohmann::json d = Discovery(p);
    EXPECT_EQ(JsonUint(d, "nacks"), 1u) << d.dump();
    EXPECT_NE(d.value("last_nack_error", "").find("route"), std::string::npos)
        << "the NACK should say the snapshot has too many routes: " << d.dump();
    EXPECT_EQ(p.Version(), good) << "the proxy must keep running the last good version";
    EXPECT_EQ(JsonUint(d, "running_version"), good) << d.dump();
    const Response r = p.Get("/app/2");
    EXPECT_TRUE(r.complete && r.status == 200 && BackendOf(r) == "A")
        << "requests must still be routed by version " << good << ": " << Summary(r);
    const Response extra = p.Get("/extra/0");
    EXPECT_EQ(extra.status, 404) << "a route only the rejected version has: " << Summary(extra);
  }

  // The rejection is recorded per proxy, with the version and the proxy's error text.
  std::string status_error;
  nlohmann::json status;
  const bool shown = PollUntil(
      [&] {
        auto s = yardctl().StatusJson(&status_error);
        if (!s) return false;
        status = *s;
        for (size_t i = 0; i < proxy_count(); ++i) {
          const nlohmann::json e = ProxyEntry(status, proxy(i).node_id());
          if (e.is_null() || JsonUint(e, "last_rejected_version") != rejected) return false;
        }
        return true;
      },
      std::chrono::seconds(10));
  ASSERT_TRUE(shown) << "yardctl status -o json does not show the rejection of version " << rejected
                     << ": " << (status.is_null() ? status_error : status.dump(2));
  EXPECT_EQ(JsonUint(status, "current_version"), rejected) << status.dump(2);
  for (size_t i = 0; i < proxy_count(); ++i) {
    const nlohmann::json e = ProxyEntry(status, proxy(i).node_id());
    EXPECT_EQ(JsonUint(e, "running_version"), good) << e.dump();
    EXPECT_NE(e.value("last_rejected_error", "").find("route"), std::string::npos) << e.dump();
  }
  std::printf("[nack] yardctl status -o json after the rejection:\n%s\n", status.dump(2).c_str());

  // Never re-sent on the open stream: the NACK count stays at one. (Watching for
  // something that must not happen needs a span of time; 3 s is many stream round trips.)
  std::vector<uint64_t> expected_nacks(proxy_count(), 1);
  EXPECT_TRUE(NothingResent(expected_nacks, good, "on the open stream"));

  // Nor when a proxy reconnects: restart the second proxy (same node id, boots from its
  // cache at the good version) and wait until the control plane has its new stream.
  const std::string since_before =
      ProxyEntry(status, proxy(1).node_id()).value("connected_since", "");
  proxy(1).Stop();
  std::string error;
  ASSERT_TRUE(proxy(1).Start(&error)) << error;
  ASSERT_EQ(proxy(1).Version(), good) << "the restarted proxy should boot from its cache";
  ASSERT_TRUE(PollUntil(
      [&] {
        auto s = yardctl().StatusJson();
        if (!s) return false;
        const nlohmann::json e = ProxyEntry(*s, proxy(1).node_id());
        return !e.is_null() && e.value("connected", false) &&
               e.value("connected_since", "") != since_before;
      },
      std::chrono::seconds(30)))
      << "the restarted proxy does not show up connected in yardctl status";
  expected_nacks[1] = 0;  // a new process counts from zero
  EXPECT_TRUE(NothingResent(expected_nacks, good, "after the proxy reconnected"));

  // Nor after the control plane restarts (same store, same port): wait until it sees every
  // proxy connected again.
  control().Stop();
  ASSERT_TRUE(control().Start(&error)) << error;
  const bool reconnected = PollUntil(
      [&] {
        auto s = yardctl().StatusJson();
        if (!s) return false;
        status = *s;
        for (size_t i = 0; i < proxy_count(); ++i) {
          const nlohmann::json e = ProxyEntry(status, proxy(i).node_id());
          if (e.is_null() || !e.value("connected", false)) return false;
        }
        return true;
      },
      std::chrono::seconds(30));
  ASSERT_TRUE(reconnected) << "the proxies did not reconnect to the restarted control plane: "
                           << status.dump(2);
  EXPECT_TRUE(NothingResent(expected_nacks, good, "after the control plane restarted"));

  // The restarted control plane still knows about the rejection.
  EXPECT_TRUE(PollUntil(
      [&] {
        auto s = yardctl().StatusJson();
        if (!s) return false;
        status = *s;
        for (size_t i = 0; i < proxy_count(); ++i) {
          const nlohmann::json e = ProxyEntry(status, proxy(i).node_id());
          if (e.is_null() || JsonUint(e, "last_rejected_version") != rejected) return false;
        }
        return true;
      },
      std::chrono::seconds(5)))
      << "after a restart, yardctl status no longer shows the rejection: " << status.dump(2);

  // The next valid version is taken: /app/ moves to B, and no new NACK.
  std::vector<uint64_t> nacks_before;
  for (size_t i = 0; i < proxy_count(); ++i) {
    nacks_before.push_back(JsonUint(Discovery(proxy(i)), "nacks"));
  }
  uint64_t next = 0;
  ASSERT_TRUE(Apply(Config("b", 0), &next));
  ASSERT_TRUE(WaitForVersion(next, std::chrono::seconds(10)));
  for (size_t i = 0; i < proxy_count(); ++i) {
    const Response r = proxy(i).Get("/app/3");
    EXPECT_EQ(BackendOf(r), "B") << Summary(r);
    const nlohmann::json d = Discovery(proxy(i));
    EXPECT_EQ(JsonUint(d, "nacks"), nacks_before[i]) << "a valid version was NACKed: " << d.dump();
  }
}

}  // namespace
}  // namespace switchyard::e2e
