#include "common/sync/mutex.h"

#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace switchyard::sync {
namespace {

struct Flag {
  Mutex mu;
  CondVar cv;
  bool set ABSL_GUARDED_BY(mu) = false;
};

TEST(CondVarTest, WaitReturnsOnceAnotherThreadSetsTheConditionAndSignals) {
  Flag flag;
  std::thread setter([&flag] {
    MutexLock lock(&flag.mu);
    flag.set = true;
    flag.cv.SignalAll();
  });
  {
    MutexLock lock(&flag.mu);
    flag.cv.Wait(&flag.mu, [&flag]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flag.mu) { return flag.set; });
    EXPECT_TRUE(flag.set);
  }
  setter.join();
}

TEST(CondVarTest, WaitWithTimeoutGivesFalseWhenNothingHappens) {
  Flag flag;
  MutexLock lock(&flag.mu);
  EXPECT_FALSE(flag.cv.WaitWithTimeout(
      &flag.mu, absl::Milliseconds(20),
      [&flag]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flag.mu) { return flag.set; }));
}

TEST(CondVarTest, AConditionAlreadyTrueDoesNotWait) {
  Flag flag;
  MutexLock lock(&flag.mu);
  flag.set = true;
  const auto is_set = [&flag]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flag.mu) { return flag.set; };
  // Infinite and past limits both return at once: nothing will ever signal here.
  EXPECT_TRUE(flag.cv.WaitWithTimeout(&flag.mu, absl::InfiniteDuration(), is_set));
  EXPECT_TRUE(flag.cv.WaitWithDeadline(&flag.mu, absl::InfiniteFuture(), is_set));
  EXPECT_TRUE(flag.cv.WaitWithDeadline(&flag.mu, absl::InfinitePast(), is_set));
}

// A timeout of centuries must wait, not overflow steady_clock into a deadline in the past.
TEST(CondVarTest, AHugeTimeoutWaitsForTheSignal) {
  Flag flag;
  std::thread setter([&flag] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    MutexLock lock(&flag.mu);
    flag.set = true;
    flag.cv.SignalAll();
  });
  {
    MutexLock lock(&flag.mu);
    EXPECT_TRUE(flag.cv.WaitWithTimeout(
        &flag.mu, absl::Hours(1e7),
        [&flag]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flag.mu) { return flag.set; }));
  }
  setter.join();
}

TEST(CondVarTest, ADeadlineInThePastReturnsTheConditionAtOnce) {
  Flag flag;
  MutexLock lock(&flag.mu);
  EXPECT_FALSE(flag.cv.WaitWithDeadline(
      &flag.mu, absl::Now() - absl::Seconds(1),
      [&flag]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(flag.mu) { return flag.set; }));
}

}  // namespace
}  // namespace switchyard::sync
