#include "dataplane/time/clock.h"

#include "gtest/gtest.h"

namespace switchyard::time {
namespace {

TEST(ManualClockTest, MovesOnlyWhenTold) {
  const MonotonicTime start{std::chrono::seconds(100)};
  ManualClock clock(start);
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(std::chrono::milliseconds(250));
  EXPECT_EQ(clock.Now(), start + std::chrono::milliseconds(250));
}

TEST(ManualClockTest, NeverGoesBackwards) {
  const MonotonicTime start{std::chrono::seconds(100)};
  ManualClock clock(start);
  clock.Set(start - std::chrono::seconds(1));
  EXPECT_EQ(clock.Now(), start);
  clock.Set(start + std::chrono::seconds(1));
  EXPECT_EQ(clock.Now(), start + std::chrono::seconds(1));
}

}  // namespace
}  // namespace switchyard::time
