// Counters and gauges written by one thread (a worker) and read by any (the scrape).
//
// The writer updates with a relaxed load and store, never a locked read-modify-write
// (fetch_add): on the request path a counter costs what a plain increment costs, with no
// cache line bouncing between cores, since each worker has its own. Readers see each
// value whole (a 64-bit atomic never tears) and at most a few updates late. A scrape
// sums the workers' values (docs/metrics.md).
#ifndef SWITCHYARD_COMMON_METRICS_COUNTER_H_
#define SWITCHYARD_COMMON_METRICS_COUNTER_H_

#include <atomic>
#include <cstdint>

namespace switchyard::metrics {

// Only ever grows. Add only from the owning thread.
class Counter {
 public:
  void Add(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Goes up and down (open connections). Add only from the owning thread.
class Gauge {
 public:
  void Add(int64_t delta) {
    value_.store(value_.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
  }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

}  // namespace switchyard::metrics

#endif  // SWITCHYARD_COMMON_METRICS_COUNTER_H_
