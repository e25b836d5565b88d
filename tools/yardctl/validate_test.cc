// yardctl validate: offline, the shared loader and validation library.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/yardctl/testing/cli_runner.h"
#include "tools/yardctl/testing/command_test.h"

namespace switchyard::yardctl {
namespace {

using testing::CliOptions;
using testing::CliResult;
using ::testing::HasSubstr;
using testing::kValidYaml;
using testing::RunCli;
using ::testing::StartsWith;
using testing::WriteTempFile;

// Fails the test if the command tries to reach a server: validate must work offline.
CliOptions Offline() {
  CliOptions options;
  options.connect = [](const GrpcClientOptions& options) -> std::unique_ptr<AdminClient> {
    ADD_FAILURE() << "validate opened a connection to " << options.target;
    return NewGrpcAdminClient(options);
  };
  return options;
}

TEST(ValidateTest, ValidFilePrintsOkWithCounts) {
  const std::string path = WriteTempFile("ok.yaml", kValidYaml);
  const CliResult result = RunCli({"validate", "-f", path}, Offline());
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "OK: " + path + " (2 virtual hosts, 3 routes, 2 clusters)\n");
  EXPECT_EQ(result.err, "");
}

TEST(ValidateTest, EveryErrorIsListedWithResourceAndField) {
  const std::string path = WriteTempFile("bad.yaml", R"yaml(
virtual_hosts:
  - name: api
    domains: ["api.example.com"]
    routes:
      - name: users
        match: {regex: "("}
        route: {cluster: blu}
clusters:
  - name: blue
    endpoints: [{address: 10.0.0.1, port: 0}]
)yaml");
  const CliResult result = RunCli({"validate", "-f", path}, Offline());
  EXPECT_EQ(result.code, 3) << result.DebugString();
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err,
              StartsWith("error: " + path + " is not a valid snapshot (3 problems):\n"));
  EXPECT_THAT(result.err, HasSubstr("\n  virtual_hosts[api].routes[users].match.regex: "));
  EXPECT_THAT(result.err,
              HasSubstr("\n  virtual_hosts[api].routes[users].route.cluster: unknown cluster"));
  EXPECT_THAT(result.err,
              HasSubstr("\n  clusters[blue].endpoints[0].port: must be 1..65535, got 0\n"));
}

TEST(ValidateTest, ParseErrorsNameTheFileAndPosition) {
  const std::string path = WriteTempFile("typo.yaml", R"yaml(virtual_hosts:
  - name: api
    domains: ["*"]
    routes:
      - name: r
        match: {prefx: /}
        route: {cluster: c}
)yaml");
  const CliResult result = RunCli({"validate", "-f", path}, Offline());
  EXPECT_EQ(result.code, 3) << result.DebugString();
  EXPECT_THAT(result.err, StartsWith("error: " + path));
  EXPECT_THAT(result.err, HasSubstr("prefx"));

  const std::string broken = WriteTempFile("broken.yaml", "virtual_hosts: [\n");
  const CliResult syntax = RunCli({"validate", "-f", broken}, Offline());
  EXPECT_EQ(syntax.code, 3) << syntax.DebugString();
  EXPECT_THAT(syntax.err, StartsWith("error: " + broken + ":"));
}

TEST(ValidateTest, UnreadableFileIsInvalidInput) {
  const CliResult result = RunCli({"validate", "-f", "/nonexistent/snapshot.yaml"}, Offline());
  EXPECT_EQ(result.code, 3) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("cannot open /nonexistent/snapshot.yaml"));
}

TEST(ValidateTest, ReadsStdin) {
  CliOptions options = Offline();
  options.stdin_text = kValidYaml;
  const CliResult result = RunCli({"validate", "-f", "-"}, options);
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "OK: <stdin> (2 virtual hosts, 3 routes, 2 clusters)\n");

  options.stdin_text = "";
  const CliResult empty = RunCli({"validate", "-f", "-"}, options);
  EXPECT_EQ(empty.code, 3) << empty.DebugString();
  EXPECT_THAT(empty.err, HasSubstr("<stdin>: document is empty"));
}

TEST(ValidateTest, NeedsTheFileFlag) {
  const CliResult result = RunCli({"validate"}, Offline());
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("error: missing -f, --file FILE"));
  EXPECT_THAT(result.err, HasSubstr("Run `yardctl validate --help` for usage."));
}

}  // namespace
}  // namespace switchyard::yardctl
