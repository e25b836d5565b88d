#include "common/metrics/prometheus_text.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace switchyard::metrics {
namespace {

absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

// Shortest text that reads back as `value` ("%.17g" would print 0.1 as 0.10000000000000001).
std::string FormatDouble(double value) {
  char buffer[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

void PrometheusText::Family(std::string_view name, std::string_view type, std::string_view help) {
  absl::StrAppend(&out_, "# HELP ", Absl(name), " ", Absl(help), "\n# TYPE ", Absl(name), " ",
                  Absl(type), "\n");
}

void PrometheusText::Series(std::string_view name, const Labels& labels,
                            std::string_view extra_label, std::string_view extra_value) {
  out_.append(name);
  if (labels.empty() && extra_label.empty()) {
    out_.push_back(' ');
    return;
  }
  out_.push_back('{');
  bool first = true;
  const auto append = [&](std::string_view label, std::string_view value) {
    if (!first) out_.push_back(',');
    first = false;
    absl::StrAppend(&out_, Absl(label), "=\"", EscapeLabelValue(value), "\"");
  };
  for (const auto& [label, value] : labels) append(label, value);
  if (!extra_label.empty()) append(extra_label, extra_value);
  out_ += "} ";
}

void PrometheusText::Sample(std::string_view name, const Labels& labels, uint64_t value) {
  Series(name, labels, {}, {});
  absl::StrAppend(&out_, value, "\n");
}

void PrometheusText::Sample(std::string_view name, const Labels& labels, int64_t value) {
  Series(name, labels, {}, {});
  absl::StrAppend(&out_, value, "\n");
}

void PrometheusText::Sample(std::string_view name, const Labels& labels, double value) {
  Series(name, labels, {}, {});
  absl::StrAppend(&out_, FormatDouble(value), "\n");
}

void PrometheusText::Histogram(std::string_view name, const Labels& labels,
                               const HistogramData& data) {
  const std::string bucket = absl::StrCat(Absl(name), "_bucket");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kLatencyBucketsUs.size(); ++i) {
    cumulative += data.counts[i];
    Series(bucket, labels, "le", FormatDouble(static_cast<double>(kLatencyBucketsUs[i]) / 1e6));
    absl::StrAppend(&out_, cumulative, "\n");
  }
  cumulative += data.counts.back();
  Series(bucket, labels, "le", "+Inf");
  absl::StrAppend(&out_, cumulative, "\n");
  Series(absl::StrCat(Absl(name), "_sum"), labels, {}, {});
  absl::StrAppend(&out_, FormatDouble(static_cast<double>(data.sum_us) / 1e6), "\n");
  Series(absl::StrCat(Absl(name), "_count"), labels, {}, {});
  absl::StrAppend(&out_, cumulative, "\n");
}

}  // namespace switchyard::metrics
