// The real yardctl binary as a child process: main() wiring, exit codes as the shell
// sees them, and stdout/stderr kept apart.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tools/yardctl/testing/command_test.h"
#include "tools/yardctl/testing/reserved_port.h"

namespace switchyard::yardctl {
namespace {

using ::switchyard::testing::CommandResult;
using ::switchyard::testing::RunCommand;
using ::switchyard::testing::RunfilePath;
using testing::FakeAdminServer;
using ::testing::HasSubstr;
using testing::kValidYaml;
using testing::Reply;
using testing::ReservedPort;
using ::testing::StartsWith;
using testing::WriteTempFile;

CommandResult Yardctl(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), RunfilePath("tools/yardctl/yardctl"));
  env.emplace("USER", "ci");
  env.emplace("YARDCTL_INSECURE", "1");  // the scripted server is plaintext on loopback
  return RunCommand(args, {.env = env});
}

TEST(BinaryTest, Help) {
  const CommandResult result = Yardctl({"--help"});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_THAT(result.stdout_text, StartsWith("yardctl: the Switchyard operator's CLI."));
  EXPECT_EQ(result.stderr_text, "");
}

TEST(BinaryTest, ValidateOkAndInvalid) {
  CommandResult result = Yardctl({"validate", "-f", WriteTempFile("ok.yaml", kValidYaml)});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_THAT(result.stdout_text, StartsWith("OK: "));

  result = Yardctl(
      {"validate", "-f", WriteTempFile("bad.yaml", "clusters: [{name: c, endpoints: []}]\n")});
  EXPECT_EQ(result.exit_code, 3) << result.DebugString();
  EXPECT_EQ(result.stdout_text, "");
  EXPECT_THAT(result.stderr_text, HasSubstr("clusters[c].endpoints"));
}

TEST(BinaryTest, UsageError) {
  const CommandResult result = Yardctl({"frobnicate"});
  EXPECT_EQ(result.exit_code, 2) << result.DebugString();
}

TEST(BinaryTest, ServerFromEnvironmentAndAuthorFromUser) {
  FakeAdminServer server;
  ASSERT_TRUE(server.ok());
  v1::ApplyResponse applied;
  applied.set_version(4);
  applied.set_changed(true);
  server.OnApply(Reply<v1::ApplyRequest>(applied));
  const CommandResult result = Yardctl({"apply", "-f", WriteTempFile("ok.yaml", kValidYaml)},
                                       {{"YARDCTL_SERVER", server.address()}});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_EQ(result.stdout_text, "applied: version 4\n");
  ASSERT_EQ(server.apply_requests().size(), 1u);
  EXPECT_THAT(server.apply_requests()[0].author(), StartsWith("ci@"));
}

TEST(BinaryTest, UnreachableExitsFive) {
  const ReservedPort port(/*listening=*/false);
  ASSERT_TRUE(port.Bound());
  const CommandResult result = Yardctl({"status", "--server", port.Address()});
  EXPECT_EQ(result.exit_code, 5) << result.DebugString();
  EXPECT_THAT(result.stderr_text, HasSubstr("cannot reach the control plane at " + port.Address()));
}

}  // namespace
}  // namespace switchyard::yardctl
