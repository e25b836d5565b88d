// Reading a Prometheus text page (/metrics) in tests.
#ifndef SWITCHYARD_TESTS_SUPPORT_METRICS_PAGE_H_
#define SWITCHYARD_TESTS_SUPPORT_METRICS_PAGE_H_

#include <cstdint>
#include <set>
#include <string>

namespace switchyard::testing {

// The sample of `series` (name and labels exactly as exported, e.g.
// `switchyard_requests_total{class="2xx"}`) rounded to an integer (it may be written as a
// double: "1.79614851e+09"), or -1 when the page lacks it.
int64_t MetricValue(const std::string& page, const std::string& series);

// The family names the page declares ("# TYPE name type" lines).
std::set<std::string> MetricFamilies(const std::string& page);

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_METRICS_PAGE_H_
