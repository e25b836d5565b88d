// 200 configuration changes under steady load, through the whole production path:
// deploy/local/up.sh starts switchyard-control, three proxies and HAProxy in front of
// them; the test drives changes with the real yardctl binary while a load generator
// keeps several keep-alive connections busy through HAProxy.
//
// Asserted: no request fails and no connection is reset for the whole run, and every
// change is served by every proxy (probed directly) and through HAProxy (three
// consecutive fresh connections) within 1 s of `yardctl apply` returning.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/support/components.h"
#include "tests/e2e/support/deploy_local.h"
#include "tests/e2e/support/e2e_test.h"
#include "tests/e2e/support/load_generator.h"
#include "tests/support/child_process.h"
#include "tests/support/test_backend.h"

namespace switchyard::e2e {
namespace {

using ::switchyard::testing::MakeTempDir;
using ::switchyard::testing::ReadFile;

constexpr int kChanges = 200;
constexpr auto kObserveBound = std::chrono::seconds(1);
// How long a change may take before the test stops waiting and reports it.
constexpr auto kObserveGiveUp = std::chrono::seconds(10);

// The configuration the test evolves. Each version has:
//   /stable/  -> cluster "pool", whose endpoints are replaced over time
//   /mover/   -> cluster "left" (backend A) or "right" (backend B), moved back and forth
//   /extra/K  -> "right", routes added and removed
//   /marker/N -> "left", only in change N, so a 200 there proves change N is served
struct Model {
  std::vector<std::vector<std::pair<std::string, uint16_t>>> pool_sets;  // name, port
  size_t pool_index = 0;
  bool mover_right = false;
  std::deque<int> extras;
  int next_extra = 1;
  int marker = 0;
  uint16_t a_port = 0;
  uint16_t b_port = 0;

