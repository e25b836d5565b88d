// Writes Prometheus' text exposition format (version 0.0.4), the format /metrics serves:
//
//   # HELP switchyard_requests_total Requests by route and status class.
//   # TYPE switchyard_requests_total counter
//   switchyard_requests_total{route="api/users",class="2xx"} 1027
//
// Each family's HELP and TYPE come once, before its samples; label values are escaped
// (backslash, double quote, newline), so names from a snapshot cannot break the format.
#ifndef SWITCHYARD_COMMON_METRICS_PROMETHEUS_TEXT_H_
#define SWITCHYARD_COMMON_METRICS_PROMETHEUS_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/metrics/histogram.h"

namespace switchyard::metrics {

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

class PrometheusText {
 public:
  // Starts a family. `type`: "counter", "gauge" or "histogram".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  // One sample of the current family (`name` is the family's, or for a histogram one of
  // its _bucket/_sum/_count series, which Histogram writes).
  void Sample(std::string_view name, const Labels& labels, uint64_t value);
  void Sample(std::string_view name, const Labels& labels, int64_t value);
  void Sample(std::string_view name, const Labels& labels, double value);
  // A histogram family's series for one label set: cumulative buckets with `le` in
  // seconds, +Inf, then _sum (seconds) and _count.
  void Histogram(std::string_view name, const Labels& labels, const HistogramData& data);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Series(std::string_view name, const Labels& labels, std::string_view extra_label,
              std::string_view extra_value);

  std::string out_;
};

// `value` escaped for a label value: \ as \\, " as \", newline as \n.
std::string EscapeLabelValue(std::string_view value);

}  // namespace switchyard::metrics

#endif  // SWITCHYARD_COMMON_METRICS_PROMETHEUS_TEXT_H_
