#ifndef SWITCHYARD_COMMON_SYNC_MUTEX_H_
#define SWITCHYARD_COMMON_SYNC_MUTEX_H_

// The locks of our own code: std::mutex and std::condition_variable behind the names and
// Clang thread-safety annotations of absl::Mutex, which they replace.
//
// Why not absl::Mutex: Debian's abseil is not built with ThreadSanitizer, and absl::Mutex
// synchronizes through its own atomics and futex calls, which an uninstrumented library
// hides from TSan; every access it guards would then be reported as a race. std::mutex
// locks through pthread, which TSan intercepts in any library. docs/testing.md explains
// the TSan step.
//
// Waiting: absl::Mutex::Await re-checks its condition on every unlock; a CondVar is only
// woken by SignalAll, so whoever makes a wait condition true must call it.

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace switchyard::sync {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds `mu` for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// Waits for a condition on state guarded by one Mutex. Every Wait* takes that mutex held,
// returns with it held, and checks `done` (a callable returning bool, run with the mutex
// held) before sleeping and after each wake-up, so spurious wake-ups are harmless.
class CondVar {
 public:
  template <typename Done>
  void Wait(Mutex* mu, Done done) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock, done);
    lock.release();
  }

  // Returns done(): false when `timeout` passed first.
  template <typename Done>
  bool WaitWithTimeout(Mutex* mu, absl::Duration timeout, Done done)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    // Beyond a century counts as forever: steady_clock's now() plus the largest
    // std::chrono::nanoseconds would overflow and end the wait at once.
    if (timeout >= absl::Hours(24 * 365 * 100)) {
      Wait(mu, done);
      return true;
    }
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    // wait_for measures on the steady clock, so a change of the wall clock moves nothing.
    const bool result = cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), done);
    lock.release();
    return result;
  }

  // Returns done(): false when the wall clock reached `deadline` first.
  template <typename Done>
  bool WaitWithDeadline(Mutex* mu, absl::Time deadline, Done done)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return WaitWithTimeout(mu, deadline - absl::Now(), done);
  }

  // Wakes every waiter, each of which re-checks its condition.
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace switchyard::sync

#endif  // SWITCHYARD_COMMON_SYNC_MUTEX_H_
