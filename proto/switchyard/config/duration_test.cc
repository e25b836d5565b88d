#include "switchyard/config/duration.h"

#include "gtest/gtest.h"

namespace switchyard::config {
namespace {

using std::chrono::milliseconds;

google::protobuf::Duration D(int64_t seconds, int32_t nanos) {
  google::protobuf::Duration d;
  d.set_seconds(seconds);
  d.set_nanos(nanos);
  return d;
}

TEST(DurationTest, WholeMillisecondsAreExact) {
  EXPECT_EQ(ToMillisRoundedUp(D(0, 0)), milliseconds(0));
  EXPECT_EQ(ToMillisRoundedUp(D(0, 1'000'000)), milliseconds(1));
  EXPECT_EQ(ToMillisRoundedUp(D(1, 500'000'000)), milliseconds(1500));
  EXPECT_EQ(ToMillisRoundedUp(D(3600, 0)), milliseconds(3'600'000));
}

TEST(DurationTest, FractionsRoundUpSoNothingPositiveBecomesZero) {
  EXPECT_EQ(ToMillisRoundedUp(D(0, 1)), milliseconds(1));
  EXPECT_EQ(ToMillisRoundedUp(D(0, 500'000)), milliseconds(1));  // 0.0005s
  EXPECT_EQ(ToMillisRoundedUp(D(0, 1'000'001)), milliseconds(2));
  EXPECT_EQ(ToMillisRoundedUp(D(1, 100)), milliseconds(1001));
  EXPECT_EQ(ToMillisRoundedUp(D(0, 999'999'999)), milliseconds(1000));
}

TEST(DurationTest, OutOfContractValuesAreClampedNotOverflowed) {
  EXPECT_EQ(ToMillisRoundedUp(D(-1, 0)), milliseconds(0));
  EXPECT_EQ(ToMillisRoundedUp(D(0, -5)), milliseconds(0));
  EXPECT_EQ(ToMillisRoundedUp(D(INT64_MAX, 0)),
            std::chrono::duration_cast<milliseconds>(std::chrono::seconds(kMaxDurationSeconds)));
  EXPECT_EQ(ToMillisRoundedUp(D(kMaxDurationSeconds, 999'999'999)),
            milliseconds(kMaxDurationSeconds * 1000 + 1000));
}

TEST(DurationTest, Validity) {
  EXPECT_TRUE(IsValidDuration(D(0, 0)));
  EXPECT_TRUE(IsValidDuration(D(-1, -5)));
  EXPECT_TRUE(IsValidDuration(D(kMaxDurationSeconds, 999'999'999)));
  EXPECT_FALSE(IsValidDuration(D(kMaxDurationSeconds + 1, 0)));
  EXPECT_FALSE(IsValidDuration(D(0, 1'000'000'000)));
  EXPECT_FALSE(IsValidDuration(D(1, -1)));
  EXPECT_FALSE(IsValidDuration(D(-1, 1)));

  EXPECT_TRUE(IsNonNegativeDuration(D(0, 0)));
  EXPECT_TRUE(IsNonNegativeDuration(D(2, 1)));
  EXPECT_FALSE(IsNonNegativeDuration(D(-1, 0)));
  EXPECT_FALSE(IsNonNegativeDuration(D(0, -1)));
  EXPECT_FALSE(IsNonNegativeDuration(D(kMaxDurationSeconds + 1, 0)));
}

}  // namespace
}  // namespace switchyard::config
