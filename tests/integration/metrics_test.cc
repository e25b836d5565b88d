// /metrics on the proxy's admin port against known traffic: exact counts per route,
// cluster, status class and local-reply reason, summed over several workers, in
// Prometheus' text format.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/http_message.h"
#include "tests/support/metrics_page.h"
#include "tests/support/poll.h"
#include "tests/support/proxy_test.h"
#include "tests/support/raw_client.h"

namespace switchyard::testing {
namespace {

class MetricsTest : public ProxyTest {
 protected:
  std::string Scrape() {
    RawClient client(proxy().admin_port());
    const Response r = client.RoundTrip(SimpleGet("/metrics", "admin"));
    EXPECT_EQ(r.status, 200) << r.DebugString();
    EXPECT_EQ(r.headers.Get("content-type").value_or(""),
              "text/plain; version=0.0.4; charset=utf-8");
    return r.body;
  }
};

TEST_F(MetricsTest, CountsKnownTrafficExactlyAcrossWorkers) {
  TestBackend& backend = AddBackend(
      "b", [](BackendExchange& ex) { ex.Reply(ex.request().target == "/fail" ? 503 : 200, "ok"); });
  ASSERT_TRUE(StartProxy(R"yaml(
version: 7
virtual_hosts:
  - name: api
    domains: ["api.test"]
    routes:
      - name: fail
        match: {path: /fail}
        route: {cluster: backend}
        metrics: {duration_histogram: true}
      - {name: all, match: {prefix: /}, route: {cluster: backend}}
clusters:
  - name: backend
    endpoints: [{address: 127.0.0.1, port: )yaml" +
                             std::to_string(backend.port()) + "}]\n",
                         {"--workers=3", "--admin=127.0.0.1:0"}));

  // The harness's readiness probe connected once (child_process.cc); wait until a worker
  // has counted and closed it, so the baseline below is settled.
  const std::string total = R"(switchyard_downstream_connections_total{protocol="http1"})";
  const std::string active = R"(switchyard_downstream_connections_active{protocol="http1"})";
  ASSERT_TRUE(PollUntil([&] {
    const std::string text = Scrape();
    return MetricValue(text, total) >= 1 && MetricValue(text, active) == 0;
  }));
  const int64_t connections_before = MetricValue(Scrape(), total);
  // Fresh connections, so that the three workers share the requests.
  for (int i = 0; i < 12; ++i) EXPECT_EQ(Get("/ok", "api.test").status, 200);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Get("/fail", "api.test").status, 503);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(Get("/", "unknown.test").status, 404);
  // Refused by the codec before it is a request: counted too.
  EXPECT_EQ(RoundTrip("GET / HTTP/1.1\r\nHost: api.test\r\nBad Header: x\r\n\r\n").status, 400);

  // A request is counted when it ends, just after its response went out: the client can
  // read the response before the worker has counted it (seen under ASan), so the counts
  // are read once all 19 are in.
  ASSERT_TRUE(PollUntil(
      [&] { return MetricValue(Scrape(), "switchyard_request_duration_seconds_count") >= 19; }));
  const std::string text = Scrape();
  EXPECT_EQ(
      MetricValue(text, R"(switchyard_requests_total{virtual_host="api",route="all",class="2xx"})"),
      12)
      << text;
  EXPECT_EQ(MetricValue(
                text, R"(switchyard_requests_total{virtual_host="api",route="fail",class="5xx"})"),
            5);
  EXPECT_EQ(MetricValue(text, R"(switchyard_requests_total{virtual_host="",route="",class="4xx"})"),
            3);
  EXPECT_EQ(
      MetricValue(text, R"(switchyard_upstream_requests_total{cluster="backend",class="2xx"})"),
      12);
  EXPECT_EQ(
      MetricValue(text, R"(switchyard_upstream_requests_total{cluster="backend",class="5xx"})"), 5);
  EXPECT_EQ(MetricValue(text, R"(switchyard_local_replies_total{reason="route_not_found"})"), 2);
  EXPECT_EQ(
      MetricValue(text, R"(switchyard_upstream_response_head_seconds_count{cluster="backend"})"),
      17);
  EXPECT_EQ(MetricValue(text, "switchyard_request_duration_seconds_count"), 19);
  // Only the route that opted in has a histogram of its own.
  EXPECT_EQ(
      MetricValue(
          text,
          R"(switchyard_route_request_duration_seconds_count{virtual_host="api",route="fail"})"),
      5);
  EXPECT_EQ(
      MetricValue(
          text,
          R"(switchyard_route_request_duration_seconds_bucket{virtual_host="api",route="fail",le="+Inf"})"),
      5);
  EXPECT_EQ(
      text.find(
          R"(switchyard_route_request_duration_seconds_count{virtual_host="api",route="all"})"),
      std::string::npos);
  // Bodies relayed from the backend ("ok"); a local reply's own body is not counted.
  EXPECT_EQ(MetricValue(text, R"(switchyard_downstream_body_bytes_total{direction="sent"})"),
            17 * 2);
  EXPECT_EQ(MetricValue(text, R"(switchyard_local_replies_total{reason="bad_request"})"), 1);
  EXPECT_EQ(MetricValue(text, total), connections_before + 20);
  EXPECT_EQ(MetricValue(text, "switchyard_config_version"), 7);
  EXPECT_EQ(MetricValue(text, "switchyard_config_swaps_total"), 1);
  EXPECT_EQ(MetricValue(text, "switchyard_workers"), 3);
  // No series is labelled by request data.
  EXPECT_EQ(text.find("/ok"), std::string::npos);
  EXPECT_EQ(text.find("unknown.test"), std::string::npos);
}

TEST_F(MetricsTest, UpstreamFailuresAreCountedByClusterAndHow) {
  TestBackend& flaky = AddBackend("flaky", [](BackendExchange& ex) {
    if (ex.request().target == "/reset") {
      ex.CloseNow();  // before any response byte
    } else {
      ex.Delay(std::chrono::seconds(3));  // past the route's timeout
      ex.Reply(200, "late");
    }
  });
  // A port nobody listens on: connections are refused.
  uint16_t closed_port = 0;
  {
    TestBackend gone("gone");
    closed_port = gone.port();
  }
  ASSERT_TRUE(
      StartProxy("virtual_hosts:\n- name: api\n  domains: [\"*\"]\n  routes:\n"
                 "  - {name: down, match: {prefix: /down}, route: {cluster: down}}\n"
                 "  - {name: flaky, match: {prefix: /}, route: {cluster: flaky, timeout: 0.3s}}\n"
                 "clusters:\n"
                 "- {name: down, endpoints: [{address: 127.0.0.1, port: " +
                     std::to_string(closed_port) +
                     "}]}\n"
                     "- {name: flaky, endpoints: [{address: 127.0.0.1, port: " +
                     std::to_string(flaky.port()) + "}]}\n",
                 {"--admin=127.0.0.1:0"}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get("/down").status, 503);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(Get("/reset").status, 502);
  EXPECT_EQ(Get("/slow").status, 504);

  std::string text;
  const auto failures = [&](const std::string& cluster, const std::string& reason) {
    return MetricValue(text, "switchyard_upstream_failures_total{cluster=\"" + cluster +
                                 "\",reason=\"" + reason + "\"}");
  };
  // A request is counted as it ends, just after its answer went out: the client may
  // read the answer first.
  EXPECT_TRUE(PollUntil([&] {
    text = Scrape();
    return failures("down", "connect_failed") + failures("flaky", "reset") +
               failures("flaky", "timeout") >=
           6;
  })) << text;
  EXPECT_EQ(failures("down", "connect_failed"), 3) << text;
  EXPECT_EQ(failures("down", "reset"), 0);
  EXPECT_EQ(failures("flaky", "reset"), 2);
  EXPECT_EQ(failures("flaky", "timeout"), 1);
  EXPECT_EQ(failures("flaky", "connect_failed"), 0);
  EXPECT_EQ(failures("flaky", "protocol_error"), 0);
}

}  // namespace
}  // namespace switchyard::testing
