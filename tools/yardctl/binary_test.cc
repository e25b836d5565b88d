// The real yardctl binary as a child process: main() wiring, exit codes as the shell
// sees them, and stdout/stderr kept apart.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/yardctl/testing/command_test.h"
#include "tools/yardctl/testing/reserved_port.h"
#include "tools/yardctl/testing/subprocess.h"

namespace switchyard::yardctl {
namespace {

using testing::FakeAdminServer;
using ::testing::HasSubstr;
using testing::kValidYaml;
using testing::ProcessResult;
using testing::Reply;
using testing::ReservedPort;
using testing::RunfilePath;
using testing::RunProcess;
using ::testing::StartsWith;
using testing::WriteTempFile;

ProcessResult Yardctl(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), RunfilePath("tools/yardctl/yardctl"));
  env.emplace("USER", "ci");
  return RunProcess(args, env);
}

TEST(BinaryTest, Help) {
  const ProcessResult result = Yardctl({"--help"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_THAT(result.out, StartsWith("yardctl: the Switchyard operator's CLI."));
  EXPECT_EQ(result.err, "");
}

TEST(BinaryTest, ValidateOkAndInvalid) {
  ProcessResult result = Yardctl({"validate", "-f", WriteTempFile("ok.yaml", kValidYaml)});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_THAT(result.out, StartsWith("OK: "));

  result = Yardctl(
      {"validate", "-f", WriteTempFile("bad.yaml", "clusters: [{name: c, endpoints: []}]\n")});
  EXPECT_EQ(result.code, 3) << result.DebugString();
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, HasSubstr("clusters[c].endpoints"));
}

TEST(BinaryTest, UsageError) {
  const ProcessResult result = Yardctl({"frobnicate"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
}

TEST(BinaryTest, ServerFromEnvironmentAndAuthorFromUser) {
  FakeAdminServer server;
  ASSERT_TRUE(server.ok());
  v1::ApplyResponse applied;
  applied.set_version(4);
  applied.set_changed(true);
  server.OnApply(Reply<v1::ApplyRequest>(applied));
  const ProcessResult result = Yardctl({"apply", "-f", WriteTempFile("ok.yaml", kValidYaml)},
                                       {{"YARDCTL_SERVER", server.address()}});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "applied: version 4\n");
  ASSERT_EQ(server.apply_requests().size(), 1u);
  EXPECT_THAT(server.apply_requests()[0].author(), StartsWith("ci@"));
}

TEST(BinaryTest, UnreachableExitsFive) {
  const ReservedPort port(/*listening=*/false);
  ASSERT_TRUE(port.Bound());
  const ProcessResult result = Yardctl({"status", "--server", port.Address()});
  EXPECT_EQ(result.code, 5) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("cannot reach the control plane at " + port.Address()));
}

}  // namespace
}  // namespace switchyard::yardctl
