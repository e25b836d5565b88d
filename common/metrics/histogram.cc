#include "common/metrics/histogram.h"

#include <algorithm>

namespace switchyard::metrics {

HistogramData& HistogramData::operator+=(const HistogramData& other) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  sum_us += other.sum_us;
  return *this;
}

uint64_t HistogramData::count() const {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  return total;
}

void Histogram::Record(std::chrono::nanoseconds duration) {
  const uint64_t us = duration.count() <= 0 ? 0 : static_cast<uint64_t>(duration.count() / 1'000);
  // Prometheus buckets are `le`: a value equal to a bound belongs to that bound's bucket.
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(kLatencyBucketsUs.begin(), kLatencyBucketsUs.end(), us) -
                          kLatencyBucketsUs.begin());
  counts_[bucket].Add();
  sum_us_.Add(us);
}

HistogramData Histogram::Read() const {
  HistogramData data;
  for (size_t i = 0; i < counts_.size(); ++i) data.counts[i] = counts_[i].value();
  data.sum_us = sum_us_.value();
  return data;
}

}  // namespace switchyard::metrics
