// Optimistic concurrency through the real yardctl binary: two operators apply different
// snapshots against the same --expected-version at the same moment; exactly one wins
// (exit 0) and the other gets a conflict (exit 4), and only the winner's snapshot is
// stored. A stale --expected-version is refused the same way and stores nothing.
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/support/components.h"
#include "tests/e2e/support/e2e_test.h"
#include "tests/support/child_process.h"

namespace switchyard::e2e {
namespace {

using ::switchyard::testing::WriteFile;

constexpr int kRounds = 5;
constexpr int kExitConflict = 4;

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

class OptimisticConcurrencyTest : public E2eTest {
 protected:
  // A snapshot whose only route is named `route_name` (so `yardctl get` shows which
  // snapshot is stored).
  // A different snapshot for each `name` (its one route's prefix), always the same route:
  // replacing the route would be a mass removal, which the control plane refuses.
  std::string Config(const std::string& name) {
    return SnapshotYaml({{"all", "prefix: /" + name + "/", "a"}}, {{"a", {a_->port()}}});
  }

  uint64_t CurrentVersion() {
    std::string error;
    const auto status = yardctl().StatusJson(&error);
    EXPECT_TRUE(status.has_value()) << error;
    return status ? JsonUint(*status, "current_version") : 0;
  }

  TestBackend* a_ = nullptr;
};

TEST_F(OptimisticConcurrencyTest, TwoAppliesAgainstTheSameVersionOneWinsOneConflicts) {
  a_ = &AddBackend("A");
  ASSERT_TRUE(StartControlPlane());
  uint64_t current = 0;
  ASSERT_TRUE(Apply(Config("initial"), &current));
  ASSERT_EQ(CurrentVersion(), current);

  const std::string yardctl_bin = RunfilePath("tools/yardctl/yardctl");
  int conflicts_seen = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string names[2] = {"round" + std::to_string(round) + "-first",
                                  "round" + std::to_string(round) + "-second"};
    std::string files[2];
    for (int i = 0; i < 2; ++i) {
      files[i] = dir() + "/" + names[i] + ".yaml";
      ASSERT_TRUE(WriteFile(files[i], Config(names[i])));
    }
    // Both processes start together; whichever the server orders second is stale.
    CommandResult results[2];
    std::vector<std::thread> threads;
    threads.reserve(2);
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&, i] {
        results[i] = RunCommand({yardctl_bin, "--server", control().address(), "--insecure",
                                 "apply", "-f", files[i], "--expected-version",
                                 std::to_string(current), "--message", names[i]});
      });
    }
    for (std::thread& t : threads) t.join();

    int winner = -1;
    for (int i = 0; i < 2; ++i) {
      ASSERT_FALSE(results[i].timed_out) << results[i].DebugString();
      ASSERT_TRUE(results[i].exit_code == 0 || results[i].exit_code == kExitConflict)
          << "round " << round << ", apply " << i << ": " << results[i].DebugString();
      if (results[i].exit_code == 0) winner = i;
    }
    ASSERT_NE(results[0].exit_code, results[1].exit_code)
        << "round " << round << ": exactly one apply may win\n first: " << results[0].DebugString()
        << "\n second: " << results[1].DebugString();
    ++conflicts_seen;
    const int loser = 1 - winner;
    std::printf("[optimistic concurrency] round %d: %s won (\"%s\"); %s got exit %d (\"%s\")\n",
                round, names[winner].c_str(), FirstLine(results[winner].output).c_str(),
                names[loser].c_str(), results[loser].exit_code,
                FirstLine(results[loser].output).c_str());

    // One new version, holding the winner's snapshot.
    const uint64_t stored = Yardctl::AppliedVersion(results[winner]);
    EXPECT_EQ(stored, current + 1) << results[winner].output;
    EXPECT_EQ(CurrentVersion(), current + 1);
    const CommandResult get = yardctl().Run({"get"});
    ASSERT_EQ(get.exit_code, 0) << get.DebugString();
    EXPECT_NE(get.output.find(names[winner]), std::string::npos) << get.output;
    EXPECT_EQ(get.output.find(names[loser]), std::string::npos) << get.output;
    current += 1;
  }
  EXPECT_EQ(conflicts_seen, kRounds);

  // A stale expected version (the one before the current) is a conflict and stores nothing.
  const CommandResult stale =
      yardctl().Apply(Config("stale"), {"--expected-version", std::to_string(current - 1)});
  EXPECT_EQ(stale.exit_code, kExitConflict) << stale.DebugString();
  EXPECT_EQ(CurrentVersion(), current);
  // The right one goes through.
  const CommandResult fresh =
      yardctl().Apply(Config("fresh"), {"--expected-version", std::to_string(current)});
  EXPECT_EQ(fresh.exit_code, 0) << fresh.DebugString();
  EXPECT_EQ(Yardctl::AppliedVersion(fresh), current + 1) << fresh.output;
}

}  // namespace
}  // namespace switchyard::e2e
