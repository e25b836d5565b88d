#include "dataplane/metrics/worker_metrics.h"

#include <memory>
#include <string>
#include <thread>

#include "dataplane/metrics/proxy_metrics.h"
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"

namespace switchyard::metrics {
namespace {

using std::chrono::milliseconds;

std::shared_ptr<const runtime::RuntimeConfig> Compile(uint64_t version, bool with_two) {
  std::string yaml = "version: " + std::to_string(version) + R"(
virtual_hosts:
  - name: a
    domains: ["*"]
    routes:
      - {name: one, match: {prefix: /1}, route: {cluster: c}}
)";
  if (with_two) yaml += "      - {name: two, match: {prefix: /2}, route: {cluster: c}}\n";
  yaml += "clusters:\n  - {name: c, endpoints: [{address: 10.0.0.1, port: 80}]}\n";
  auto snapshot = config::ParseSnapshot(yaml, "test.yaml");
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  auto compiled = runtime::RuntimeConfig::Compile(*snapshot);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *compiled;
}

const router::Route* Match(const runtime::RuntimeConfig& config, std::string_view path) {
  return config.routes().Match({"GET", "x.test", path, nullptr});
}

RequestSample Sample(const runtime::RuntimeConfig& config, std::string_view path, int status) {
  return {.config = &config,
          .route = Match(config, path),
          .cluster = &config.clusters()[0],
          .status = status,
          .duration = milliseconds(3),
          .upstream_response_head = milliseconds(2),
          .request_body_bytes = 10,
          .response_body_bytes = 100};
}

// The worker's swap: the store's Retain, then Bind.
void Swap(WorkerMetrics& metrics, runtime::ResourceStore& store,
          const runtime::RuntimeConfig& config) {
  store.Retain([&config](runtime::ResourceKind kind, std::string_view name) {
    return kind == runtime::ResourceKind::kCluster ? config.FindCluster(name) >= 0
                                                   : config.HasRoute(name);
  });
  metrics.Bind(config, store);
}

TEST(WorkerMetricsTest, CountsSurviveSwapsForKeptRoutesAndRemovedRoutesVanish) {
  runtime::ResourceStore store;
  WorkerMetrics metrics;
  const auto v1 = Compile(1, /*with_two=*/true);
  Swap(metrics, store, *v1);
  metrics.Record(Sample(*v1, "/1", 200));
  metrics.Record(Sample(*v1, "/1", 503));
  metrics.Record(Sample(*v1, "/2", 204));
  RequestSample unrouted = Sample(*v1, "/nothing", 404);
  unrouted.cluster = nullptr;
  unrouted.local_reply = "route_not_found";
  metrics.Record(unrouted);

  const std::string before = RenderProxyMetrics({metrics.view()}, {.version = 1});
  EXPECT_NE(
      before.find("switchyard_requests_total{virtual_host=\"a\",route=\"one\",class=\"2xx\"} 1\n"),
      std::string::npos)
      << before;
  EXPECT_NE(before.find("{virtual_host=\"a\",route=\"one\",class=\"5xx\"} 1\n"), std::string::npos);
  EXPECT_NE(before.find("{virtual_host=\"a\",route=\"two\",class=\"2xx\"} 1\n"), std::string::npos);
  EXPECT_NE(before.find("{virtual_host=\"\",route=\"\",class=\"4xx\"} 1\n"), std::string::npos);
  EXPECT_NE(before.find("switchyard_upstream_requests_total{cluster=\"c\",class=\"2xx\"} 2\n"),
            std::string::npos);
  EXPECT_NE(before.find("switchyard_local_replies_total{reason=\"route_not_found\"} 1\n"),
            std::string::npos);
  EXPECT_NE(before.find("switchyard_upstream_response_head_seconds_count{cluster=\"c\"} 3\n"),
            std::string::npos);
  EXPECT_NE(before.find("switchyard_request_duration_seconds_count 4\n"), std::string::npos);
  EXPECT_NE(before.find("switchyard_downstream_body_bytes_total{direction=\"sent\"} 400\n"),
            std::string::npos);

  // A request that started on v1 ends after the swap to v2, which drops route "two".
  const auto v2 = Compile(2, /*with_two=*/false);
  Swap(metrics, store, *v2);
  metrics.Record(Sample(*v1, "/1", 200));  // kept route, old config: found by name
  metrics.Record(Sample(*v1, "/2", 200));  // removed route: not counted per route
  metrics.Record(Sample(*v2, "/1", 200));

  const std::string after = RenderProxyMetrics({metrics.view()}, {.version = 2});
  EXPECT_NE(after.find("{virtual_host=\"a\",route=\"one\",class=\"2xx\"} 3\n"), std::string::npos)
      << after;
  EXPECT_EQ(after.find("route=\"two\""), std::string::npos) << after;
  EXPECT_NE(after.find("switchyard_upstream_requests_total{cluster=\"c\",class=\"2xx\"} 5\n"),
            std::string::npos);
  EXPECT_NE(after.find("switchyard_config_version 2\n"), std::string::npos);
}

TEST(WorkerMetricsTest, ScrapesSumWorkersAndMayRunWhileWorkersCount) {
  runtime::ResourceStore store_a;
  runtime::ResourceStore store_b;
  WorkerMetrics a;
  WorkerMetrics b;
  const auto config = Compile(1, true);
  Swap(a, store_a, *config);
  Swap(b, store_b, *config);
  std::thread writer([&] {
    for (int i = 0; i < 500; ++i) {
      a.Record(Sample(*config, "/1", 200));
      a.ConnectionOpened();
      a.ConnectionClosed();
    }
  });
  for (int i = 0; i < 50; ++i) RenderProxyMetrics({a.view(), b.view()}, {});  // concurrent
  writer.join();
  for (int i = 0; i < 300; ++i) b.Record(Sample(*config, "/1", 200));
  b.ConnectionOpened();
  const std::string text = RenderProxyMetrics({a.view(), b.view()}, {});
  EXPECT_NE(text.find("{virtual_host=\"a\",route=\"one\",class=\"2xx\"} 800\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("switchyard_downstream_connections_active{protocol=\"http1\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("switchyard_downstream_connections_total{protocol=\"http1\"} 501\n"),
            std::string::npos);
  EXPECT_NE(text.find("switchyard_workers 2\n"), std::string::npos);
}

// A config whose route "one" has its own histogram when `one_histogram`; "two" never.
std::shared_ptr<const runtime::RuntimeConfig> CompileWithHistogram(uint64_t version,
                                                                   bool one_histogram) {
  const std::string yaml = "version: " + std::to_string(version) + R"(
virtual_hosts:
  - name: a
    domains: ["*"]
    routes:
      - {name: one, match: {prefix: /1}, route: {cluster: c}, metrics: {duration_histogram: )" +
                           (one_histogram ? "true" : "false") + R"(}}
      - {name: two, match: {prefix: /2}, route: {cluster: c}}
clusters:
  - {name: c, endpoints: [{address: 10.0.0.1, port: 80}]}
)";
  auto snapshot = config::ParseSnapshot(yaml, "test.yaml");
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  auto compiled = runtime::RuntimeConfig::Compile(*snapshot);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *compiled;
}

TEST(WorkerMetricsTest, OnlyRoutesThatOptInHaveADurationHistogram) {
  runtime::ResourceStore store;
  WorkerMetrics metrics;
  const auto v1 = CompileWithHistogram(1, /*one_histogram=*/true);
  Swap(metrics, store, *v1);
  metrics.Record(Sample(*v1, "/1", 200));  // 3 ms
  metrics.Record(Sample(*v1, "/1", 200));
  metrics.Record(Sample(*v1, "/2", 200));
  const std::string text = RenderProxyMetrics({metrics.view()}, {.version = 1});
  const std::string one = "{virtual_host=\"a\",route=\"one\"";
  EXPECT_NE(text.find("# TYPE switchyard_route_request_duration_seconds histogram\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("switchyard_route_request_duration_seconds_count" + one + "} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("switchyard_route_request_duration_seconds_bucket" + one + ",le=\"0.0025\"} 0\n"),
      std::string::npos);
  EXPECT_NE(
      text.find("switchyard_route_request_duration_seconds_bucket" + one + ",le=\"0.005\"} 2\n"),
      std::string::npos);
  EXPECT_EQ(text.find("switchyard_route_request_duration_seconds_count{virtual_host=\"a\","
                      "route=\"two\""),
            std::string::npos);

  // Kept across a swap that keeps it on; gone after one that turns it off, with the
  // route's request counts untouched.
  const auto v2 = CompileWithHistogram(2, /*one_histogram=*/true);
  Swap(metrics, store, *v2);
  metrics.Record(Sample(*v2, "/1", 200));
  EXPECT_NE(RenderProxyMetrics({metrics.view()}, {})
                .find("switchyard_route_request_duration_seconds_count" + one + "} 3\n"),
            std::string::npos);
  const auto v3 = CompileWithHistogram(3, /*one_histogram=*/false);
  Swap(metrics, store, *v3);
  metrics.Record(Sample(*v3, "/1", 200));
  const std::string off = RenderProxyMetrics({metrics.view()}, {});
  EXPECT_EQ(off.find("switchyard_route_request_duration_seconds"), std::string::npos) << off;
  EXPECT_NE(off.find("switchyard_requests_total" + one + ",class=\"2xx\"} 4\n"), std::string::npos)
      << off;
}

TEST(WorkerMetricsTest, StatusClasses) {
  EXPECT_EQ(StatusClass(0), 0u);
  EXPECT_EQ(StatusClass(101), 1u);
  EXPECT_EQ(StatusClass(299), 2u);
  EXPECT_EQ(StatusClass(599), 5u);
  EXPECT_EQ(StatusClass(600), 0u);
}

}  // namespace
}  // namespace switchyard::metrics