  std::string Yaml() const {
    std::vector<RouteSpec> routes = {
        {"stable", "prefix: /stable/", "pool"},
        {"mover", "prefix: /mover/", mover_right ? "right" : "left"},
    };
    for (int k : extras) {
      routes.push_back({"extra" + std::to_string(k), "path: /extra/" + std::to_string(k), "right"});
    }
    routes.push_back({"marker", "path: /marker/" + std::to_string(marker), "left"});
    std::vector<uint16_t> pool_ports;
    for (const auto& [name, port] : pool_sets[pool_index]) pool_ports.push_back(port);
    return SnapshotYaml(routes, {{"left", {a_port}}, {"right", {b_port}}, {"pool", pool_ports}});
  }
};

// What must hold once a change is served: a request and a check of its response.
struct Probe {
  std::string target;
  std::function<bool(const Response&)> accepts;
  std::string describe;
};

std::function<bool(const Response&)> FromBackend(const std::set<std::string>& names) {
  return [names](const Response& r) {
    return r.complete && r.status == 200 && names.count(BackendOf(r)) > 0;
  };
}

bool IsNotFoundLocalReply(const Response& r) {
  return r.complete && r.status == 404 &&
         r.headers.Get("x-switchyard-local-reply").value_or("") == "true";
}

TEST(ConfigChurnTest, TwoHundredChangesUnderLoadThroughHaproxyLoseNoRequest) {
  const std::string dir = MakeTempDir();
  ASSERT_FALSE(dir.empty());

  // Backends of the test's own: A and B behind "left" and "right", C and D in the pool
  // (with up.sh's sample backends blue and green).
  TestBackend a("A"), b("B"), c("C"), d("D");

  // The deployment, exactly as an operator starts it, in the foreground ("run") so that
  // SIGTERM (also sent if this test dies) stops everything it started.
  const std::string state_dir = dir + "/local";
  ChildProcess up("deploy/local/up.sh");
  std::string error;
  ASSERT_TRUE(up.Start(
      {"/bin/bash", RunfilePath("deploy/local/up.sh"), "run", "--state-dir", state_dir, "--bin-dir",
       RunfilesWorkspaceDir(), "--base-port", "0", "--proxies", "3", "--workers", "1"},
      dir + "/up.log", &error, SIGTERM))
      << error;
  const std::string endpoints_path = state_dir + "/endpoints.env";
  ASSERT_TRUE(PollUntil([&] { return !ReadFile(endpoints_path).empty() || !up.Running(); },
                        std::chrono::seconds(90)))
      << "deploy/local/up.sh did not come up within 90 s; its output:\n"
      << up.LogTail();
  ASSERT_TRUE(up.Running()) << "deploy/local/up.sh exited: " << up.exit_status().DebugString()
                            << "\n"
                            << up.LogTail();
  const auto env = ReadEnvFile(endpoints_path);
  const std::vector<RecordedProcess> recorded = ReadComponents(state_dir + "/components.tsv");
  ASSERT_EQ(recorded.size(), 8u) << "up.sh should record 2 backends, the control plane, 3 "
                                    "proxies, HAProxy and Prometheus:\n"
                                 << ReadFile(state_dir + "/components.tsv");
  const uint16_t lb_port = PortOf(env, "LB_PORT");
  ASSERT_NE(lb_port, 0) << ReadFile(endpoints_path);
  std::vector<uint16_t> proxy_ports, admin_ports;
  for (int i = 1; i <= 3; ++i) {
    proxy_ports.push_back(PortOf(env, "PROXY" + std::to_string(i) + "_PORT"));
    admin_ports.push_back(PortOf(env, "PROXY" + std::to_string(i) + "_ADMIN_PORT"));
    ASSERT_NE(proxy_ports.back(), 0) << ReadFile(endpoints_path);
  }
  // up.sh's own initial config routes to its sample backends through HAProxy.
  {
    const Response r = HttpGet(lb_port, "/users/7", "api.example.com");
    ASSERT_TRUE(r.complete && r.status == 200) << Summary(r);
    EXPECT_EQ(BackendOf(r), "blue") << Summary(r);
  }

  const Yardctl yardctl(env.at("CONTROL_ADDR"), dir);
  Model model;
  model.a_port = a.port();
  model.b_port = b.port();
  const std::pair<std::string, uint16_t> blue{"blue", PortOf(env, "BLUE_PORT")};
  const std::pair<std::string, uint16_t> green{"green", PortOf(env, "GREEN_PORT")};
  // Consecutive sets share no backend, so a response shows which set served it.
  model.pool_sets = {{{"C", c.port()}},
                     {{"D", d.port()}, blue},
                     {{"A", a.port()}, green},
                     {{"C", c.port()}, {"D", d.port()}},
                     {blue, green}};
  auto pool_names = [&] {
    std::set<std::string> names;
    for (const auto& [name, port] : model.pool_sets[model.pool_index]) names.insert(name);
    return names;
  };

  // Version 0 of the model, then the load for the rest of the test.
  {
    // The first apply replaces up.sh's demo routes with the model's: a whole-table change.
    const CommandResult r = yardctl.Apply(model.Yaml(), {"--allow-mass-delete"});
    ASSERT_EQ(r.exit_code, 0) << r.DebugString();
    const uint64_t v = Yardctl::AppliedVersion(r);
    ASSERT_NE(v, 0u) << r.output;
    for (uint16_t admin : admin_ports) {
      ASSERT_TRUE(PollUntil(
          [&] {
            const Response s = HttpGet(admin, "/stats", "admin");
            const auto j = nlohmann::json::parse(s.body, nullptr, false);
            return JsonUint(j, "version") == v;
          },
          std::chrono::seconds(10)))
          << "a proxy did not reach the first version";
    }
  }
  LoadGenerator::Options load_options;
  load_options.port = lb_port;
  load_options.host = std::string(kHost);
  load_options.targets = {"/stable/1", "/mover/1", "/stable/2?q=1", "/mover/abc"};
  load_options.threads = 4;
  load_options.requests_per_second = 150;
  LoadGenerator load(load_options);
  load.Start();

  std::vector<double> observe_ms;
  std::vector<double> apply_ms;
  int slow_changes = 0;
  std::string first_slow;
  for (int change = 1; change <= kChanges; ++change) {
    model.marker = change;
    Probe specific;
    switch (change % 4) {
      case 0: {
        const int k = model.next_extra++;
        model.extras.push_back(k);
        specific = {"/extra/" + std::to_string(k), FromBackend({"B"}),
                    "added route /extra/" + std::to_string(k)};
        break;
      }
      case 1:
        model.mover_right = !model.mover_right;
        specific = {
            "/mover/x", FromBackend({model.mover_right ? "B" : "A"}),
            std::string("route /mover/ moved to ") + (model.mover_right ? "right" : "left")};
        break;
      case 2:
        model.pool_index = (model.pool_index + 1) % model.pool_sets.size();
        specific = {"/stable/x", FromBackend(pool_names()), "pool endpoints replaced"};
        break;
      case 3:
        if (model.extras.empty()) {
          const int k = model.next_extra++;
          model.extras.push_back(k);
          specific = {"/extra/" + std::to_string(k), FromBackend({"B"}), "added route"};
        } else {
          const int k = model.extras.front();
          model.extras.pop_front();
          specific = {"/extra/" + std::to_string(k), IsNotFoundLocalReply,
                      "removed route /extra/" + std::to_string(k)};
        }
        break;
    }
    const Probe marker{"/marker/" + std::to_string(change), FromBackend({"A"}), "marker"};

    // Random changes may replace most routes at once; the guard is tested elsewhere.
    const CommandResult applied = yardctl.Apply(model.Yaml(), {"--allow-mass-delete"});
    const auto returned = Clock::now();
    ASSERT_EQ(applied.exit_code, 0) << "change " << change << ": " << applied.DebugString();
    const uint64_t version = Yardctl::AppliedVersion(applied);
    ASSERT_NE(version, 0u) << applied.output;
    apply_ms.push_back(std::chrono::duration<double, std::milli>(applied.elapsed).count());

    // Every proxy directly, then three consecutive fresh connections through HAProxy.
    std::vector<bool> seen(proxy_ports.size(), false);
    int streak = 0;
    std::string last;
    const bool observed = PollUntil(
        [&] {
          for (size_t i = 0; i < proxy_ports.size(); ++i) {
            if (seen[i]) continue;
            const Response m = HttpGet(proxy_ports[i], marker.target);
            const Response s = HttpGet(proxy_ports[i], specific.target);
            seen[i] = marker.accepts(m) && specific.accepts(s);
            if (!seen[i]) {
              last = "proxy" + std::to_string(i + 1) + ": " + marker.target + " -> " + Summary(m) +
                     ", " + specific.target + " -> " + Summary(s);
              return false;
            }
          }
          const Response m = HttpGet(lb_port, marker.target);
          const Response s = HttpGet(lb_port, specific.target);
          if (marker.accepts(m) && specific.accepts(s)) return ++streak >= 3;
          streak = 0;
          last = "through HAProxy: " + marker.target + " -> " + Summary(m) + ", " +
                 specific.target + " -> " + Summary(s);
          return false;
        },
        kObserveGiveUp);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - returned).count();
    ASSERT_TRUE(observed) << "change " << change << " (" << specific.describe << ", version "
                          << version << ") not served after " << kObserveGiveUp.count()
                          << " s; last probe: " << last;
    observe_ms.push_back(ms);
    if (ms > std::chrono::duration<double, std::milli>(kObserveBound).count()) {
      if (slow_changes++ == 0) {
        first_slow = "change " + std::to_string(change) + " (" + specific.describe + ") took " +
                     std::to_string(ms) + " ms";
      }
    }
    // Served, so each proxy's /stats must name the version yardctl reported.
    for (size_t i = 0; i < admin_ports.size(); ++i) {
      const Response s = HttpGet(admin_ports[i], "/stats", "admin");
      const auto j = nlohmann::json::parse(s.body, nullptr, false);
      ASSERT_EQ(JsonUint(j, "version"), version) << "proxy" << i + 1 << " /stats: " << s.body;
    }
  }

