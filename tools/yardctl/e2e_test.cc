// End to end: the real yardctl binary (fork/exec) against the real switchyard-control
// binary on 127.0.0.1, each test with a fresh control plane and database.
#include "common/sha256.h"
#include "controlplane/testing/control_plane_process.h"
#include "controlplane/testing/in_process.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tools/yardctl/testing/cli_runner.h"
#include "tools/yardctl/testing/command_test.h"
#include "tools/yardctl/testing/reserved_port.h"

namespace switchyard::yardctl {
namespace {

using ::switchyard::controlplane::testing::ControlPlaneProcess;
using ::switchyard::controlplane::testing::FakeProxy;
using ::switchyard::testing::CommandResult;
using ::switchyard::testing::PollUntil;
using ::switchyard::testing::ReadFile;
using ::switchyard::testing::RunCommand;
using ::switchyard::testing::RunfilePath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kValidYaml;
using ::testing::MatchesRegex;
using ::testing::Not;
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

const std::string kAcmeOldKeyHash = Sha256Hex("acme-old-key");
const std::string kBobKeyHash = Sha256Hex("bob-key");

// kValidYaml plus two consumers with one API key each.
std::string WithConsumers() {
  return std::string(kValidYaml) + "consumers:\n" +
         "  - name: acme\n    groups: [partners]\n    metadata: {owner: team-a}\n" +
         "    api_keys: [{name: k1, sha256: " + kAcmeOldKeyHash + "}]\n" +
         "  - name: bob\n    api_keys: [{name: main, sha256: " + kBobKeyHash + "}]\n";
}

// (name, sha256) of each of a consumer's keys.
std::vector<std::pair<std::string, std::string>> Keys(const v1::Snapshot& snapshot,
                                                      const std::string& consumer) {
  std::vector<std::pair<std::string, std::string>> keys;
  for (const v1::Consumer& c : snapshot.consumers()) {
    if (c.name() != consumer) continue;
    for (const v1::ApiKey& key : c.api_keys()) keys.emplace_back(key.name(), key.sha256());
  }
  return keys;
}

class EndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(cp_.Start(&error)) << error;
  }

  // Runs the yardctl binary with YARDCTL_SERVER set to the control plane.
  CommandResult Yardctl(std::vector<std::string> args) {
    return YardctlWithEnv(std::move(args), {{"YARDCTL_SERVER", cp_.target()}, {"USER", "e2e"}});
  }
  CommandResult YardctlWithEnv(std::vector<std::string> args,
                               const std::map<std::string, std::string>& env) {
    args.insert(args.begin(), RunfilePath("tools/yardctl/yardctl"));
    std::map<std::string, std::string> with_insecure = env;
    with_insecure.emplace("YARDCTL_INSECURE", "1");  // ControlPlaneProcess runs --insecure
    return RunCommand(args, {.env = with_insecure});
  }

  // Applies `yaml` and expects "applied: version <expected>".
  void ApplyOk(const std::string& yaml, uint64_t expected, const std::string& message) {
    const CommandResult result =
        Yardctl({"apply", "-f", WriteTempFile("apply.yaml", yaml), "--message", message});
    ASSERT_EQ(result.exit_code, 0) << result.DebugString() << "\ncontrol plane:\n"
                                   << cp_.StderrTail();
    ASSERT_EQ(result.stdout_text, "applied: version " + std::to_string(expected) + "\n");
  }

  // The current version as a proxy receives it: hashes and all, as stored.
  v1::Snapshot ProxyView() {
    FakeProxy proxy(grpc::CreateChannel(cp_.target(), grpc::InsecureChannelCredentials()),
                    "keys-check", 0);
    std::optional<v1::DiscoveryResponse> response = proxy.Read();
    if (!response.has_value() || !response->has_snapshot()) {
      ADD_FAILURE() << "no snapshot for a new proxy";
      return {};
    }
    return response->snapshot();
  }

  // `get -o yaml` and `get -o json` applied back store nothing new.
  void ExpectGetRoundTripsAsNoChange(uint64_t version) {
    const std::string no_change =
        "no change (version " + std::to_string(version) + " already has this content)\n";
    for (const char* format : {"yaml", "json"}) {
      const CommandResult exported = Yardctl({"get", "-o", format});
      ASSERT_EQ(exported.exit_code, 0) << exported.DebugString();
      const CommandResult again = Yardctl(
          {"apply", "-f", WriteTempFile(std::string("exported.") + format, exported.stdout_text)});
      EXPECT_EQ(again.exit_code, 0) << again.DebugString();
      EXPECT_EQ(again.stdout_text, no_change) << format;
    }
  }

