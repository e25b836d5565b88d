// Overload protection of the real proxy (docs/operations.md, "Overload"): connections over
// --max_connections or --max_connections_per_ip are closed as soon as accepted, and a
// flood against a small --max_memory (many connections each holding a large unfinished
// request head) leaves the proxy alive, its heap under the limit, a steady client served,
// and everything back to normal afterwards. Not run under AddressSanitizer (scripts/
// test.sh): its allocator is not the one --max_memory reads.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/metrics_page.h"
#include "tests/support/poll.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kGet[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";

using OverloadTest = ProxyTest;

TEST_F(OverloadTest, ConnectionsOverTheGlobalLimitAreClosedAtOnce) {
  TestBackend& backend = AddBackend("b");
  ASSERT_TRUE(StartProxy(SingleClusterConfig({backend.port()}),
                         {"--max_connections=3", "--admin=127.0.0.1:0"}));
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawClient>(proxy_port()));
    ASSERT_EQ(held.back()->RoundTrip(kGet).status, 200);
  }
  RawClient fourth(proxy_port());
  const RawClient::CloseResult closed = fourth.WaitForClose(seconds(5));
  EXPECT_TRUE(closed.closed);
  EXPECT_EQ(closed.data, "");
  EXPECT_EQ(MetricValue(MetricsPage(),
                        "switchyard_downstream_connections_refused_total{reason=\"global_limit\"}"),
            1);
  held.pop_back();  // one slot free again
  EXPECT_TRUE(PollUntil([&] { return RawClient(proxy_port()).RoundTrip(kGet).status == 200; }));
}

TEST_F(OverloadTest, ConnectionsOverThePerAddressLimitAreClosedAtOnce) {
  TestBackend& backend = AddBackend("b");
  ASSERT_TRUE(StartProxy(SingleClusterConfig({backend.port()}),
                         {"--max_connections_per_ip=2", "--admin=127.0.0.1:0"}));
  RawClient a(proxy_port());
  RawClient b(proxy_port());
  ASSERT_EQ(a.RoundTrip(kGet).status, 200);
  ASSERT_EQ(b.RoundTrip(kGet).status, 200);
  RawClient c(proxy_port());
  EXPECT_TRUE(c.WaitForClose(seconds(5)).closed);
  EXPECT_EQ(MetricValue(MetricsPage(),
                        "switchyard_downstream_connections_refused_total{reason=\"per_ip_limit\"}"),
            1);
  EXPECT_EQ(a.RoundTrip(kGet).status, 200);  // the admitted ones go on
}

TEST_F(OverloadTest, AFloodAgainstASmallMemoryLimitIsSurvivedAndRecoveredFrom) {
  TestBackend& backend = AddBackend("b");
  constexpr int64_t kLimitMib = 32;
  ASSERT_TRUE(StartProxy(SingleClusterConfig({backend.port()}),
                         {"--max_memory=" + std::to_string(kLimitMib) + "MiB", "--workers=2",
                          "--request_headers_timeout=2s", "--admin=127.0.0.1:0"}));
  const int64_t rss_before_kb = proxy().RssKb();
  ASSERT_GT(rss_before_kb, 0);

  // A well-behaved client, one request every 20 ms on a keep-alive connection (reopened
  // when the proxy closes it).
  std::atomic<bool> stop{false};
  std::atomic<int> steady_ok{0};
  std::atomic<int> steady_shed{0};
  std::atomic<int> steady_failed{0};
  std::thread steady([&] {
    std::unique_ptr<RawClient> client;
    while (!stop.load()) {
      if (client == nullptr) client = std::make_unique<RawClient>(proxy_port(), seconds(30));
      const Response r = client->RoundTrip(kGet, {.timeout = seconds(30)});
      if (r.status == 200) {
        ++steady_ok;
      } else if (r.status == 503) {
        ++steady_shed;
      } else {
        ++steady_failed;
      }
      if (!r.complete || r.headers.Get("Connection") == "close") client.reset();
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  ASSERT_TRUE(PollUntil([&] { return steady_ok.load() >= 5; }));

  // The flood: 1200 connections, each with 48 KiB of a request head that never ends (the
  // proxy must buffer it to find the end): 56 MiB if all were taken in.
  const std::string partial_head =
      "GET / HTTP/1.1\r\nHost: example.com\r\nX-Pad: " + std::string(size_t{48} * 1024, 'p');
  std::vector<std::unique_ptr<RawClient>> flood;
  flood.reserve(1200);
  for (int i = 0; i < 1200; ++i) {
    flood.push_back(std::make_unique<RawClient>(proxy_port(), seconds(10)));
    if (flood.back()->connected()) flood.back()->Send(partial_head, seconds(1));
  }
  // The proxy stopped accepting at the first watermark.
  int64_t peak_level = 0;
  ASSERT_TRUE(PollUntil(
      [&] {
        const std::string page = MetricsPage();
        peak_level = std::max(peak_level, MetricValue(page, "switchyard_overload_level"));
        return MetricValue(page, "switchyard_overload_entered_total{level=\"pause_accept\"}") > 0;
      },
      seconds(20)));
  // The flood ends (its heads time out with 408, or the clients go), and it recovers.
  flood.clear();
  EXPECT_TRUE(PollUntil(
      [&] { return MetricValue(MetricsPage(), "switchyard_overload_level") == 0; }, seconds(60)));
  const int ok_before_end = steady_ok.load();
  EXPECT_TRUE(PollUntil([&] { return steady_ok.load() >= ok_before_end + 20; }, seconds(30)));
  stop.store(true);
  steady.join();

  EXPECT_TRUE(proxy().Running());
  EXPECT_EQ(steady_failed.load(), 0);
  const int64_t grown_mib = (proxy().PeakRssKb() - rss_before_kb) / 1024;
  EXPECT_LT(grown_mib, kLimitMib) << "VmHWM grew by " << grown_mib << " MiB over the "
                                  << rss_before_kb / 1024 << " MiB it had before the flood";
  const std::string page = MetricsPage();
  std::printf(
      "[overload] steady client: %d ok, %d shed (503), %d failed; VmHWM %lld MiB "
      "(%lld before the flood); entered pause_accept %lld times, shed %lld times; "
      "peak level seen %lld\n",
      steady_ok.load(), steady_shed.load(), steady_failed.load(),
      static_cast<long long>(proxy().PeakRssKb() / 1024),
      static_cast<long long>(rss_before_kb / 1024),
      static_cast<long long>(
          MetricValue(page, "switchyard_overload_entered_total{level=\"pause_accept\"}")),
      static_cast<long long>(
          MetricValue(page, "switchyard_overload_entered_total{level=\"shed\"}")),
      static_cast<long long>(peak_level));
  EXPECT_EQ(Get("/").status, 200);
}

}  // namespace
}  // namespace switchyard::testing
