// End to end: the real yardctl binary (fork/exec) against the real switchyard-control
// binary on 127.0.0.1, each test with a fresh control plane and database.
#include "controlplane/testing/control_plane_process.h"
#include "controlplane/testing/in_process.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/yardctl/testing/cli_runner.h"
#include "tools/yardctl/testing/command_test.h"
#include "tools/yardctl/testing/reserved_port.h"
#include "tools/yardctl/testing/subprocess.h"

namespace switchyard::yardctl {
namespace {

using ::switchyard::controlplane::testing::ControlPlaneProcess;
using ::switchyard::controlplane::testing::FakeProxy;
using ::switchyard::controlplane::testing::WaitFor;
using ::testing::HasSubstr;
using testing::kValidYaml;
using testing::ProcessResult;
using testing::RunfilePath;
using testing::RunProcess;
using ::testing::StartsWith;
using testing::WriteTempFile;

// kValidYaml with the orders split moved from 90/10 to 50/50: changes virtual host "api".
std::string SplitChanged() {
  std::string yaml = kValidYaml;
  yaml.replace(yaml.find("weight: 90"), 10, "weight: 50");
  yaml.replace(yaml.find("weight: 10}"), 10, "weight: 50");
  return yaml;
}

// kValidYaml plus a cluster: adds cluster "audit".
std::string ClusterAdded() {
  return std::string(kValidYaml) +
         "  - name: audit\n    endpoints: [{address: 10.0.0.9, port: 9000}]\n";
}

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(cp_.Start(&error)) << error;
  }

  // Runs the yardctl binary with YARDCTL_SERVER set to the control plane.
  ProcessResult Yardctl(std::vector<std::string> args) {
    return YardctlWithEnv(std::move(args), {{"YARDCTL_SERVER", cp_.target()}, {"USER", "e2e"}});
  }
  ProcessResult YardctlWithEnv(std::vector<std::string> args,
                               const std::map<std::string, std::string>& env) {
    args.insert(args.begin(), RunfilePath("tools/yardctl/yardctl"));
    return RunProcess(args, env);
  }

  // Applies `yaml` and expects "applied: version <expected>".
  void ApplyOk(const std::string& yaml, uint64_t expected, const std::string& message) {
    const ProcessResult result =
        Yardctl({"apply", "-f", WriteTempFile("apply.yaml", yaml), "--message", message});
    ASSERT_EQ(result.code, 0) << result.DebugString() << "\ncontrol plane:\n" << cp_.StderrTail();
    ASSERT_EQ(result.out, "applied: version " + std::to_string(expected) + "\n");
  }

  ControlPlaneProcess cp_;
};

TEST_F(EndToEndTest, ValidateNeedsNoServerAndNamesTheField) {
  // Point at nothing: validate must not care.
  const testing::ReservedPort nothing(/*listening=*/false);
  const std::map<std::string, std::string> nowhere = {{"YARDCTL_SERVER", nothing.Address()}};
  ProcessResult result =
      YardctlWithEnv({"validate", "-f", WriteTempFile("ok.yaml", kValidYaml)}, nowhere);
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_THAT(result.out, HasSubstr("(2 virtual hosts, 3 routes, 2 clusters)"));

  std::string bad = kValidYaml;
  bad.replace(bad.find("port: 8080"), 10, "port: 0");
  result = YardctlWithEnv({"validate", "-f", WriteTempFile("bad.yaml", bad)}, nowhere);
  EXPECT_EQ(result.code, 3) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("clusters[blue].endpoints[0].port: must be 1..65535, got 0"));
}

TEST_F(EndToEndTest, ApplyThenGetYamlRoundTripsAsNoChange) {
  ApplyOk(kValidYaml, 1, "first");

  const ProcessResult table = Yardctl({"get", "routes"});
  EXPECT_EQ(table.code, 0) << table.DebugString();
  EXPECT_THAT(table.out, StartsWith("version 1, "));
  EXPECT_THAT(table.out, HasSubstr(" by e2e@"));
  EXPECT_THAT(table.out,
              HasSubstr("api      orders  regex /orders/[0-9]+  blue:90,green:10  15s\n"));

  const ProcessResult yaml = Yardctl({"get", "-o", "yaml"});
  ASSERT_EQ(yaml.code, 0) << yaml.DebugString();
  const std::string exported = WriteTempFile("exported.yaml", yaml.out);
  ProcessResult again = Yardctl({"apply", "-f", exported});
  EXPECT_EQ(again.code, 0) << again.DebugString();
  EXPECT_EQ(again.out, "no change (version 1 already has this content)\n");

  const ProcessResult json = Yardctl({"get", "-o", "json"});
  ASSERT_EQ(json.code, 0) << json.DebugString();
  again = Yardctl({"apply", "-f", WriteTempFile("exported.json", json.out)});
  EXPECT_EQ(again.code, 0) << again.DebugString();
  EXPECT_EQ(again.out, "no change (version 1 already has this content)\n");

  // Nothing new was stored by the round trips.
  const ProcessResult history = Yardctl({"history", "-o", "json"});
  ASSERT_EQ(history.code, 0) << history.DebugString();
  EXPECT_EQ(nlohmann::json::parse(history.out)["versions"].size(), 1u);
}