  ControlPlaneProcess cp_;
};

TEST_F(EndToEndTest, ValidateNeedsNoServerAndNamesTheField) {
  // Point at nothing: validate must not care.
  const testing::ReservedPort nothing(/*listening=*/false);
  const std::map<std::string, std::string> nowhere = {{"YARDCTL_SERVER", nothing.Address()}};
  CommandResult result =
      YardctlWithEnv({"validate", "-f", WriteTempFile("ok.yaml", kValidYaml)}, nowhere);
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_THAT(result.stdout_text, HasSubstr("(2 virtual hosts, 3 routes, 2 clusters)"));

  std::string bad = kValidYaml;
  bad.replace(bad.find("port: 8080"), 10, "port: 0");
  result = YardctlWithEnv({"validate", "-f", WriteTempFile("bad.yaml", bad)}, nowhere);
  EXPECT_EQ(result.exit_code, 3) << result.DebugString();
  EXPECT_THAT(result.stderr_text,
              HasSubstr("clusters[blue].endpoints[0].port: must be 1..65535, got 0"));
}

TEST_F(EndToEndTest, ApplyThenGetYamlRoundTripsAsNoChange) {
  ApplyOk(kValidYaml, 1, "first");

  const CommandResult table = Yardctl({"get", "routes"});
  EXPECT_EQ(table.exit_code, 0) << table.DebugString();
  EXPECT_THAT(table.stdout_text, StartsWith("version 1, "));
  EXPECT_THAT(table.stdout_text, HasSubstr(" by e2e@"));
  EXPECT_THAT(table.stdout_text,
              HasSubstr("api      orders  regex /orders/[0-9]+  blue:90,green:10  15s\n"));

  const CommandResult yaml = Yardctl({"get", "-o", "yaml"});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.DebugString();
  const std::string exported = WriteTempFile("exported.yaml", yaml.stdout_text);
  CommandResult again = Yardctl({"apply", "-f", exported});
  EXPECT_EQ(again.exit_code, 0) << again.DebugString();
  EXPECT_EQ(again.stdout_text, "no change (version 1 already has this content)\n");

  const CommandResult json = Yardctl({"get", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.DebugString();
  again = Yardctl({"apply", "-f", WriteTempFile("exported.json", json.stdout_text)});
  EXPECT_EQ(again.exit_code, 0) << again.DebugString();
  EXPECT_EQ(again.stdout_text, "no change (version 1 already has this content)\n");

  // Nothing new was stored by the round trips.
  const CommandResult history = Yardctl({"history", "-o", "json"});
  ASSERT_EQ(history.exit_code, 0) << history.DebugString();
  EXPECT_EQ(nlohmann::json::parse(history.stdout_text)["versions"].size(), 1u);
}

// Key hashes are redacted by get; applying its output back keeps them (the control plane
// restores each "[redacted]"), so the round trip is still "no change".
TEST_F(EndToEndTest, GetYamlWithConsumersRoundTripsAsNoChange) {
  ApplyOk(WithConsumers(), 1, "consumers");
  const CommandResult yaml = Yardctl({"get", "-o", "yaml"});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.DebugString();
  EXPECT_THAT(yaml.stdout_text, HasSubstr("sha256: \"[redacted]\""));
  EXPECT_THAT(yaml.stdout_text, Not(HasSubstr(kAcmeOldKeyHash)));
  ExpectGetRoundTripsAsNoChange(1);

  const v1::Snapshot stored = ProxyView();
  EXPECT_THAT(Keys(stored, "acme"), ElementsAre(std::make_pair("k1", kAcmeOldKeyHash)));
  EXPECT_THAT(Keys(stored, "bob"), ElementsAre(std::make_pair("main", kBobKeyHash)));
  const CommandResult history = Yardctl({"history", "-o", "json"});
  EXPECT_EQ(nlohmann::json::parse(history.stdout_text)["versions"].size(), 1u)
      << history.stdout_text;
}

TEST_F(EndToEndTest, KeysCreateStoresOnlyTheHashAndRevokeRemovesIt) {
  ApplyOk(WithConsumers(), 1, "consumers");
  CommandResult result = Yardctl({"consumers"});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_EQ(result.stdout_text,
            "NAME  GROUPS    KEYS\n"
            "acme  partners  k1\n"
            "bob   -         main\n");

  const CommandResult created = Yardctl({"keys", "create", "acme"});
  ASSERT_EQ(created.exit_code, 0) << created.DebugString() << "\ncontrol plane:\n"
                                  << cp_.StderrTail();
  ASSERT_THAT(created.stdout_text, MatchesRegex("sy_[A-Za-z0-9_-]{43}\n"));
  const std::string key = created.stdout_text.substr(0, created.stdout_text.size() - 1);
  const std::string hash = Sha256Hex(key);
  const std::string name = "key-" + hash.substr(0, 8);
  EXPECT_THAT(created.stderr_text,
              HasSubstr("created API key '" + name + "' of consumer 'acme' in version 2;"));
  EXPECT_THAT(created.stderr_text, HasSubstr("cannot be shown again"));

  // Stored: the hash, next to the hashes that were there; the key itself nowhere, not
  // even in the database files.
  v1::Snapshot stored = ProxyView();
  EXPECT_THAT(Keys(stored, "acme"),
              ElementsAre(std::make_pair("k1", kAcmeOldKeyHash), std::make_pair(name, hash)));
  EXPECT_THAT(Keys(stored, "bob"), ElementsAre(std::make_pair("main", kBobKeyHash)));
  EXPECT_THAT(stored.SerializeAsString(), Not(HasSubstr(key)));
  for (const std::string& file : {cp_.db_path(), cp_.db_path() + "-wal"}) {
    EXPECT_THAT(ReadFile(file), Not(HasSubstr(key))) << file;
  }

  // Shown: names only, and the round trip keeps every hash.
  result = Yardctl({"keys", "list", "acme"});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_EQ(result.stdout_text, "NAME\nk1\n" + name + "\n");
  result = Yardctl({"get", "-o", "yaml"});
  EXPECT_THAT(result.stdout_text, Not(HasSubstr(hash)));
  EXPECT_THAT(result.stdout_text, HasSubstr("name: " + name));
  ExpectGetRoundTripsAsNoChange(2);

  result = Yardctl({"keys", "revoke", "acme", "k1"});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_EQ(result.stdout_text, "revoked API key 'k1' of consumer 'acme': version 3\n");
  stored = ProxyView();
  EXPECT_THAT(Keys(stored, "acme"), ElementsAre(std::make_pair(name, hash)));
  EXPECT_THAT(Keys(stored, "bob"), ElementsAre(std::make_pair("main", kBobKeyHash)));

  // Unknown names change nothing.
  result = Yardctl({"keys", "revoke", "acme", "k1"});
  EXPECT_EQ(result.exit_code, 1) << result.DebugString();
  EXPECT_THAT(result.stderr_text, HasSubstr("consumer \"acme\" has no key \"k1\" in version 3"));
  result = Yardctl({"keys", "create", "carol"});
  EXPECT_EQ(result.exit_code, 1) << result.DebugString();
  EXPECT_EQ(result.stdout_text, "");
  EXPECT_THAT(result.stderr_text, HasSubstr("no consumer \"carol\" in version 3"));

  result = Yardctl({"history", "-o", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.DebugString();
  const nlohmann::json history = nlohmann::json::parse(result.stdout_text);
  ASSERT_EQ(history["versions"].size(), 3u);
  EXPECT_EQ(history["versions"][0]["message"], "revoke API key k1 of consumer acme");
  EXPECT_EQ(history["versions"][1]["message"], "create API key " + name + " of consumer acme");
  EXPECT_EQ(history["versions"][1]["author"].get<std::string>().rfind("e2e@", 0), 0u);
}

TEST_F(EndToEndTest, DryRunStoresNothing) {
  ApplyOk(kValidYaml, 1, "first");
  const CommandResult result =
      Yardctl({"apply", "-f", WriteTempFile("next.yaml", ClusterAdded()), "--dry-run"});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_EQ(result.stdout_text,
            "dry run: valid; would be stored as version 2 (nothing was stored)\n");
  const CommandResult history = Yardctl({"history", "-o", "json"});
  EXPECT_EQ(nlohmann::json::parse(history.stdout_text)["versions"].size(), 1u)
      << history.stdout_text;
}

TEST_F(EndToEndTest, DiffNamesTheChangedResources) {
  ApplyOk(kValidYaml, 1, "first");
  CommandResult result = Yardctl({"diff", "-f", WriteTempFile("split.yaml", SplitChanged())});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_EQ(result.stdout_text,
            "against version 1:\n"
            "  ~  virtual_host  api\n"
            "1 change: 0 added, 1 changed, 0 removed\n");

  result = Yardctl({"diff", "-f", WriteTempFile("added.yaml", ClusterAdded())});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_THAT(result.stdout_text, HasSubstr("  +  cluster  audit\n"));

  result = Yardctl({"diff", "-f", WriteTempFile("same.yaml", kValidYaml)});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_EQ(result.stdout_text, "no changes against version 1\n");

  result = Yardctl({"diff", "-f", WriteTempFile("same.yaml", kValidYaml), "--against", "9"});
  EXPECT_EQ(result.exit_code, 1) << result.DebugString();
  EXPECT_THAT(result.stderr_text, HasSubstr("Run `yardctl history`"));
}

TEST_F(EndToEndTest, SecondApplyWithTheSameExpectedVersionConflicts) {
  ApplyOk(kValidYaml, 1, "first");
  const std::string mine = WriteTempFile("mine.yaml", SplitChanged());
  const std::string theirs = WriteTempFile("theirs.yaml", ClusterAdded());

  CommandResult first = Yardctl({"apply", "-f", mine, "--expected-version", "1"});
  EXPECT_EQ(first.exit_code, 0) << first.DebugString();
  EXPECT_EQ(first.stdout_text, "applied: version 2\n");

  CommandResult second = Yardctl({"apply", "-f", theirs, "--expected-version", "1"});
  EXPECT_EQ(second.exit_code, 4) << second.DebugString();
  EXPECT_EQ(second.stdout_text, "");
  EXPECT_EQ(second.stderr_text, "error: the current version is 2, not 1: run `yardctl diff -f " +
                                    theirs + "` and apply again with --expected-version 2\n");

  // Following the advice works.
  second = Yardctl({"apply", "-f", theirs, "--expected-version", "2"});
  EXPECT_EQ(second.exit_code, 0) << second.DebugString();
  EXPECT_EQ(second.stdout_text, "applied: version 3\n");
}

TEST_F(EndToEndTest, RollbackRestoresAnOldVersionAsANewOne) {
  ApplyOk(kValidYaml, 1, "first");
  ApplyOk(SplitChanged(), 2, "fifty-fifty");

  CommandResult result = Yardctl({"rollback", "1", "--message", "split was wrong"});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_EQ(result.stdout_text, "rolled back: version 3 has the content of version 1\n");

  result = Yardctl({"rollback", "1"});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_EQ(result.stdout_text,
            "no change (the current version 3 already has the content of version 1)\n");

  // The original file is what runs again.
  result = Yardctl({"diff", "-f", WriteTempFile("orig.yaml", kValidYaml)});
  EXPECT_EQ(result.stdout_text, "no changes against version 3\n") << result.DebugString();

  result = Yardctl({"history"});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_THAT(result.stdout_text, StartsWith("VERSION  CREATED"));
  EXPECT_THAT(result.stdout_text, HasSubstr("(rollback to 1) split was wrong\n"));
  EXPECT_THAT(result.stdout_text, HasSubstr("fifty-fifty\n"));

  result = Yardctl({"history", "--limit", "2", "-o", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.DebugString();
  const nlohmann::json history = nlohmann::json::parse(result.stdout_text);
  ASSERT_EQ(history["versions"].size(), 2u);
  EXPECT_EQ(history["versions"][0]["version"], 3);
  EXPECT_EQ(history["versions"][0]["rolled_back_from"], 1);
  EXPECT_EQ(history["versions"][0]["author"].get<std::string>().rfind("e2e@", 0), 0u);
  EXPECT_EQ(history["versions"][1]["message"], "fifty-fifty");

  result = Yardctl({"rollback", "1", "--expected-version", "2"});
  EXPECT_EQ(result.exit_code, 4) << result.DebugString();
  EXPECT_THAT(result.stderr_text, HasSubstr("the current version is 3, not 2"));

  result = Yardctl({"rollback", "42"});
  EXPECT_EQ(result.exit_code, 1) << result.DebugString();
  EXPECT_THAT(result.stderr_text, HasSubstr("42"));
}

TEST_F(EndToEndTest, InvalidFileExitsThreeWithTheFieldNamed) {
  ApplyOk(kValidYaml, 1, "first");
  std::string bad = kValidYaml;
  bad.replace(bad.find("cluster: green}"), 15, "cluster: gren}");
  const CommandResult result = Yardctl({"apply", "-f", WriteTempFile("bad.yaml", bad)});
  EXPECT_EQ(result.exit_code, 3) << result.DebugString();
  EXPECT_THAT(result.stderr_text,
              HasSubstr("virtual_hosts[default].routes[all].route.cluster: unknown cluster"));

  const CommandResult parse = Yardctl({"apply", "-f", WriteTempFile("typo.yaml", "clustrs: []\n")});
  EXPECT_EQ(parse.exit_code, 3) << parse.DebugString();
  EXPECT_THAT(parse.stderr_text, HasSubstr("clustrs"));

  const CommandResult history = Yardctl({"history", "-o", "json"});
  EXPECT_EQ(nlohmann::json::parse(history.stdout_text)["versions"].size(), 1u)
      << history.stdout_text;
}

// `yardctl apply` of `{}` used to store an empty snapshot: every route went 404.
TEST_F(EndToEndTest, EmptySnapshotIsRefusedUnlessMassDeleteIsAllowed) {
  ApplyOk(kValidYaml, 1, "first");
  const std::string empty = WriteTempFile("empty.yaml", "{}\n");
  const CommandResult refused = Yardctl({"apply", "-f", empty});
  EXPECT_EQ(refused.exit_code, 3) << refused.DebugString();
  EXPECT_THAT(refused.stderr_text, HasSubstr("no route"));
  EXPECT_THAT(refused.stderr_text, HasSubstr("--allow-mass-delete"));
  const CommandResult history = Yardctl({"history", "-o", "json"});
  EXPECT_EQ(nlohmann::json::parse(history.stdout_text)["versions"].size(), 1u)
      << history.stdout_text;

  const CommandResult allowed = Yardctl({"apply", "-f", empty, "--allow-mass-delete"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.DebugString();
  EXPECT_EQ(allowed.stdout_text, "applied: version 2\n");
}

TEST_F(EndToEndTest, StatusAndGetWithoutProxiesOrVersions) {
  CommandResult result = Yardctl({"get"});
  EXPECT_EQ(result.exit_code, 1) << result.DebugString();
  EXPECT_THAT(result.stderr_text, HasSubstr("Store one with `yardctl apply -f FILE`."));

  result = Yardctl({"status"});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_EQ(result.stdout_text, "current version: 0\nno proxies have connected\n");

  ApplyOk(kValidYaml, 1, "first");
  result = Yardctl({"status", "-o", "json"});
  EXPECT_EQ(result.exit_code, 0) << result.DebugString();
  EXPECT_EQ(nlohmann::json::parse(result.stdout_text)["current_version"], 1);
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
  CommandResult json;
  ASSERT_TRUE(PollUntil([&] {
    json = Yardctl({"status", "-o", "json"});
    return json.exit_code == 0 &&
           json.stdout_text.find("\"last_rejected_version\": 2") != std::string::npos;
  })) << json.DebugString();
  const nlohmann::json status = nlohmann::json::parse(json.stdout_text);
  EXPECT_EQ(status["current_version"], 2);
  ASSERT_EQ(status["proxies"].size(), 1u);
  EXPECT_EQ(status["proxies"][0]["node_id"], "proxy-a");
  EXPECT_EQ(status["proxies"][0]["running_version"], 1);
  EXPECT_EQ(status["proxies"][0]["behind"], true);
  EXPECT_EQ(status["proxies"][0]["connected"], true);

  const CommandResult table = Yardctl({"status"});
  EXPECT_EQ(table.exit_code, 0) << table.DebugString();
  EXPECT_THAT(table.stdout_text,
              StartsWith("current version: 2\n\nNODE     GROUP  LABELS  CONNECTED"));
  EXPECT_THAT(table.stdout_text, HasSubstr("\nproxy-a  edge   zone=a  yes  "));
  EXPECT_THAT(table.stdout_text, HasSubstr("  1 (behind)  2\n"));
  EXPECT_THAT(table.stdout_text,
              HasSubstr("\nproxy-a rejected version 2: clusters[blue]: cannot load certificate\n"));
  EXPECT_THAT(table.stdout_text, HasSubstr("\n1 of 1 proxy is behind the current version 2\n"));
}

TEST_F(EndToEndTest, StoppedServerExitsFiveNamingTheAddress) {
  const std::string address = cp_.target();
  cp_.Stop();
  const CommandResult result = Yardctl({"history", "--timeout", "2s"});
  EXPECT_EQ(result.exit_code, 5) << result.DebugString();
  EXPECT_THAT(result.stderr_text, StartsWith("error: cannot reach the control plane at " + address +
                                             " (from YARDCTL_SERVER)"));
  EXPECT_THAT(result.stderr_text, HasSubstr("--server HOST:PORT"));
}

}  // namespace
}  // namespace switchyard::yardctl
