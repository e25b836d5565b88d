// End to end with security on: the real yardctl binary against the real switchyard-control
// binary serving TLS, with the CA, certificates and bootstrap admin token from
// deploy/pki/make-pki.sh. A scripted operator session, the attacks of issue 7 through the
// CLI, and the audit log it leaves. Also the control plane's refusals to start unsafe.
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "controlplane/testing/control_plane_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/test_pki.h"
#include "tools/yardctl/testing/cli_runner.h"
#include "tools/yardctl/testing/command_test.h"

namespace switchyard::yardctl {
namespace {

using ::switchyard::controlplane::testing::ControlPlaneBinaryPath;
using ::switchyard::controlplane::testing::ControlPlaneProcess;
using ::switchyard::testing::CommandResult;
using ::switchyard::testing::MakeTempDir;
using ::switchyard::testing::RunCommand;
using ::switchyard::testing::RunfilePath;
using ::switchyard::testing::TestPki;
using ::switchyard::testing::WriteFile;
using ::testing::HasSubstr;
using testing::kValidYaml;
using testing::WriteTempFile;

constexpr int kDenied = 6;
constexpr int kInvalidInput = 3;
constexpr int kUnavailable = 5;

class SecureEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(pki_.Make({}, &error)) << error;
    audit_ = MakeTempDir("audit") + "/audit.log";
    ControlPlaneProcess::Options options;
    options.flags = {
        "--tls_ca=" + pki_.Path("ca.pem"), "--tls_cert=" + pki_.Path("control-plane.pem"),
        "--tls_key=" + pki_.Path("control-plane-key.pem"),
        "--admin_token_hash_file=" + pki_.Path("admin-token.sha256"), "--audit_log=" + audit_};
    cp_ = std::make_unique<ControlPlaneProcess>(options);
    ASSERT_TRUE(cp_->Start(&error)) << error;
  }

  // yardctl with the CA and `token` (none when empty) in its environment.
  CommandResult Yardctl(std::vector<std::string> args, const std::string& token) {
    std::map<std::string, std::string> env = {
        {"YARDCTL_SERVER", cp_->target()}, {"YARDCTL_CA", pki_.Path("ca.pem")}, {"USER", "e2e"}};
    if (!token.empty()) env["YARDCTL_TOKEN"] = token;
    args.insert(args.begin(), RunfilePath("tools/yardctl/yardctl"));
    return RunCommand(args, {.env = env});
  }

