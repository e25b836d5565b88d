#include "dataplane/overload/overload.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::overload {
namespace {

constexpr uint64_t kLimit = 100'000'000;
constexpr uint64_t kMib = 1'000'000;

TEST(OverloadTest, LevelsRiseAtTheirWatermarksAndFallFivePointsLower) {
  OverloadLevel level = OverloadLevel::kNormal;
  const auto step = [&](uint64_t used) { return level = NextOverloadLevel(level, used, kLimit); };
  EXPECT_EQ(step(84 * kMib), OverloadLevel::kNormal);
  EXPECT_EQ(step(86 * kMib), OverloadLevel::kPauseAccept);
  EXPECT_EQ(step(82 * kMib), OverloadLevel::kPauseAccept);  // not yet below 80%
  EXPECT_EQ(step(96 * kMib), OverloadLevel::kShed);
  EXPECT_EQ(step(91 * kMib), OverloadLevel::kShed);  // not yet below 90%
  EXPECT_EQ(step(89 * kMib), OverloadLevel::kPauseAccept);
  EXPECT_EQ(step(79 * kMib), OverloadLevel::kNormal);
  EXPECT_EQ(step(99 * kMib), OverloadLevel::kShed);  // straight up two levels
  EXPECT_EQ(step(10 * kMib), OverloadLevel::kNormal);
  // No limit, no overload.
  EXPECT_EQ(NextOverloadLevel(OverloadLevel::kShed, 1ull << 62, 0), OverloadLevel::kNormal);
}

TEST(OverloadTest, TheMonitorCountsEveryEntryIntoALevel) {
  std::vector<uint64_t> samples = {10, 90, 97, 85, 97, 50, 99};
  size_t next = 0;
  OverloadMonitor monitor(100, [&] { return samples[next++]; });
  std::vector<OverloadLevel> levels;
  for (size_t i = 0; i < samples.size(); ++i) {
    monitor.Sample();
    levels.push_back(monitor.level());
  }
  EXPECT_EQ(levels, (std::vector<OverloadLevel>{OverloadLevel::kNormal, OverloadLevel::kPauseAccept,
                                                OverloadLevel::kShed, OverloadLevel::kPauseAccept,
                                                OverloadLevel::kShed, OverloadLevel::kNormal,
                                                OverloadLevel::kShed}));
  const OverloadMonitor::Stats stats = monitor.stats();
  EXPECT_EQ(stats.allocated_bytes, 99u);
  EXPECT_EQ(stats.shed_entered, 3u);
  EXPECT_EQ(stats.pause_accept_entered, 2u);  // 10 -> 90, and 50 -> 99 passes through it
}

}  // namespace
}  // namespace switchyard::overload
