#include "common/drain_sequence.h"

#include "gtest/gtest.h"

namespace switchyard {
namespace {

using std::chrono::milliseconds;
using Step = DrainSequence::Step;

const DrainSequence::Clock::time_point kStart{std::chrono::hours(1)};

TEST(DrainSequenceTest, AnnouncesForTheGracePeriodThenClosesListenersOnce) {
  DrainSequence drain({.grace_period = milliseconds(5000), .timeout = milliseconds(20000)}, kStart);
  EXPECT_EQ(drain.next_deadline(), kStart + milliseconds(5000));
  // Connections still open during the grace period change nothing.
  DrainSequence::Action action = drain.Advance(kStart + milliseconds(4999), 0);
  EXPECT_FALSE(action.close_listeners);
  EXPECT_FALSE(action.finished);
  EXPECT_EQ(drain.step(), Step::kAnnouncing);

  action = drain.Advance(kStart + milliseconds(5000), 3);
  EXPECT_TRUE(action.close_listeners);
  EXPECT_FALSE(action.finished);
  EXPECT_EQ(drain.step(), Step::kClosing);
  EXPECT_EQ(drain.next_deadline(), kStart + milliseconds(25000));

  action = drain.Advance(kStart + milliseconds(6000), 3);
  EXPECT_FALSE(action.close_listeners);
  EXPECT_FALSE(action.finished);
}

TEST(DrainSequenceTest, FinishesWhenTheLastConnectionCloses) {
  DrainSequence drain({.grace_period = milliseconds(0), .timeout = milliseconds(20000)}, kStart);
  EXPECT_TRUE(drain.Advance(kStart, 2).close_listeners);
  EXPECT_FALSE(drain.Advance(kStart + milliseconds(100), 1).finished);
  const DrainSequence::Action action = drain.Advance(kStart + milliseconds(200), 0);
  EXPECT_TRUE(action.finished);
  EXPECT_EQ(drain.step(), Step::kDone);
  EXPECT_FALSE(drain.cut_connections());
  // Done stays done, and says so only once.
  EXPECT_FALSE(drain.Advance(kStart + milliseconds(300), 0).finished);
  EXPECT_EQ(drain.next_deadline(), DrainSequence::Clock::time_point::max());
}

TEST(DrainSequenceTest, TheTimeoutCutsConnectionsThatDoNotFinish) {
  DrainSequence drain({.grace_period = milliseconds(1000), .timeout = milliseconds(3000)}, kStart);
  EXPECT_TRUE(drain.Advance(kStart + milliseconds(1200), 5).close_listeners);
  // The timeout runs from when the listeners closed, not from when the grace period ended.
  EXPECT_FALSE(drain.Advance(kStart + milliseconds(4100), 5).finished);
  const DrainSequence::Action action = drain.Advance(kStart + milliseconds(4200), 5);
  EXPECT_TRUE(action.finished);
  EXPECT_TRUE(drain.cut_connections());
}

TEST(DrainSequenceTest, ListenersCloseBeforeFinishingEvenWithNoConnections) {
  // Zero open connections while announcing must not skip closing the listeners.
  DrainSequence drain({.grace_period = milliseconds(10), .timeout = milliseconds(10)}, kStart);
  EXPECT_FALSE(drain.Advance(kStart, 0).finished);
  const DrainSequence::Action close = drain.Advance(kStart + milliseconds(10), 0);
  EXPECT_TRUE(close.close_listeners);
  EXPECT_FALSE(close.finished);
  EXPECT_TRUE(drain.Advance(kStart + milliseconds(10), 0).finished);
}

}  // namespace
}  // namespace switchyard
