// Time as the data plane reads it. Deadlines on the request path are computed from a
// Clock instead of std::chrono::steady_clock::now(), so that
//   - production reads the worker's coarse clock: one load, no system call, refreshed by
//     the worker's sweeper every sweep interval (deadlines are enforced to that precision
//     anyway), and
//   - tests drive a ManualClock by hand and call the sweep themselves, so a deadline test
//     advances time instead of sleeping.
#ifndef SWITCHYARD_DATAPLANE_TIME_CLOCK_H_
#define SWITCHYARD_DATAPLANE_TIME_CLOCK_H_

#include <chrono>

namespace switchyard::time {

using MonotonicTime = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic; never goes backwards. Cheap enough to call on every request.
  virtual MonotonicTime Now() const = 0;
};

// A clock that moves only when its owner sets it. The worker sets it from steady_clock at
// every sweep; tests advance it. Not thread-safe: one owner thread.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(MonotonicTime start = std::chrono::steady_clock::now()) : now_(start) {}

  MonotonicTime Now() const override { return now_; }
  // Ignores a time before the current one, so the clock stays monotonic.
  void Set(MonotonicTime now) {
    if (now > now_) now_ = now;
  }
  void Advance(Duration by) { now_ += by; }

 private:
  MonotonicTime now_;
};

// Real time, for measurements rather than deadlines: the request record's timestamps,
// which latency histograms and the access log read (a coarse clock would round them to
// the sweep interval). One vDSO clock_gettime per call, some 20 ns. Thread-safe.
class SteadyClock final : public Clock {
 public:
  static const SteadyClock& Instance() {
    static const SteadyClock clock;
    return clock;
  }
  MonotonicTime Now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace switchyard::time

#endif  // SWITCHYARD_DATAPLANE_TIME_CLOCK_H_
