// The control plane's /metrics against a scripted session: versions applied, a proxy
// that ACKs one push and NACKs the next, and the store calls those made.
#include <cstdint>
#include <string>

#include "controlplane/testing/in_process.h"
#include "gtest/gtest.h"
#include "tests/support/http_message.h"
#include "tests/support/metrics_page.h"
#include "tests/support/raw_client.h"

namespace switchyard::controlplane {
namespace {

using ::switchyard::testing::MetricValue;
using testing::FakeProxy;
using testing::MakeSnapshot;
using testing::TestControlPlane;

std::string Scrape(int port) {
  ::switchyard::testing::RawClient client(static_cast<uint16_t>(port));
  const ::switchyard::testing::Response r =
      client.RoundTrip(::switchyard::testing::SimpleGet("/metrics", "control"));
  EXPECT_EQ(r.status, 200) << r.DebugString();
  return r.body;
}

TEST(ControlPlaneMetricsTest, CountsPushesAcksNacksProxiesAndLatencies) {
  ControlPlaneOptions options = testing::TestOptions();
  options.metrics_listen = "127.0.0.1:0";
  TestControlPlane server(options);
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_GT(server.cp().metrics_port(), 0);
  const uint64_t first = server.Apply(MakeSnapshot(1));
  ASSERT_GT(first, 0u);

  FakeProxy proxy(server.channel(), "node-1", 0);
  auto response = proxy.Read();
  ASSERT_TRUE(response.has_value());
  ASSERT_TRUE(proxy.Ack(*response));
  ASSERT_TRUE(testing::PollUntil([&] { return server.cp().discovery_counters().acks == 1; }));
  const uint64_t second = server.Apply(MakeSnapshot(2));
  response = proxy.Read();
  ASSERT_TRUE(response.has_value());
  ASSERT_TRUE(proxy.Nack(*response, first, "cannot load"));
  ASSERT_TRUE(testing::PollUntil([&] { return server.cp().discovery_counters().nacks == 1; }));

  const std::string text = Scrape(server.cp().metrics_port());
  EXPECT_EQ(MetricValue(text, "switchyard_control_version"), static_cast<int64_t>(second)) << text;
  EXPECT_EQ(MetricValue(text, "switchyard_control_acks_total"), 1);
  EXPECT_EQ(MetricValue(text, "switchyard_control_nacks_total"), 1);
  EXPECT_EQ(MetricValue(text, "switchyard_control_streams_active"), 1);
  EXPECT_EQ(MetricValue(text, "switchyard_control_streams_opened_total"), 1);
  EXPECT_EQ(MetricValue(text, R"(switchyard_control_pushes_total{kind="full"})") +
                MetricValue(text, R"(switchyard_control_pushes_total{kind="delta"})"),
            2);
  // The proxy still runs the first version (it refused the second).
  EXPECT_EQ(
      MetricValue(text, "switchyard_control_proxies{version=\"" + std::to_string(first) + "\"}"),
      1);
  EXPECT_EQ(MetricValue(text, "switchyard_control_apply_seconds_count"), 2);
  EXPECT_EQ(MetricValue(text, R"(switchyard_control_store_seconds_count{operation="append"})"), 2);
  // The NACK reaches the store from the rejection recorder's thread, a moment later.
  EXPECT_TRUE(testing::PollUntil([&] {
    return MetricValue(
               Scrape(server.cp().metrics_port()),
               R"(switchyard_control_store_seconds_count{operation="record_rejections"})") == 1;
  }));
  EXPECT_EQ(proxy.Finish().error_code(), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace switchyard::controlplane