  load.Stop();
  const LoadGenerator::Counts counts = load.counts();
  std::vector<double> sorted = observe_ms;
  std::sort(sorted.begin(), sorted.end());
  std::sort(apply_ms.begin(), apply_ms.end());
  const double p50 = sorted[sorted.size() / 2];
  const double p99 = sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
  std::printf(
      "[config churn] changes applied: %d; observe latency after yardctl apply returned: "
      "max %.1f ms, p99 %.1f ms, p50 %.1f ms; yardctl apply itself: p50 %.1f ms, max %.1f ms\n"
      "[config churn] load through HAProxy: %s\n",
      kChanges, sorted.back(), p99, p50, apply_ms[apply_ms.size() / 2], apply_ms.back(),
      load.Report().c_str());
  std::fflush(stdout);

  EXPECT_EQ(observe_ms.size(), static_cast<size_t>(kChanges));
  EXPECT_EQ(slow_changes, 0) << slow_changes << " change(s) took longer than 1 s to be served; "
                             << first_slow;
  EXPECT_GT(counts.requests, 1000u) << "the load generator barely ran";
  EXPECT_EQ(counts.failed(), 0u) << load.Report();
  EXPECT_EQ(counts.transport_errors, 0u) << load.Report();
  EXPECT_EQ(counts.requests, counts.ok) << load.Report();

  // Stopping the deployment: SIGTERM to up.sh stops every process it recorded, by PID.
  up.Signal(SIGTERM);
  const ExitStatus stopped = up.WaitForExit(std::chrono::seconds(60));
  EXPECT_TRUE(stopped.exited && stopped.code == 0) << "up.sh: " << stopped.DebugString() << "\n"
                                                   << up.LogTail();
  for (const RecordedProcess& r : recorded) {
    EXPECT_FALSE(StillRunning(r)) << r.name << " (pid " << r.pid << ") survived up.sh's stop";
  }
  for (const TestBackend* backend : {&a, &b, &c, &d}) {
    EXPECT_TRUE(backend->parse_errors().empty())
        << backend->name() << ": " << backend->parse_errors().front();
  }
}

}  // namespace
}  // namespace switchyard::e2e
