// Live swaps across several workers under load, in one process: ConfigManager::Install
// on this thread while client threads keep requests going through every worker. Checks
// the promise of a swap (no request fails, each is served by one whole snapshot, every
// worker ends on the last one, the counts of a route that every snapshot keeps survive)
// and gives ThreadSanitizer the proxy's cross-thread paths: Publish posting to workers,
// the shared compiled config, current(), DumpJson and the /metrics page from other
// threads (scripts/test.sh runs this test under --config=tsan).
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dataplane/config/config_manager.h"
#include "dataplane/metrics/proxy_metrics.h"
#include "dataplane/proxy/phase_chain.h"
#include "dataplane/server/server_options.h"
#include "dataplane/server/worker.h"
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"
#include "tests/support/http_message.h"
#include "tests/support/raw_client.h"
#include "tests/support/test_backend.h"

namespace switchyard::server {
namespace {

using switchyard::testing::RawClient;
using switchyard::testing::Response;
using switchyard::testing::SimpleGet;
using switchyard::testing::TestBackend;

// Version `version` routes everything to the backend on `port`.
v1::Snapshot RouteAllTo(uint64_t version, uint16_t port) {
  absl::StatusOr<v1::Snapshot> snapshot =
      config::ParseSnapshot(absl::StrCat("version: ", version, R"(
virtual_hosts:
  - name: all
    domains: ["*"]
    routes:
      - name: all
        match: {prefix: /}
        route: {cluster: backend}
clusters:
  - name: backend
    endpoints: [{address: 127.0.0.1, port: )",
                                         port, "}]\n"),
                            "swap.yaml");
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  return *snapshot;
}

TEST(WorkerSwapTest, SwapsUnderLoadOnFourWorkersFailNoRequest) {
  constexpr int kWorkers = 4;
  constexpr int kClients = 6;
  constexpr uint64_t kSwaps = 40;
  TestBackend blue("blue");
  TestBackend green("green");
  const auto port_of = [&](uint64_t version) {
    return version % 2 == 1 ? blue.port() : green.port();
  };

  config::ConfigManager manager({});
  ASSERT_TRUE(
      manager.Install(RouteAllTo(1, port_of(1)), config::ConfigManager::Source::kControlPlane)
          .ok());
  const ServerOptions options;
  const proxy::PhaseChain phases(proxy::PhaseChain::StandardPhases({}));
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<config::ConfigSink*> sinks;
  boost::asio::ip::tcp::endpoint listen(boost::asio::ip::make_address("127.0.0.1"), 0);
  for (int i = 0; i < kWorkers; ++i) {
    workers.push_back(std::make_unique<Worker>(i, options, phases, manager.current()));
    boost::system::error_code ec;
    listen = workers.back()->Listen(server::ListenerKind::kPlain, listen, ec);
    ASSERT_FALSE(ec) << ec.message();
    sinks.push_back(workers.back().get());
  }
  manager.AttachSinks(sinks);
  for (auto& worker : workers) worker->Start();

  // Each client opens connections again and again (so SO_REUSEPORT spreads them over
  // every worker) and sends a few keep-alive requests on each.
  std::atomic<bool> stop{false};
  std::atomic<int> served{0};
  std::vector<std::string> failures(kClients);
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      while (!stop.load() && failures[c].empty()) {
        RawClient client(listen.port());
        for (int i = 0; i < 5 && client.connected(); ++i) {
          const Response r = client.RoundTrip(SimpleGet("/", "swap.test"));
          if (!r.ok() || r.status != 200 || (r.body != "blue" && r.body != "green")) {
            failures[c] = r.DebugString();
            break;
          }
          served.fetch_add(1);
        }
        if (!client.connected()) failures[c] = "connect: " + client.connect_error();
      }
    });
  }
  // The admin port's readers, on their own thread as in the binary.
  const auto scrape = [&workers] {
    std::vector<std::shared_ptr<const metrics::WorkerView>> views;
    views.reserve(workers.size());
    for (const auto& worker : workers) views.push_back(worker->metrics_view());
    return metrics::RenderProxyMetrics(views, {});
  };
  std::thread admin([&] {
    while (!stop.load()) {
      EXPECT_GE(manager.version(), 1u);
      EXPECT_NE(manager.DumpJson(), "{}");
      EXPECT_NE(scrape().find("switchyard_workers 4\n"), std::string::npos);
    }
  });

  for (uint64_t version = 2; version <= kSwaps + 1; ++version) {
    ASSERT_TRUE(manager
                    .Install(RouteAllTo(version, port_of(version)),
                             config::ConfigManager::Source::kControlPlane)
                    .ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const int served_during_swaps = served.load();
  stop.store(true);
  for (std::thread& t : clients) t.join();
  admin.join();

  for (int c = 0; c < kClients; ++c) EXPECT_EQ(failures[c], "") << "client " << c;
  EXPECT_GT(served_during_swaps, 0);
  // After the last swap (version 41, odd: blue) every worker serves it: new connections
  // land on all of them, and none answers from an older snapshot.
  const std::string last = port_of(kSwaps + 1) == blue.port() ? "blue" : "green";
  for (int i = 0; i < 8 * kWorkers; ++i) {
    RawClient client(listen.port());
    ASSERT_TRUE(client.connected()) << client.connect_error();
    const Response r = client.RoundTrip(SimpleGet("/", "swap.test"));
    ASSERT_TRUE(r.ok()) << r.DebugString();
    EXPECT_EQ(r.body, last);
  }
  // Every request was counted for route "all/all", which each of the 41 snapshots kept.
  // Counts are read after Stop, so every worker's last request has been recorded.
  for (auto& worker : workers) worker->Stop();
  const std::string total =
      "switchyard_requests_total{virtual_host=\"all\",route=\"all\",class=\"2xx\"} " +
      std::to_string(served.load() + 8 * kWorkers) + "\n";
  EXPECT_NE(scrape().find(total), std::string::npos) << total << scrape();
}

}  // namespace
}  // namespace switchyard::server
