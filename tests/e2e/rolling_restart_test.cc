// An operator's rolling restart and binary upgrade of deploy/local under continuous load
// through its HAProxy: each of the three replicas in turn gets SIGTERM, drains (not ready,
// Connection: close, listener closed after the grace period, requests in flight
// finished), and starts again on the same ports (`up.sh restart-proxy N`); then replica 2
// is replaced by a new process that takes its listening sockets (`up.sh upgrade-proxy
// 2`). The client, four keep-alive threads through HAProxy, counts every request; none
// may fail.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/e2e/support/components.h"
#include "tests/e2e/support/deploy_local.h"
#include "tests/e2e/support/load_generator.h"
#include "tests/support/child_process.h"

namespace switchyard::e2e {
namespace {

using ::switchyard::testing::MakeTempDir;
using ::switchyard::testing::ReadFile;

class RollingRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = MakeTempDir();
    ASSERT_FALSE(dir.empty());
    state_dir_ = dir + "/state";
  }
  void TearDown() override { RunUpSh({"down"}, state_dir_); }

  RecordedProcess RecordOf(const std::string& name) {
    for (const RecordedProcess& p : ReadComponents(state_dir_ + "/components.tsv")) {
      if (p.name == name) return p;
    }
    return {};
  }

  std::string state_dir_;
};

TEST_F(RollingRestartTest, EveryReplicaRestartedAndOneUpgradedUnderLoadFailNoRequest) {
  const CommandResult up = RunUpSh({"up", "--base-port", "0"}, state_dir_);
  ASSERT_EQ(up.exit_code, 0) << up.DebugString();
  const auto env = ReadEnvFile(state_dir_ + "/endpoints.env");
  const uint16_t lb = PortOf(env, "LB_PORT");
  ASSERT_NE(lb, 0);

  LoadGenerator::Options options;
  options.port = lb;
  options.host = "api.example.com";
  options.targets = {"/users/1", "/users/2", "/users/3"};
  options.threads = 4;
  options.requests_per_second = 100;
  LoadGenerator load(options);
  load.Start();
  ASSERT_TRUE(PollUntil([&] { return load.counts().ok >= 200; }, std::chrono::seconds(20)))
      << load.Report();

  std::vector<std::string> steps = {"restart-proxy 1", "restart-proxy 2", "restart-proxy 3",
                                    "upgrade-proxy 2"};
  for (const std::string& step : steps) {
    const std::string command = step.substr(0, step.find(' '));
    const std::string replica = step.substr(step.find(' ') + 1);
    const RecordedProcess before = RecordOf("proxy" + replica);
    const uint64_t ok_before = load.counts().ok;
    const CommandResult run = RunUpSh({command, replica}, state_dir_);
    ASSERT_EQ(run.exit_code, 0) << step << ":\n" << run.DebugString();
    const RecordedProcess after = RecordOf("proxy" + replica);
    EXPECT_NE(after.pid, before.pid) << step;
    EXPECT_FALSE(StillRunning(before)) << step << ": pid " << before.pid << " still runs";
    EXPECT_TRUE(StillRunning(after)) << step;
    // Traffic went on through the step.
    EXPECT_GT(load.counts().ok, ok_before) << step;
    std::printf("[rolling restart] %s: pid %d -> %d, %s\n", step.c_str(), before.pid, after.pid,
                load.Report().c_str());
  }
  // Some more traffic on the final set, then the verdict.
  const uint64_t ok_now = load.counts().ok;
  ASSERT_TRUE(
      PollUntil([&] { return load.counts().ok >= ok_now + 200; }, std::chrono::seconds(20)));
  load.Stop();
  const LoadGenerator::Counts counts = load.counts();
  EXPECT_EQ(counts.failed(), 0u) << load.Report();
  // HAProxy's own count of requests it sent again (retry-on), for the report.
  const Response csv = HttpGet(PortOf(env, "LB_STATS_PORT"), "/;csv", "stats");
  std::string backend_line;
  for (const absl::string_view line : absl::StrSplit(csv.body, '\n')) {
    if (absl::StartsWith(line, "proxies,BACKEND,")) backend_line = std::string(line);
  }
  const std::vector<std::string> fields = absl::StrSplit(backend_line, ',');
  std::printf("[rolling restart] total: %s; HAProxy retries (wretr) %s, redispatches %s\n",
              load.Report().c_str(), fields.size() > 16 ? fields[15].c_str() : "?",
              fields.size() > 16 ? fields[16].c_str() : "?");

  const std::string log2 = ReadFile(state_dir_ + "/logs/proxy2.log");
  EXPECT_NE(log2.find("handed over to a successor"), std::string::npos);
  EXPECT_NE(log2.find("took 1 listening sockets and its admin socket"), std::string::npos);
  for (const char* name : {"proxy1", "proxy3"}) {
    const std::string log = ReadFile(state_dir_ + "/logs/" + name + ".log");
    EXPECT_NE(log.find("draining: listeners closed"), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace switchyard::e2e
