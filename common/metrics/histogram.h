// A latency histogram with fixed buckets, written by one thread and read by any, like
// Counter (counter.h). The buckets are Prometheus' cumulative `le` bounds in seconds,
// from 0.5 ms to 10 s; a scrape adds the workers' histograms bucket by bucket.
#ifndef SWITCHYARD_COMMON_METRICS_HISTOGRAM_H_
#define SWITCHYARD_COMMON_METRICS_HISTOGRAM_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "common/metrics/counter.h"

namespace switchyard::metrics {

// Upper bounds of the finite buckets, in microseconds; a last bucket takes the rest.
inline constexpr std::array<uint64_t, 14> kLatencyBucketsUs = {
    500,     1'000,   2'500,   5'000,     10'000,    25'000,    50'000,
    100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};

// What a scrape reads: per-bucket (not cumulative) counts and the sum.
struct HistogramData {
  std::array<uint64_t, kLatencyBucketsUs.size() + 1> counts{};
  uint64_t sum_us = 0;

  HistogramData& operator+=(const HistogramData& other);
  uint64_t count() const;
};

class Histogram {
 public:
  // From the owning thread. A negative duration counts as zero.
  void Record(std::chrono::nanoseconds duration);
  HistogramData Read() const;

 private:
  std::array<Counter, kLatencyBucketsUs.size() + 1> counts_;
  Counter sum_us_;
};

}  // namespace switchyard::metrics

#endif  // SWITCHYARD_COMMON_METRICS_HISTOGRAM_H_
