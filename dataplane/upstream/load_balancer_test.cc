#include "dataplane/upstream/load_balancer.h"

#include <vector>

#include "gtest/gtest.h"

namespace switchyard::upstream {
namespace {

TEST(SmoothWeightedRoundRobinTest, EachEndpointGetsItsWeightPerCycle) {
  SmoothWeightedRoundRobin lb({5, 1, 1});
  std::vector<int> picks(3, 0);
  for (int i = 0; i < 7 * 100; ++i) ++picks[lb.Pick()];
  EXPECT_EQ(picks, (std::vector<int>{500, 100, 100}));
}

TEST(SmoothWeightedRoundRobinTest, PicksAreSpreadNotBunched) {
  SmoothWeightedRoundRobin lb({5, 1, 1});
  std::vector<size_t> sequence;
  sequence.reserve(7);
  for (int i = 0; i < 7; ++i) sequence.push_back(lb.Pick());
  // nginx's documented sequence for weights 5,1,1: a a b a c a a.
  EXPECT_EQ(sequence, (std::vector<size_t>{0, 0, 1, 0, 2, 0, 0}));
}

TEST(SmoothWeightedRoundRobinTest, SingleEndpointAlwaysPicked) {
  SmoothWeightedRoundRobin lb({3});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(lb.Pick(), 0u);
}

}  // namespace
}  // namespace switchyard::upstream
