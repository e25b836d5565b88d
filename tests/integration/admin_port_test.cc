// The proxy's admin port: loopback without ceremony; anywhere else only with a token, which
// /stats, /metrics and /config_dump then require (and /ready, /healthz do not: load
// balancers probe them and they tell nothing).
#include <sys/stat.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/http_message.h"
#include "tests/support/raw_client.h"

namespace switchyard::testing {
namespace {

constexpr char kConfig[] = R"yaml(virtual_hosts:
  - name: v
    domains: ["*"]
    routes: [{name: r, match: {prefix: /}, route: {cluster: c}}]
clusters:
  - name: c
    endpoints: [{address: 127.0.0.1, port: 9}]
)yaml";
constexpr char kToken[] = "syt_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

class AdminPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("admin");
    ASSERT_TRUE(WriteFile(dir_ + "/config.yaml", kConfig));
  }

  std::vector<std::string> Argv(const std::string& admin, std::vector<std::string> extra) {
    std::vector<std::string> argv = {RunfilePath("dataplane/switchyard-proxy"),
                                     "--config=" + dir_ + "/config.yaml",
                                     "--listen=127.0.0.1:0",
                                     "--admin=" + admin,
                                     "--workers=1",
                                     "--drain_grace_period=0s",
                                     "--ready_file=" + dir_ + "/ready"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  std::string TokenFile(mode_t mode) {
    const std::string path = dir_ + "/admin-token";
    EXPECT_TRUE(WriteFile(path, std::string(kToken) + "\n"));
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  static Response AdminGet(uint16_t port, const std::string& path, const std::string& token) {
    Headers headers = {{"Host", "admin"}};
    if (!token.empty()) headers.Add("Authorization", "Bearer " + token);
    RawClient client(port);
    return client.RoundTrip(BuildRequest("GET", path, headers, ""));
  }

  std::string dir_;
};

TEST_F(AdminPortTest, ARemoteAdminAddressWithoutATokenIsRefused) {
  CommandResult run = RunCommand(Argv("0.0.0.0:0", {}), std::chrono::seconds(20));
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("give --admin_token_file"), std::string::npos) << run.output;
  run = RunCommand(Argv("0.0.0.0:0", {"--admin_token_file=" + TokenFile(0644)}),
                   std::chrono::seconds(20));
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("chmod 600"), std::string::npos) << run.output;
}

TEST_F(AdminPortTest, WithATokenStatsNeedItAndHealthChecksDoNot) {
  ChildProcess proxy("proxy");
  std::vector<uint16_t> ports;
  std::string error;
  ASSERT_TRUE(
      proxy.StartAndWaitForReadyFile(Argv("0.0.0.0:0", {"--admin_token_file=" + TokenFile(0600)}),
                                     {.stdout_path = dir_ + "/log", .stderr_path = dir_ + "/log"},
                                     {.path = dir_ + "/ready", .ports = 2}, &ports, &error))
      << error;
  const uint16_t admin = ports[1];
  EXPECT_EQ(AdminGet(admin, "/ready", "").status, 200);
  EXPECT_EQ(AdminGet(admin, "/healthz", "").status, 200);
  for (const char* path : {"/stats", "/metrics", "/config_dump"}) {
    const Response anonymous = AdminGet(admin, path, "");
    EXPECT_EQ(anonymous.status, 401) << path;
    EXPECT_EQ(anonymous.body.find("virtual_hosts"), std::string::npos);
    EXPECT_EQ(AdminGet(admin, path, std::string(kToken, sizeof(kToken) - 2) + "0").status, 401);
    EXPECT_EQ(AdminGet(admin, path, kToken).status, 200) << path;
  }
}

TEST_F(AdminPortTest, LoopbackNeedsNoToken) {
  ChildProcess proxy("proxy");
  std::vector<uint16_t> ports;
  std::string error;
  ASSERT_TRUE(proxy.StartAndWaitForReadyFile(
      Argv("127.0.0.1:0", {}), {.stdout_path = dir_ + "/log", .stderr_path = dir_ + "/log"},
      {.path = dir_ + "/ready", .ports = 2}, &ports, &error))
      << error;
  EXPECT_EQ(AdminGet(ports[1], "/stats", "").status, 200);
}

}  // namespace
}  // namespace switchyard::testing