TEST_F(EndToEndTest, DryRunStoresNothing) {
  ApplyOk(kValidYaml, 1, "first");
  const ProcessResult result =
      Yardctl({"apply", "-f", WriteTempFile("next.yaml", ClusterAdded()), "--dry-run"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "dry run: valid; would be stored as version 2 (nothing was stored)\n");
  const ProcessResult history = Yardctl({"history", "-o", "json"});
  EXPECT_EQ(nlohmann::json::parse(history.out)["versions"].size(), 1u) << history.out;
}

TEST_F(EndToEndTest, DiffNamesTheChangedResources) {
  ApplyOk(kValidYaml, 1, "first");
  ProcessResult result = Yardctl({"diff", "-f", WriteTempFile("split.yaml", SplitChanged())});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out,
            "against version 1:\n"
            "  ~  virtual_host  api\n"
            "1 change: 0 added, 1 changed, 0 removed\n");

  result = Yardctl({"diff", "-f", WriteTempFile("added.yaml", ClusterAdded())});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_THAT(result.out, HasSubstr("  +  cluster  audit\n"));

  result = Yardctl({"diff", "-f", WriteTempFile("same.yaml", kValidYaml)});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "no changes against version 1\n");

  result = Yardctl({"diff", "-f", WriteTempFile("same.yaml", kValidYaml), "--against", "9"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("Run `yardctl history`"));
}

TEST_F(EndToEndTest, SecondApplyWithTheSameExpectedVersionConflicts) {
  ApplyOk(kValidYaml, 1, "first");
  const std::string mine = WriteTempFile("mine.yaml", SplitChanged());
  const std::string theirs = WriteTempFile("theirs.yaml", ClusterAdded());

  ProcessResult first = Yardctl({"apply", "-f", mine, "--expected-version", "1"});
  EXPECT_EQ(first.code, 0) << first.DebugString();
  EXPECT_EQ(first.out, "applied: version 2\n");

  ProcessResult second = Yardctl({"apply", "-f", theirs, "--expected-version", "1"});
  EXPECT_EQ(second.code, 4) << second.DebugString();
  EXPECT_EQ(second.out, "");
  EXPECT_EQ(second.err, "error: the current version is 2, not 1: run `yardctl diff -f " + theirs +
                            "` and apply again with --expected-version 2\n");

  // Following the advice works.
  second = Yardctl({"apply", "-f", theirs, "--expected-version", "2"});
  EXPECT_EQ(second.code, 0) << second.DebugString();
  EXPECT_EQ(second.out, "applied: version 3\n");
}

