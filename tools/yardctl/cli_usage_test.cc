// The command line as a whole: help, unknown commands and flags, and where flags may go.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/yardctl/testing/cli_runner.h"
#include "tools/yardctl/yardctl.h"

namespace switchyard::yardctl {
namespace {

using testing::CliOptions;
using testing::CliResult;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using testing::RunCli;
using ::testing::StartsWith;

// No test here may reach a server.
CliOptions NoServer() {
  CliOptions options;
  options.connect = [](const GrpcClientOptions& options) -> std::unique_ptr<AdminClient> {
    ADD_FAILURE() << "unexpected connection to " << options.target;
    return NewGrpcAdminClient(options);
  };
  return options;
}

TEST(CliUsageTest, GlobalHelpListsCommandsFlagsAndExitCodes) {
  for (const char* flag : {"--help", "-h"}) {
    const CliResult result = RunCli({flag}, NoServer());
    EXPECT_EQ(result.code, 0) << result.DebugString();
    EXPECT_EQ(result.err, "");
    for (const Command& command : AllCommands()) {
      EXPECT_THAT(result.out, HasSubstr("\n  " + std::string(command.name) + " "));
    }
    EXPECT_THAT(result.out, HasSubstr("--server HOST:PORT"));
    EXPECT_THAT(result.out, HasSubstr("YARDCTL_SERVER"));
    EXPECT_THAT(result.out, HasSubstr("5  control plane unreachable"));
  }
  EXPECT_EQ(RunCli({"help"}, NoServer()).out, RunCli({"--help"}, NoServer()).out);
}

TEST(CliUsageTest, EveryCommandHasHelp) {
  for (const Command& command : AllCommands()) {
    const std::string name(command.name);
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {name, "--help"}, {name, "-h"}, {"help", name}, {"--help", name}}) {
      const CliResult result = RunCli(args, NoServer());
      EXPECT_EQ(result.code, 0) << name << "\n" << result.DebugString();
      EXPECT_THAT(result.out, StartsWith("Usage: yardctl " + name));
      EXPECT_THAT(result.out, HasSubstr("Global flags:"));
      EXPECT_THAT(result.out, HasSubstr("Exit codes:"));
      for (const FlagSpec& flag : command.flags) {
        EXPECT_THAT(result.out, HasSubstr("--" + flag.name)) << name;
      }
    }
  }
}

TEST(CliUsageTest, HelpWinsOverMissingArguments) {
  const CliResult result = RunCli({"rollback", "--help"}, NoServer());
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_THAT(result.out, StartsWith("Usage: yardctl rollback VERSION"));
}

TEST(CliUsageTest, NoCommandPrintsHelpToStderr) {
  const CliResult result = RunCli({}, NoServer());
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, HasSubstr("Commands:"));
}

TEST(CliUsageTest, UnknownCommandAndHelpTopic) {
  CliResult result = RunCli({"aply", "-f", "x"}, NoServer());
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err, "error: unknown command \"aply\"\nRun `yardctl --help` for usage.\n");
  result = RunCli({"help", "aply"}, NoServer());
  EXPECT_EQ(result.code, 2);
  EXPECT_THAT(result.err, StartsWith("error: no help for \"aply\""));
}

TEST(CliUsageTest, UnknownFlagPointsAtTheCommandsHelp) {
  const CliResult result = RunCli({"apply", "-f", "x.yaml", "--dryrun"}, NoServer());
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err, "error: unknown flag --dryrun\nRun `yardctl apply --help` for usage.\n");
}

TEST(CliUsageTest, CommandFlagsOfAnotherCommandAreRefused) {
  const CliResult result = RunCli({"status", "--dry-run"}, NoServer());
  EXPECT_EQ(result.code, 2);
  EXPECT_THAT(result.err, StartsWith("error: unknown flag --dry-run\n"));
}

TEST(CliUsageTest, GlobalFlagsGoBeforeOrAfterTheCommand) {
  // Both spellings reach the same (offline) validation; --timeout is checked either way.
  CliResult result = RunCli({"--timeout", "nope", "validate", "-f", "x"}, NoServer());
  EXPECT_EQ(result.code, 2);
  EXPECT_THAT(result.err, HasSubstr("--timeout must be a duration"));
  EXPECT_THAT(result.err, EndsWith("Run `yardctl validate --help` for usage.\n"));
  result = RunCli({"validate", "-f", "x", "--timeout", "nope"}, NoServer());
  EXPECT_EQ(result.code, 2);
  EXPECT_THAT(result.err, HasSubstr("--timeout must be a duration"));

  result = RunCli({"-f", "x", "validate"}, NoServer());
  EXPECT_EQ(result.code, 2);
  EXPECT_THAT(result.err, HasSubstr("only global flags may come before the command"));
}

TEST(CliUsageTest, MissingRequiredFlag) {
  for (const char* command : {"apply", "diff", "validate"}) {
    const CliResult result = RunCli({command}, NoServer());
    EXPECT_EQ(result.code, 2) << command;
    EXPECT_THAT(result.err, StartsWith("error: missing -f, --file FILE\n"));
  }
}

}  // namespace
}  // namespace switchyard::yardctl
