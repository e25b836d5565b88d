// deploy/local/up.sh as an operator uses it: `up` starts the whole deployment in the
// background and prints where everything listens, `status` reports it, a second `up`
// refuses, `down` stops every process it started (checked by PID and start time), and
// `up` again resumes from the same store. Its Prometheus scrapes every proxy and the
// control plane.
#include "tests/e2e/support/deploy_local.h"

#include <cstdio>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/support/components.h"
#include "tests/support/child_process.h"

namespace switchyard::e2e {
namespace {

using ::switchyard::testing::MakeTempDir;
using ::switchyard::testing::ReadFile;

constexpr int kExitNothingStarted = 3;

class DeployLocalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    ASSERT_FALSE(dir_.empty());
    state_dir_ = dir_ + "/state";
  }
  // Whatever happened, nothing the script started may outlive the test.
  void TearDown() override { UpSh({"down"}); }

  CommandResult UpSh(const std::vector<std::string>& args) { return RunUpSh(args, state_dir_); }

  std::string dir_;
  std::string state_dir_;
};

TEST_F(DeployLocalTest, UpStatusDownAndUpAgain) {
  const CommandResult up = UpSh({"up", "--base-port", "0"});
  ASSERT_EQ(up.exit_code, 0) << up.DebugString();
  std::printf("[deploy/local] up.sh up took %.1f s and printed:\n%s\n",
              std::chrono::duration<double>(up.elapsed).count(), up.output.c_str());
  for (const char* name : {"COMPONENT", "control", "proxy1", "proxy2", "proxy3", "haproxy", "blue",
                           "green", "prometheus"}) {
    EXPECT_NE(up.output.find(name), std::string::npos) << "the table lacks " << name;
  }
  const auto env = ReadEnvFile(state_dir_ + "/endpoints.env");
  const uint16_t lb = PortOf(env, "LB_PORT");
  ASSERT_NE(lb, 0);
  const std::vector<RecordedProcess> recorded = ReadComponents(state_dir_ + "/components.tsv");
  ASSERT_EQ(recorded.size(), 8u);
  for (const RecordedProcess& r : recorded) EXPECT_TRUE(StillRunning(r)) << r.name;

  // The initial config is served through HAProxy by every replica.
  uint64_t version = 0;
  for (int i = 1; i <= 3; ++i) {
    const uint16_t admin = PortOf(env, "PROXY" + std::to_string(i) + "_ADMIN_PORT");
    const Response s = HttpGet(admin, "/stats", "admin");
    const auto j = nlohmann::json::parse(s.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << s.body;
    version = JsonUint(j, "version");
    EXPECT_GT(version, 0u) << s.body;
    EXPECT_TRUE(j["discovery"].value("connected", false)) << s.body;
  }
  for (int i = 0; i < 6; ++i) {
    const Response r = HttpGet(lb, "/users/" + std::to_string(i), "api.example.com");
    EXPECT_TRUE(r.complete && r.status == 200 && BackendOf(r) == "blue") << Summary(r);
  }

  // Prometheus sees the three proxies and the control plane up, and the requests above.
  const uint16_t prometheus = PortOf(env, "PROMETHEUS_PORT");
  ASSERT_NE(prometheus, 0);
  nlohmann::json last;
  const auto query = [&](const std::string& promql) {
    const Response r = HttpGet(prometheus, "/api/v1/query?query=" + promql, "prometheus");
    last = nlohmann::json::parse(r.body, nullptr, false);
    return last.is_object() && last.value("status", "") == "success" ? last["data"]["result"]
                                                                     : nlohmann::json::array();
  };
  const auto all_up = [&] {
    const nlohmann::json up = query("up");
    size_t up_count = 0;
    for (const auto& series : up) up_count += series["value"][1] == "1" ? 1 : 0;
    return up.size() == 4 && up_count == 4;
  };
  EXPECT_TRUE(PollUntil(all_up, std::chrono::seconds(30))) << last.dump();
  const auto requests_seen = [&] {
    const nlohmann::json sum = query("sum(switchyard_requests_total)");
    return sum.size() == 1 && std::stod(sum[0]["value"][1].get<std::string>()) >= 6;
  };
  EXPECT_TRUE(PollUntil(requests_seen, std::chrono::seconds(30))) << last.dump();

  const CommandResult status = UpSh({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.DebugString();
  EXPECT_NE(status.output.find("version=" + std::to_string(version)), std::string::npos)
      << status.output;

  const CommandResult again = UpSh({"up", "--base-port", "0"});
  EXPECT_EQ(again.exit_code, 1) << "a second up on a running state dir must refuse: "
                                << again.DebugString();
  for (const RecordedProcess& r : recorded) EXPECT_TRUE(StillRunning(r)) << r.name;

  const CommandResult down = UpSh({"down"});
  EXPECT_EQ(down.exit_code, 0) << down.DebugString();
  for (const RecordedProcess& r : recorded) {
    EXPECT_FALSE(StillRunning(r)) << r.name << " (pid " << r.pid << ") survived down";
  }
  EXPECT_EQ(UpSh({"status"}).exit_code, kExitNothingStarted);

  // The store survives `down`: the next `up` continues its version history (the backends
  // got new free ports, so the initial config is a new version, not version 1 again).
  const CommandResult up2 = UpSh({"up", "--base-port", "0"});
  ASSERT_EQ(up2.exit_code, 0) << up2.DebugString();
  const auto env2 = ReadEnvFile(state_dir_ + "/endpoints.env");
  const Response s = HttpGet(PortOf(env2, "PROXY1_ADMIN_PORT"), "/stats", "admin");
  const auto j = nlohmann::json::parse(s.body, nullptr, false);
  EXPECT_GT(JsonUint(j, "version"), version) << s.body;
  EXPECT_EQ(UpSh({"down"}).exit_code, 0);
}

// --secure: the same deployment with TLS between all programs, proxies authenticated by
// their certificates and the operator by the admin token, all made by make-pki.sh.
TEST_F(DeployLocalTest, SecureVariantServesWithCertificatesAndTokens) {
  const CommandResult up = UpSh({"up", "--base-port", "0", "--proxies", "2", "--secure"});
  ASSERT_EQ(up.exit_code, 0) << up.DebugString();
  const auto env = ReadEnvFile(state_dir_ + "/endpoints.env");
  for (int i = 1; i <= 2; ++i) {
    const Response s =
        HttpGet(PortOf(env, "PROXY" + std::to_string(i) + "_ADMIN_PORT"), "/stats", "admin");
    const auto j = nlohmann::json::parse(s.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << s.body;
    EXPECT_GT(JsonUint(j, "version"), 0u) << s.body;
    EXPECT_TRUE(j["discovery"].value("connected", false)) << s.body;
  }
  const Response r = HttpGet(PortOf(env, "LB_PORT"), "/users/1", "api.example.com");
  EXPECT_TRUE(r.complete && r.status == 200 && BackendOf(r) == "blue") << Summary(r);

  // The config file up.sh wrote is all yardctl needs; without the token it gets nowhere.
  const std::string yardctl = RunfilePath("tools/yardctl/yardctl");
  CommandResult status = RunCommand({yardctl, "status", "-o", "json"},
                                    {.env = std::map<std::string, std::string>{
                                         {"YARDCTL_CONFIG", state_dir_ + "/yardctl.config"}}});
  ASSERT_EQ(status.exit_code, 0) << status.DebugString();
  const auto proxies = nlohmann::json::parse(status.stdout_text)["proxies"];
  ASSERT_EQ(proxies.size(), 2u) << status.stdout_text;
  EXPECT_EQ(proxies[0]["node_id"], "local-proxy1");
  const std::string server = "127.0.0.1:" + std::to_string(PortOf(env, "CONTROL_PORT"));
  status = RunCommand({yardctl, "status", "--server", server, "--ca", state_dir_ + "/pki/ca.pem"},
                      {.env = std::map<std::string, std::string>{}});
  EXPECT_EQ(status.exit_code, 6) << status.DebugString();
  // The initial apply is in the audit log under the admin token's name.
  EXPECT_NE(ReadFile(state_dir_ + "/audit.log").find(R"("caller":"admin")"), std::string::npos);
  EXPECT_EQ(UpSh({"down"}).exit_code, 0);
}

}  // namespace
}  // namespace switchyard::e2e
