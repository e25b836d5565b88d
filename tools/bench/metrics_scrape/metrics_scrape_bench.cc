// How long the proxy's /metrics page takes with many routes, and what a worker pays per
// request to count it. Run with
//   bazel run -c opt //tools/bench/metrics_scrape
// A snapshot of 10,000 routes over 100 clusters, bound by 4 workers' WorkerMetrics (as
// after a swap), every route and cluster with traffic, then RenderProxyMetrics timed
// while a thread keeps recording (a scrape takes no lock a recording worker waits on), and
// the longest that recording thread went between two requests, during the scrapes and,
// for comparison, for as long again without them. Plain std::chrono loops; the counting
// cost is the best of several rounds.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/metrics/proxy_metrics.h"
#include "dataplane/metrics/worker_metrics.h"
#include "dataplane/runtime/resource_store.h"
#include "dataplane/runtime/runtime_config.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::metrics {
namespace {

using Clock = std::chrono::steady_clock;

v1::Snapshot MakeSnapshot(int routes, int clusters) {
  v1::Snapshot snapshot;
  for (int c = 0; c < clusters; ++c) {
    v1::Cluster* cluster = snapshot.add_clusters();
    cluster->set_name("cluster" + std::to_string(c));
    v1::Endpoint* endpoint = cluster->add_endpoints();
    endpoint->set_address("10.0.0.1");
    endpoint->set_port(8080);
  }
  v1::VirtualHost* vhost = snapshot.add_virtual_hosts();
  vhost->set_name("api");
  vhost->add_domains("api.example.com");
  for (int i = 0; i < routes; ++i) {
    v1::Route* route = vhost->add_routes();
    route->set_name("route" + std::to_string(i));
    route->mutable_match()->set_prefix("/r" + std::to_string(i) + "/");
    route->mutable_route()->set_cluster("cluster" + std::to_string(i % clusters));
  }
  return snapshot;
}

int Main() {
  constexpr int kRoutes = 10'000;
  constexpr int kClusters = 100;
  constexpr int kWorkers = 4;
  auto compiled = runtime::RuntimeConfig::Compile(MakeSnapshot(kRoutes, kClusters));
  if (!compiled.ok()) {
    std::fprintf(stderr, "%s\n", std::string(compiled.status().message()).c_str());
    return 1;
  }
  const runtime::RuntimeConfig& config = **compiled;
  std::vector<runtime::ResourceStore> stores(kWorkers);
  std::vector<std::unique_ptr<WorkerMetrics>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(std::make_unique<WorkerMetrics>());
    workers.back()->Bind(config, stores[w]);
  }
  // One request per route (and so per cluster) on every worker, found by matching.
  std::vector<const router::Route*> routes;
  for (int i = 0; i < kRoutes; ++i) {
    const std::string path = "/r" + std::to_string(i) + "/x";
    routes.push_back(config.routes().Match({"GET", "api.example.com", path, nullptr}));
  }
  const auto sample_for = [&](const router::Route* route) {
    return RequestSample{.config = &config,
                         .route = route,
                         .cluster = &config.clusters()[route->clusters[0].cluster_index],
                         .status = 200,
                         .duration = std::chrono::microseconds(700),
                         .upstream_response_head = std::chrono::microseconds(500),
                         .request_body_bytes = 0,
                         .response_body_bytes = 6};
  };
  for (auto& worker : workers) {
    for (const router::Route* route : routes) worker->Record(sample_for(route));
  }

  // Per-request cost of counting, on one thread.
  double best_record_ns = 1e18;
  for (int round = 0; round < 5; ++round) {
    constexpr int kN = 2'000'000;
    const auto start = Clock::now();
    for (int i = 0; i < kN; ++i) workers[0]->Record(sample_for(routes[i % kRoutes]));
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count() / kN;
    best_record_ns = std::min(best_record_ns, ns);
  }

  // Scrapes while worker 1 keeps counting on its own thread, which notes the longest time
  // between two of its requests (a stall): first while the scrapes run, then for as long
  // again without them, to show what the machine alone does to that thread.
  enum Phase { kScraping, kQuiet, kDone };
  std::atomic<int> phase{kScraping};
  double longest_gap_ms[2] = {0, 0};
  uint64_t gaps_over_1ms[2] = {0, 0};
  uint64_t counted[2] = {0, 0};
  std::thread writer([&] {
    Clock::time_point last = Clock::now();
    for (size_t i = 0;; ++i) {
      const int now_phase = phase.load(std::memory_order_relaxed);
      if (now_phase == kDone) break;
      workers[1]->Record(sample_for(routes[i % kRoutes]));
      const Clock::time_point now = Clock::now();
      const double gap = std::chrono::duration<double, std::milli>(now - last).count();
      last = now;
      longest_gap_ms[now_phase] = std::max(longest_gap_ms[now_phase], gap);
      if (gap > 1.0) ++gaps_over_1ms[now_phase];
      ++counted[now_phase];
    }
  });
  double best_scrape_ms = 1e18;
  double worst_scrape_ms = 0;
  size_t bytes = 0;
  const auto scraping_start = Clock::now();
  for (int round = 0; round < 10; ++round) {
    std::vector<std::shared_ptr<const WorkerView>> views;
    views.reserve(workers.size());
    const auto start = Clock::now();
    for (const auto& worker : workers) views.push_back(worker->view());
    const std::string page = RenderProxyMetrics(views, {.version = 1});
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    best_scrape_ms = std::min(best_scrape_ms, ms);
    worst_scrape_ms = std::max(worst_scrape_ms, ms);
    bytes = page.size();
  }
  const auto scraping_time = Clock::now() - scraping_start;
  phase.store(kQuiet);
  std::this_thread::sleep_for(scraping_time);
  phase.store(kDone);
  writer.join();

  std::printf("routes %d, clusters %d, workers %d\n", kRoutes, kClusters, kWorkers);
  std::printf("count one request (WorkerMetrics::Record):  %.1f ns\n", best_record_ns);
  std::printf("render /metrics: best %.1f ms, worst %.1f ms, %zu bytes\n", best_scrape_ms,
              worst_scrape_ms, bytes);
  const char* names[2] = {"during the scrapes", "without scrapes  "};
  for (int p = 0; p < 2; ++p) {
    std::printf(
        "counting thread %s: longest stall %.3f ms, stalls over 1 ms: %llu of %llu requests\n",
        names[p], longest_gap_ms[p], static_cast<unsigned long long>(gaps_over_1ms[p]),
        static_cast<unsigned long long>(counted[p]));
  }
  return 0;
}

}  // namespace
}  // namespace switchyard::metrics

int main() { return switchyard::metrics::Main(); }
