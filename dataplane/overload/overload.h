// Memory overload protection (--max_memory; docs/operations.md, "Overload"). A thread
// samples the allocator's bytes in use (glibc's mallinfo2) every 20 ms and sets a level
// that the workers read without locking:
//
//   kNormal      below the watermarks.
//   kPauseAccept from 85% of the limit: the workers stop accepting (new connections wait
//                in the kernel's queue) and every response closes its connection, so
//                keep-alive connections and their buffers go away.
//   kShed        from 95%: requests that start are answered 503 `overloaded` (and closed).
//
// Each level is left only 5 points below where it was entered (80%, 90%), so that a proxy
// hovering at a watermark does not flap.
#ifndef SWITCHYARD_DATAPLANE_OVERLOAD_OVERLOAD_H_
#define SWITCHYARD_DATAPLANE_OVERLOAD_OVERLOAD_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "common/sync/mutex.h"

namespace switchyard::overload {

enum class OverloadLevel : int { kNormal = 0, kPauseAccept = 1, kShed = 2 };

// The level for `used` bytes of `limit`, coming from `current` (the rule above).
OverloadLevel NextOverloadLevel(OverloadLevel current, uint64_t used, uint64_t limit);

// The process's heap bytes in use, from the allocator (mallinfo2: arena and mmap'd
// chunks in use).
uint64_t AllocatedBytes();

class OverloadMonitor {
 public:
  struct Stats {
    OverloadLevel level = OverloadLevel::kNormal;
    uint64_t allocated_bytes = 0;
    uint64_t limit_bytes = 0;
    // Times each level was entered.
    uint64_t pause_accept_entered = 0;
    uint64_t shed_entered = 0;
  };

  // `sample` returns the bytes in use (AllocatedBytes in the proxy; a fake in tests).
  OverloadMonitor(uint64_t limit_bytes, std::function<uint64_t()> sample,
                  std::chrono::milliseconds interval = std::chrono::milliseconds(20));
  ~OverloadMonitor();
  OverloadMonitor(const OverloadMonitor&) = delete;
  OverloadMonitor& operator=(const OverloadMonitor&) = delete;

  // Starts the sampling thread.
  void Start();
  // Takes one sample now (the thread does this every interval).
  void Sample();

  // Any thread, lock-free: what the workers read.
  OverloadLevel level() const {
    return static_cast<OverloadLevel>(level_.load(std::memory_order_relaxed));
  }
  Stats stats() const;

 private:
  void Run();

  const uint64_t limit_;
  const std::function<uint64_t()> sample_;
  const std::chrono::milliseconds interval_;
  std::atomic<int> level_{0};
  std::atomic<uint64_t> allocated_{0};
  std::atomic<uint64_t> pause_accept_entered_{0};
  std::atomic<uint64_t> shed_entered_{0};
  sync::Mutex mu_;
  sync::CondVar stop_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace switchyard::overload

#endif  // SWITCHYARD_DATAPLANE_OVERLOAD_OVERLOAD_H_
