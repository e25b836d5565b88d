#include "common/metrics/prometheus_text.h"

#include <chrono>
#include <thread>

#include "common/metrics/counter.h"
#include "common/metrics/histogram.h"
#include "gtest/gtest.h"

namespace switchyard::metrics {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(CounterTest, AddsAndIsReadFromAnotherThread) {
  Counter counter;
  Gauge gauge;
  std::thread writer([&] {
    for (int i = 0; i < 1000; ++i) counter.Add();
    counter.Add(5);
    gauge.Add(3);
    gauge.Add(-5);
  });
  writer.join();
  EXPECT_EQ(counter.value(), 1005u);
  EXPECT_EQ(gauge.value(), -2);
}

TEST(HistogramTest, BucketsAreLessOrEqualBoundsAndSumsAreMicroseconds) {
  Histogram h;
  h.Record(microseconds(500));      // exactly the first bound: first bucket
  h.Record(microseconds(501));      // second
  h.Record(milliseconds(20));       // 25 ms bucket
  h.Record(std::chrono::hours(1));  // beyond 10 s: the last bucket
  h.Record(microseconds(-3));       // a clock step back counts as zero
  const HistogramData data = h.Read();
  EXPECT_EQ(data.counts[0], 2u);
  EXPECT_EQ(data.counts[1], 1u);
  EXPECT_EQ(data.counts[5], 1u);
  EXPECT_EQ(data.counts.back(), 1u);
  EXPECT_EQ(data.count(), 5u);
  EXPECT_EQ(data.sum_us, 500u + 501u + 20'000u + 3'600'000'000u);

  HistogramData total = data;
  total += data;
  EXPECT_EQ(total.counts[0], 4u);
  EXPECT_EQ(total.sum_us, 2 * data.sum_us);
}

TEST(PrometheusTextTest, FamiliesSamplesAndEscapedLabels) {
  PrometheusText out;
  out.Family("switchyard_requests_total", "counter", "Requests.");
  out.Sample("switchyard_requests_total", {{"route", "a\"b\\c\nd"}, {"class", "2xx"}}, uint64_t{7});
  out.Family("switchyard_config_version", "gauge", "Version.");
  out.Sample("switchyard_config_version", {}, int64_t{-1});
  out.Sample("switchyard_config_version", {}, 0.1);
  EXPECT_EQ(out.text(),
            "# HELP switchyard_requests_total Requests.\n"
            "# TYPE switchyard_requests_total counter\n"
            "switchyard_requests_total{route=\"a\\\"b\\\\c\\nd\",class=\"2xx\"} 7\n"
            "# HELP switchyard_config_version Version.\n"
            "# TYPE switchyard_config_version gauge\n"
            "switchyard_config_version -1\n"
            "switchyard_config_version 0.1\n");
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulativeInSeconds) {
  Histogram h;
  h.Record(microseconds(100));
  h.Record(milliseconds(3));
  h.Record(std::chrono::seconds(20));
  PrometheusText out;
  out.Histogram("d_seconds", {{"cluster", "c"}}, h.Read());
  const std::string& text = out.text();
  EXPECT_NE(text.find("d_seconds_bucket{cluster=\"c\",le=\"0.0005\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("d_seconds_bucket{cluster=\"c\",le=\"0.0025\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_bucket{cluster=\"c\",le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_bucket{cluster=\"c\",le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_bucket{cluster=\"c\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("d_seconds_sum{cluster=\"c\"} 20.0031\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_seconds_count{cluster=\"c\"} 3\n"), std::string::npos);
}

}  // namespace
}  // namespace switchyard::metrics
