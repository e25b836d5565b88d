#include "tools/yardctl/args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/yardctl/context.h"

namespace switchyard::yardctl {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<FlagSpec> kSpecs = {
    {.name = "file", .short_name = 'f', .value_name = "FILE"},
    {.name = "dry-run"},
    {.name = "expected-version", .value_name = "N"},
    {.name = "output", .short_name = 'o', .value_name = "FORMAT"},
};

std::string Message(const absl::Status& status) { return std::string(status.message()); }

TEST(ParseArgsTest, AcceptsEveryFlagSpelling) {
  absl::StatusOr<ParsedArgs> parsed =
      ParseArgs({"-f", "a.yaml", "--expected-version=7", "pos", "-o=json", "--dry-run"}, kSpecs);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Get("file"), "a.yaml");
  EXPECT_EQ(parsed->Get("expected-version"), "7");
  EXPECT_EQ(parsed->Get("output"), "json");
  EXPECT_TRUE(parsed->IsSet("dry-run"));
  EXPECT_THAT(parsed->positional(), ElementsAre("pos"));

  parsed = ParseArgs({"--file", "b.yaml", "--output", "yaml"}, kSpecs);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Get("file"), "b.yaml");
  EXPECT_EQ(parsed->Get("output"), "yaml");
  EXPECT_FALSE(parsed->Has("dry-run"));
  EXPECT_FALSE(parsed->IsSet("dry-run"));
}

TEST(ParseArgsTest, BooleanFlagTakesExplicitTrueOrFalseOnly) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs({"--dry-run=false"}, kSpecs);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->Has("dry-run"));
  EXPECT_FALSE(parsed->IsSet("dry-run"));

  parsed = ParseArgs({"--dry-run=yes"}, kSpecs);
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(Message(parsed.status()), HasSubstr("--dry-run takes no value"));
}

TEST(ParseArgsTest, ValueMayLookLikeAFlagOrBeEmpty) {
  // "-f -" is stdin; a value is taken as given even when it starts with a dash.
  absl::StatusOr<ParsedArgs> parsed = ParseArgs({"-f", "-", "--output", "--dry-run"}, kSpecs);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->Get("file"), "-");
  EXPECT_EQ(parsed->Get("output"), "--dry-run");
  parsed = ParseArgs({"--file="}, kSpecs);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->Get("file"), "");
}

TEST(ParseArgsTest, LoneDashAndDoubleDashArePositional) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs({"-", "--", "--dry-run", "-f"}, kSpecs);
  ASSERT_TRUE(parsed.ok());
  EXPECT_THAT(parsed->positional(), ElementsAre("-", "--dry-run", "-f"));
  EXPECT_FALSE(parsed->Has("dry-run"));
}

TEST(ParseArgsTest, RejectsUnknownRepeatedAndValuelessFlags) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs({"--dryrun"}, kSpecs);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(parsed.status()), "unknown flag --dryrun");

  parsed = ParseArgs({"--dryrun=1"}, kSpecs);
  EXPECT_EQ(Message(parsed.status()), "unknown flag --dryrun");
  parsed = ParseArgs({"-x"}, kSpecs);
  EXPECT_EQ(Message(parsed.status()), "unknown flag -x");
  // Single-dash long names are not accepted: "-file" could be a typo of "-f ile".
  parsed = ParseArgs({"-file", "a"}, kSpecs);
  EXPECT_FALSE(parsed.ok());

  parsed = ParseArgs({"-f", "a", "--file", "b"}, kSpecs);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(Message(parsed.status()), "flag --file given more than once");

  parsed = ParseArgs({"--expected-version"}, kSpecs);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(Message(parsed.status()), "flag --expected-version needs a value (N)");
}

TEST(SplitCommandLineTest, SeparatesLeadingGlobalFlagsCommandAndRest) {
  absl::StatusOr<CommandLine> line = SplitCommandLine(
      {"--server", "h:1", "--timeout=2s", "get", "routes", "-o", "json"}, GlobalFlags());
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_THAT(line->leading, ElementsAre("--server", "h:1", "--timeout=2s"));
  EXPECT_EQ(line->command, "get");
  EXPECT_THAT(line->rest, ElementsAre("routes", "-o", "json"));
}

TEST(SplitCommandLineTest, NoCommand) {
  absl::StatusOr<CommandLine> line = SplitCommandLine({"--help"}, GlobalFlags());
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->command, "");
  EXPECT_THAT(line->rest, IsEmpty());
  line = SplitCommandLine({}, GlobalFlags());
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(line->command, "");
}