  std::vector<nlohmann::json> AuditLines() {
    std::ifstream in(audit_);
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

  TestPki pki_;
  std::string audit_;
  std::unique_ptr<ControlPlaneProcess> cp_;
};

TEST_F(SecureEndToEndTest, AScriptedOperatorSession) {
  const std::string admin = pki_.AdminToken();
  // Nobody: refused, exit 6, with what to do.
  CommandResult result = Yardctl({"status"}, "");
  EXPECT_EQ(result.exit_code, kDenied) << result.DebugString();
  EXPECT_THAT(result.stderr_text, HasSubstr("does not know who you are"));

  // The admin (bootstrap token) makes an operator and a viewer token.
  result = Yardctl({"tokens", "create", "ci", "--role", "operator"}, admin);
  ASSERT_EQ(result.exit_code, 0) << result.DebugString();
  const std::string ci = result.stdout_text.substr(0, result.stdout_text.find('\n'));
  EXPECT_THAT(ci, ::testing::MatchesRegex("syt_[0-9a-f]{64}"));
  EXPECT_THAT(result.stderr_text, HasSubstr("created token 'ci' (operator, expires never)"));
  result = Yardctl({"tokens", "create", "dashboard", "--role", "viewer", "--ttl", "24h"}, admin);
  ASSERT_EQ(result.exit_code, 0) << result.DebugString();
  const std::string viewer = result.stdout_text.substr(0, result.stdout_text.find('\n'));

  // The viewer reads but may not apply.
  result = Yardctl({"apply", "-f", WriteTempFile("ok.yaml", kValidYaml)}, viewer);
  EXPECT_EQ(result.exit_code, kDenied) << result.DebugString();
  EXPECT_THAT(result.stderr_text, HasSubstr("'dashboard' (viewer) may not apply a snapshot"));
  EXPECT_EQ(Yardctl({"history"}, viewer).exit_code, 0);

  // `{}` removes every route: refused by the server, whatever the client.
  result = Yardctl({"apply", "-f", WriteTempFile("empty.yaml", "{}\n")}, ci);
  EXPECT_EQ(result.exit_code, kInvalidInput) << result.DebugString();

  // The operator applies; the version's author is the token, not --author.
  result = Yardctl({"apply", "-f", WriteTempFile("ok.yaml", kValidYaml), "--author", "the-ceo",
                    "--message", "first"},
                   ci);
  ASSERT_EQ(result.exit_code, 0) << result.DebugString();
  result = Yardctl({"history", "-o", "json"}, viewer);
  ASSERT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_EQ(nlohmann::json::parse(result.stdout_text)["versions"][0]["author"], "ci");

  // Listing shows names, never tokens; a revoked token stops working.
  result = Yardctl({"tokens", "list"}, admin);
  ASSERT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_THAT(result.stdout_text, HasSubstr("ci"));
  EXPECT_THAT(result.stdout_text, HasSubstr("dashboard"));
  EXPECT_EQ(result.stdout_text.find(ci.substr(4)), std::string::npos);
  EXPECT_EQ(Yardctl({"tokens", "list"}, ci).exit_code, kDenied);
  ASSERT_EQ(Yardctl({"tokens", "revoke", "ci"}, admin).exit_code, 0);
  EXPECT_EQ(Yardctl({"status"}, ci).exit_code, kDenied);

  // Every call above is in the audit log, refusals included, and no token is.
  const std::vector<nlohmann::json> lines = AuditLines();
  ASSERT_EQ(lines.size(), 12u);
  std::vector<std::string> summary;
  for (const nlohmann::json& line : lines) {
    summary.push_back(line["method"].get<std::string>() + " " + line["caller"].get<std::string>() +
                      " " + line["code"].get<std::string>());
    EXPECT_EQ(line.dump().find(ci.substr(4)), std::string::npos);
    EXPECT_EQ(line.dump().find(admin.substr(4)), std::string::npos);
  }
  EXPECT_THAT(summary,
              ::testing::ElementsAre("Status  UNAUTHENTICATED", "CreateToken admin OK",
                                     "CreateToken admin OK", "Apply dashboard PERMISSION_DENIED",
                                     "History dashboard OK", "Apply ci INVALID_ARGUMENT",
                                     "Apply ci OK", "History dashboard OK", "ListTokens admin OK",
                                     "ListTokens ci PERMISSION_DENIED", "RevokeToken admin OK",
                                     "Status  UNAUTHENTICATED"));
}

TEST_F(SecureEndToEndTest, PlaintextAndWrongCasDoNotConnect) {
  CommandResult result = Yardctl({"status", "--insecure"}, "");
  EXPECT_EQ(result.exit_code, kUnavailable) << result.DebugString();
  TestPki other;
  std::string error;
  ASSERT_TRUE(other.Make({}, &error)) << error;
  result = Yardctl({"status", "--ca", other.Path("ca.pem")}, pki_.AdminToken());
  EXPECT_EQ(result.exit_code, kUnavailable) << result.DebugString();
  EXPECT_THAT(result.stderr_text, HasSubstr("--ca must be the CA that signed"));
}

// switchyard-control refuses to start where it would be open to the network.
TEST(ControlPlaneStartTest, UnsafeTransportsAreRefused) {
  const std::string db = MakeTempDir("db") + "/cp.db";
  auto run = [&](std::vector<std::string> flags) {
    flags.insert(flags.begin(), {ControlPlaneBinaryPath(), "--db=" + db});
    return RunCommand(flags, std::chrono::seconds(20));
  };
  CommandResult result = run({"--listen=127.0.0.1:0"});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("give --tls_ca, --tls_cert and --tls_key"));
  result = run({"--listen=0.0.0.0:0", "--insecure"});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("add --insecure_allow_remote if that is really meant"));
  result = run({"--listen=127.0.0.1:0", "--insecure", "--admin_token_hash_file=/dev/null"});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  result = run({"--listen=127.0.0.1:0", "--tls_ca=/nonexistent", "--tls_cert=/x", "--tls_key=/y"});
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_THAT(result.output, HasSubstr("--tls_ca=/nonexistent: cannot be read"));
}

TEST(ControlPlaneStartTest, InsecureOnARemoteAddressNeedsTheSecondFlagAndWarns) {
  ControlPlaneProcess::Options options;
  options.flags = {"--listen=0.0.0.0:0", "--insecure", "--insecure_allow_remote"};
  ControlPlaneProcess cp(options);
  std::string error;
  ASSERT_TRUE(cp.Start(&error)) << error;
  EXPECT_THAT(cp.StderrTail(), HasSubstr("NO AUTHENTICATION"));
  EXPECT_THAT(cp.StderrTail(), HasSubstr("NOT LOOPBACK"));
}

}  // namespace
}  // namespace switchyard::yardctl