TEST_F(EndToEndTest, RollbackRestoresAnOldVersionAsANewOne) {
  ApplyOk(kValidYaml, 1, "first");
  ApplyOk(SplitChanged(), 2, "fifty-fifty");

  ProcessResult result = Yardctl({"rollback", "1", "--message", "split was wrong"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "rolled back: version 3 has the content of version 1\n");

  result = Yardctl({"rollback", "1"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "no change (the current version 3 already has the content of version 1)\n");

  // The original file is what runs again.
  result = Yardctl({"diff", "-f", WriteTempFile("orig.yaml", kValidYaml)});
  EXPECT_EQ(result.out, "no changes against version 3\n") << result.DebugString();

  result = Yardctl({"history"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_THAT(result.out, StartsWith("VERSION  CREATED"));
  EXPECT_THAT(result.out, HasSubstr("(rollback to 1) split was wrong\n"));
  EXPECT_THAT(result.out, HasSubstr("fifty-fifty\n"));

  result = Yardctl({"history", "--limit", "2", "-o", "json"});
  ASSERT_EQ(result.code, 0) << result.DebugString();
  const nlohmann::json history = nlohmann::json::parse(result.out);
  ASSERT_EQ(history["versions"].size(), 2u);
  EXPECT_EQ(history["versions"][0]["version"], 3);
  EXPECT_EQ(history["versions"][0]["rolled_back_from"], 1);
  EXPECT_EQ(history["versions"][0]["author"].get<std::string>().rfind("e2e@", 0), 0u);
  EXPECT_EQ(history["versions"][1]["message"], "fifty-fifty");

  result = Yardctl({"rollback", "1", "--expected-version", "2"});
  EXPECT_EQ(result.code, 4) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("the current version is 3, not 2"));

  result = Yardctl({"rollback", "42"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("42"));
}

TEST_F(EndToEndTest, InvalidFileExitsThreeWithTheFieldNamed) {
  ApplyOk(kValidYaml, 1, "first");
  std::string bad = kValidYaml;
  bad.replace(bad.find("cluster: green}"), 15, "cluster: gren}");
  const ProcessResult result = Yardctl({"apply", "-f", WriteTempFile("bad.yaml", bad)});
  EXPECT_EQ(result.code, 3) << result.DebugString();
  EXPECT_THAT(result.err,
              HasSubstr("virtual_hosts[default].routes[all].route.cluster: unknown cluster"));

  const ProcessResult parse = Yardctl({"apply", "-f", WriteTempFile("typo.yaml", "clustrs: []\n")});
  EXPECT_EQ(parse.code, 3) << parse.DebugString();
  EXPECT_THAT(parse.err, HasSubstr("clustrs"));

  const ProcessResult history = Yardctl({"history", "-o", "json"});
  EXPECT_EQ(nlohmann::json::parse(history.out)["versions"].size(), 1u) << history.out;
}

TEST_F(EndToEndTest, StatusAndGetWithoutProxiesOrVersions) {
  ProcessResult result = Yardctl({"get"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("Store one with `yardctl apply -f FILE`."));

  result = Yardctl({"status"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "current version: 0\nno proxies have connected\n");

  ApplyOk(kValidYaml, 1, "first");
  result = Yardctl({"status", "-o", "json"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(nlohmann::json::parse(result.out)["current_version"], 1);
}

TEST_F(EndToEndTest, StatusShowsAProxyBehindAndWhatItRejected) {
  ApplyOk(kValidYaml, 1, "first");
  // A scripted proxy on a real discovery stream: takes version 1, refuses version 2.
  FakeProxy proxy(grpc::CreateChannel(cp_.target(), grpc::InsecureChannelCredentials()), "proxy-a",
                  0);
  std::optional<v1::DiscoveryResponse> response = proxy.Read();
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->version(), 1u);
  ASSERT_TRUE(proxy.Ack(*response));
  ApplyOk(SplitChanged(), 2, "fifty-fifty");
  response = proxy.Read();
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(response->version(), 2u);
  ASSERT_TRUE(proxy.Nack(*response, 1, "clusters[blue]: cannot load certificate"));

  // The control plane records the NACK asynchronously.
  ProcessResult json;
  ASSERT_TRUE(WaitFor([&] {
    json = Yardctl({"status", "-o", "json"});
    return json.code == 0 && json.out.find("\"last_rejected_version\": 2") != std::string::npos;
  })) << json.DebugString();
  const nlohmann::json status = nlohmann::json::parse(json.out);
  EXPECT_EQ(status["current_version"], 2);
  ASSERT_EQ(status["proxies"].size(), 1u);
  EXPECT_EQ(status["proxies"][0]["node_id"], "proxy-a");
  EXPECT_EQ(status["proxies"][0]["running_version"], 1);
  EXPECT_EQ(status["proxies"][0]["behind"], true);
  EXPECT_EQ(status["proxies"][0]["connected"], true);

  const ProcessResult table = Yardctl({"status"});
  EXPECT_EQ(table.code, 0) << table.DebugString();
  EXPECT_THAT(table.out, StartsWith("current version: 2\n\nNODE     GROUP  LABELS  CONNECTED"));
  EXPECT_THAT(table.out, HasSubstr("\nproxy-a  edge   zone=a  yes  "));
  EXPECT_THAT(table.out, HasSubstr("  1 (behind)  2\n"));
  EXPECT_THAT(table.out,
              HasSubstr("\nproxy-a rejected version 2: clusters[blue]: cannot load certificate\n"));
  EXPECT_THAT(table.out, HasSubstr("\n1 of 1 proxy is behind the current version 2\n"));
}

TEST_F(EndToEndTest, StoppedServerExitsFiveNamingTheAddress) {
  const std::string address = cp_.target();
  cp_.Stop();
  const ProcessResult result = Yardctl({"history", "--timeout", "2s"});
  EXPECT_EQ(result.code, 5) << result.DebugString();
  EXPECT_THAT(result.err, StartsWith("error: cannot reach the control plane at " + address +
                                     " (from YARDCTL_SERVER)"));
  EXPECT_THAT(result.err, HasSubstr("--server HOST:PORT"));
}

}  // namespace
}  // namespace switchyard::yardctl