TEST(SplitCommandLineTest, CommandFlagsBeforeTheCommandAreRefused) {
  absl::StatusOr<CommandLine> line = SplitCommandLine({"-f", "x.yaml", "apply"}, GlobalFlags());
  ASSERT_FALSE(line.ok());
  EXPECT_THAT(Message(line.status()), HasSubstr("unknown flag -f"));
  EXPECT_THAT(Message(line.status()), HasSubstr("only global flags may come before the command"));
}

TEST(ParseVersionTest, DigitsOnly) {
  EXPECT_EQ(ParseVersion("0", "--version").value(), 0u);
  EXPECT_EQ(ParseVersion("18446744073709551615", "--version").value(), UINT64_MAX);
  for (const char* bad : {"", "-1", "+1", "v7", "7 ", "1e3", "0x10", "18446744073709551616"}) {
    absl::StatusOr<uint64_t> version = ParseVersion(bad, "--against");
    ASSERT_FALSE(version.ok()) << bad;
    EXPECT_THAT(Message(version.status()), HasSubstr("--against must be a version number"));
  }
}

TEST(ParseTimeoutTest, DurationsAndBareSeconds) {
  EXPECT_EQ(ParseTimeout("5s").value(), absl::Seconds(5));
  EXPECT_EQ(ParseTimeout("250ms").value(), absl::Milliseconds(250));
  EXPECT_EQ(ParseTimeout("1m30s").value(), absl::Seconds(90));
  EXPECT_EQ(ParseTimeout("2").value(), absl::Seconds(2));
  EXPECT_EQ(ParseTimeout("0.5").value(), absl::Milliseconds(500));
  for (const char* bad : {"", "0", "0s", "-1s", "soon", "inf", "nan", "5 s"}) {
    EXPECT_FALSE(ParseTimeout(bad).ok()) << bad;
  }
}

TEST(FlagUsageTest, ShowsShortNameAndValue) {
  EXPECT_EQ(FlagUsage(kSpecs[0]), "-f, --file FILE");
  EXPECT_EQ(FlagUsage(kSpecs[1]), "--dry-run");
  EXPECT_EQ(FlagUsage(kSpecs[2]), "--expected-version N");
}

// The global flags, resolved against a test environment.
absl::StatusOr<GlobalOptions> Resolve(const std::vector<std::string>& args,
                                      const std::map<std::string, std::string>& vars) {
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, GlobalFlags());
  if (!parsed.ok()) return parsed.status();
  Environment env;
  env.getenv = [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  env.hostname = [] { return "ops-1"; };
  return ResolveGlobalOptions(*parsed, env, /*needs_server=*/false);
}

TEST(GlobalOptionsTest, ServerFlagBeatsEnvironmentBeatsDefault) {
  absl::StatusOr<GlobalOptions> global = Resolve({}, {});
  ASSERT_TRUE(global.ok());
  EXPECT_EQ(global->server, "127.0.0.1:18000");
  EXPECT_EQ(global->server_source, "the default");

  global = Resolve({}, {{"YARDCTL_SERVER", "cp.internal:18000"}});
  EXPECT_EQ(global->server, "cp.internal:18000");
  EXPECT_EQ(global->server_source, "YARDCTL_SERVER");

  // An empty variable is as good as unset: `YARDCTL_SERVER= yardctl ...` resets it.
  global = Resolve({}, {{"YARDCTL_SERVER", ""}});
  EXPECT_EQ(global->server, "127.0.0.1:18000");

  global = Resolve({"--server=10.1.1.1:9"}, {{"YARDCTL_SERVER", "cp.internal:18000"}});
  EXPECT_EQ(global->server, "10.1.1.1:9");
  EXPECT_EQ(global->server_source, "--server");

  EXPECT_FALSE(Resolve({"--server="}, {}).ok());
}

TEST(GlobalOptionsTest, TimeoutDefaultsToFiveSeconds) {
  EXPECT_EQ(Resolve({}, {})->timeout, absl::Seconds(5));
  EXPECT_EQ(Resolve({"--timeout", "300ms"}, {})->timeout, absl::Milliseconds(300));
  absl::StatusOr<GlobalOptions> global = Resolve({"--timeout", "forever"}, {});
  ASSERT_FALSE(global.ok());
  EXPECT_THAT(Message(global.status()), HasSubstr("--timeout must be a duration"));
}

TEST(GlobalOptionsTest, AuthorIsUserAtHostUnlessGiven) {
  EXPECT_EQ(Resolve({}, {{"USER", "alice"}})->author, "alice@ops-1");
  EXPECT_EQ(Resolve({}, {{"LOGNAME", "bob"}})->author, "bob@ops-1");
  EXPECT_EQ(Resolve({}, {})->author, "unknown@ops-1");
  EXPECT_EQ(Resolve({"--author", "deploy-bot"}, {{"USER", "alice"}})->author, "deploy-bot");
}

}  // namespace
}  // namespace switchyard::yardctl
