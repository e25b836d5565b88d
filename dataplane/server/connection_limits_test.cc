#include "dataplane/server/connection_limits.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::server {
namespace {

using Verdict = ConnectionLimits::Verdict;

TEST(ConnectionLimitsTest, TheGlobalLimitCountsEveryAddress) {
  ConnectionLimits limits(2, 0);
  EXPECT_EQ(limits.Admit("10.0.0.1"), Verdict::kAdmitted);
  EXPECT_EQ(limits.Admit("10.0.0.2"), Verdict::kAdmitted);
  EXPECT_EQ(limits.Admit("10.0.0.3"), Verdict::kGlobalLimit);
  limits.Release("10.0.0.1");
  EXPECT_EQ(limits.Admit("10.0.0.3"), Verdict::kAdmitted);
  EXPECT_EQ(limits.open(), 2u);
}

TEST(ConnectionLimitsTest, ThePerIpLimitLeavesOtherAddressesAlone) {
  ConnectionLimits limits(0, 2);
  EXPECT_EQ(limits.Admit("10.0.0.1"), Verdict::kAdmitted);
  EXPECT_EQ(limits.Admit("10.0.0.1"), Verdict::kAdmitted);
  EXPECT_EQ(limits.Admit("10.0.0.1"), Verdict::kPerIpLimit);
  EXPECT_EQ(limits.Admit("10.0.0.2"), Verdict::kAdmitted);
  EXPECT_EQ(limits.open(), 3u);  // the refused one is not counted
  limits.Release("10.0.0.1");
  EXPECT_EQ(limits.Admit("10.0.0.1"), Verdict::kAdmitted);
  // Addresses without connections are forgotten: the map cannot grow with every client.
  limits.Release("10.0.0.1");
  limits.Release("10.0.0.1");
  limits.Release("10.0.0.2");
  EXPECT_EQ(limits.tracked_addresses(), 0u);
  EXPECT_EQ(limits.open(), 0u);
}

TEST(ConnectionLimitsTest, ConcurrentAdmissionsNeverExceedTheLimits) {
  ConnectionLimits limits(50, 30);
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string ip = t % 2 == 0 ? "10.0.0.1" : "10.0.0.2";
      for (int i = 0; i < 1000; ++i) {
        if (limits.Admit(ip) != Verdict::kAdmitted) continue;
        ++admitted;
        EXPECT_LE(limits.open(), 50u);
        limits.Release(ip);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_GT(admitted.load(), 0);
  EXPECT_EQ(limits.open(), 0u);
  EXPECT_EQ(limits.tracked_addresses(), 0u);
}

}  // namespace
}  // namespace switchyard::server
