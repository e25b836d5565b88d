#include "tests/support/metrics_page.h"

#include "gtest/gtest.h"

namespace switchyard::testing {
namespace {

constexpr char kPage[] =
    "# HELP a_total A.\n"
    "# TYPE a_total counter\n"
    "a_total{class=\"2xx\"} 12\n"
    "xa_total{class=\"2xx\"} 99\n"
    "# TYPE b gauge\n"
    "b -3\n";

TEST(MetricsPageTest, ValuesByWholeSeriesAndFamilies) {
  EXPECT_EQ(MetricValue(kPage, "a_total{class=\"2xx\"}"), 12);
  EXPECT_EQ(MetricValue(kPage, "b"), -3);
  EXPECT_EQ(MetricValue(kPage, "a_total{class=\"5xx\"}"), -1);
  EXPECT_EQ(MetricValue(kPage, "a_total"), -1);  // a prefix of a series is not the series
  EXPECT_EQ(MetricFamilies(kPage), (std::set<std::string>{"a_total", "b"}));
}

}  // namespace
}  // namespace switchyard::testing
