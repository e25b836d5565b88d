// yardctl consumers and keys against a scripted AdminService that keeps secrets the way
// switchyard-control does: Get shows every key hash as "[redacted]", Apply puts the stored
// hash back for each "[redacted]" (switchyard/config/redact.h) and honours
// expected_version. So the tests see what a real control plane would store.
#include <memory>
#include <mutex>

#include "common/sha256.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "switchyard/config/loader.h"
#include "switchyard/config/redact.h"
#include "switchyard/config/validate.h"
#include "tools/yardctl/testing/command_test.h"

namespace switchyard::yardctl {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using testing::CliResult;
using testing::CommandTest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kValidYaml;
using ::testing::MatchesRegex;
using ::testing::Not;
using testing::WriteTempFile;

const std::string kAcmeK1 = Sha256Hex("acme-k1");
const std::string kAcmeK2 = Sha256Hex("acme-k2");
const std::string kBobMain = Sha256Hex("bob-main");

std::string WithConsumers() {
  return std::string(kValidYaml) + R"yaml(consumers:
  - name: acme
    groups: [partners, beta]
    metadata: {owner: team-a}
    api_keys:
      - {name: k1, sha256: ")yaml" +
         kAcmeK1 + R"yaml("}
      - {name: k2, sha256: ")yaml" +
         kAcmeK2 + R"yaml("}
  - name: bob
    api_keys: [{name: main, sha256: ")yaml" +
         kBobMain + R"yaml("}]
)yaml";
}

// The control plane's part, behind the fake server's handlers (which run on gRPC threads).
struct ControlPlane {
  std::mutex mu;
  v1::Snapshot stored;
  uint64_t version = 0;
  // Applies that lose a race: before each, another operator stores a version that gives
  // bob one more key.
  int races_to_lose = 0;
  int other_keys_added = 0;

  grpc::Status Get(const v1::GetRequest&, v1::GetResponse* response) {
    std::lock_guard<std::mutex> lock(mu);
    if (version == 0) return {grpc::StatusCode::NOT_FOUND, ""};
    response->mutable_info()->set_version(version);
    *response->mutable_snapshot() = stored;
    response->mutable_snapshot()->set_version(version);
    config::RedactSecrets(*response->mutable_snapshot());
    return grpc::Status::OK;
  }

  grpc::Status Apply(const v1::ApplyRequest& request, v1::ApplyResponse* response) {
    std::lock_guard<std::mutex> lock(mu);
    if (races_to_lose > 0) {
      --races_to_lose;
      v1::ApiKey* key = stored.mutable_consumers(1)->add_api_keys();
      key->set_name("other-" + std::to_string(++other_keys_added));
      key->set_sha256(Sha256Hex(key->name()));
      ++version;
    }
    if (request.has_expected_version() && request.expected_version() != version) {
      return {grpc::StatusCode::FAILED_PRECONDITION,
              "current version is " + std::to_string(version) + ", you expected " +
                  std::to_string(request.expected_version())};
    }
    v1::Snapshot content = request.snapshot();
    content.clear_version();
    if (absl::Status restored = config::RestoreRedacted(content, stored); !restored.ok()) {
      return {grpc::StatusCode::INVALID_ARGUMENT, std::string(restored.message())};
    }
    if (absl::Status valid = config::ValidateSnapshot(content); !valid.ok()) {
      return {grpc::StatusCode::INVALID_ARGUMENT, std::string(valid.message())};
    }
    if (version > 0 && MessageDifferencer::Equals(content, stored)) {
      response->set_version(version);
      return grpc::Status::OK;
    }
    stored = std::move(content);
    response->set_version(++version);
    response->set_changed(true);
    return grpc::Status::OK;
  }

  v1::Snapshot Stored() {
    std::lock_guard<std::mutex> lock(mu);
    return stored;
  }
};

class ConsumersKeysTest : public CommandTest {
 protected:
  void SetUp() override {
    CommandTest::SetUp();
    absl::StatusOr<v1::Snapshot> initial = config::ParseSnapshot(WithConsumers(), "test");
    ASSERT_TRUE(initial.ok()) << initial.status();
    ASSERT_THAT(config::ValidationErrors(*initial), IsEmpty());
    cp_->stored = *initial;
    cp_->version = 1;
    std::shared_ptr<ControlPlane> cp = cp_;
    server_.OnGet([cp](const v1::GetRequest& request, v1::GetResponse* response) {
      return cp->Get(request, response);
    });
    server_.OnApply([cp](const v1::ApplyRequest& request, v1::ApplyResponse* response) {
      return cp->Apply(request, response);
    });
  }

  const v1::Consumer& StoredConsumer(int index) {
    stored_ = cp_->Stored();
    return stored_.consumers(index);
  }

  std::shared_ptr<ControlPlane> cp_ = std::make_shared<ControlPlane>();
  v1::Snapshot stored_;
};

std::vector<std::string> KeyNames(const v1::Consumer& consumer) {
  std::vector<std::string> names;
  for (const v1::ApiKey& key : consumer.api_keys()) names.push_back(key.name());
  return names;
}

TEST_F(ConsumersKeysTest, ConsumersTableShowsKeyNamesNeverHashes) {
  const CliResult result = Run({"consumers"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out,
            "NAME  GROUPS         KEYS\n"
            "acme  partners,beta  k1,k2\n"
            "bob   -              main\n");
  EXPECT_EQ(result.err, "");
}

TEST_F(ConsumersKeysTest, ConsumersAsJsonAndYaml) {
  const CliResult json = Run({"consumers", "-o", "json"});
  ASSERT_EQ(json.code, 0) << json.DebugString();
  const nlohmann::json parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed, nlohmann::json::parse(R"json({"consumers": [
      {"name": "acme", "groups": ["partners", "beta"], "metadata": {"owner": "team-a"},
       "api_keys": [{"name": "k1"}, {"name": "k2"}]},
      {"name": "bob", "api_keys": [{"name": "main"}]}]})json"));

  const CliResult yaml = Run({"consumers", "-o", "yaml"});
  ASSERT_EQ(yaml.code, 0) << yaml.DebugString();
  absl::StatusOr<v1::Snapshot> read_back = config::ParseSnapshot(yaml.out, "consumers -o yaml");
  ASSERT_TRUE(read_back.ok()) << read_back.status();
  EXPECT_EQ(config::SnapshotToJson(*read_back),
            config::SnapshotToJson(*config::ParseSnapshot(json.out, "json")));
  for (const CliResult* result : {&json, &yaml}) {
    EXPECT_THAT(result->out, Not(HasSubstr("sha256")));
    EXPECT_THAT(result->out, Not(HasSubstr("redacted")));
    EXPECT_THAT(result->out, Not(HasSubstr("virtual_hosts")));
  }

  cp_->stored.clear_consumers();
  EXPECT_EQ(Run({"consumers"}).out, "NAME  GROUPS  KEYS\n");
  EXPECT_EQ(nlohmann::json::parse(Run({"consumers", "-o", "json"}).out),
            nlohmann::json::parse(R"({"consumers": []})"));
  EXPECT_EQ(Run({"consumers", "-o", "yaml"}).out, "consumers: []\n");
}

TEST_F(ConsumersKeysTest, ConsumersUsageAndNothingStored) {
  CliResult result = Run({"consumers", "-o", "xml"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("-o must be one of table|yaml|json"));
  result = Run({"consumers", "acme"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_EQ(server_.total_calls(), 0);

  cp_->version = 0;
  result = Run({"consumers"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("no version has been stored yet"));
}

TEST_F(ConsumersKeysTest, CreatePrintsTheKeyOnceAndStoresOnlyItsHash) {
  const CliResult result = Run({"keys", "create", "acme"});
  ASSERT_EQ(result.code, 0) << result.DebugString();
  ASSERT_THAT(result.out, MatchesRegex("sy_[A-Za-z0-9_-]{43}\n"));
  const std::string key = result.out.substr(0, result.out.size() - 1);
  const std::string hash = Sha256Hex(key);
  const std::string name = "key-" + hash.substr(0, 8);
  EXPECT_EQ(result.err, "created API key '" + name +
                            "' of consumer 'acme' in version 2; the key is shown only now and "
                            "cannot be shown again: store it safely\n");

  // Stored: the new key's hash; every other hash as it was.
  const v1::Consumer& acme = StoredConsumer(0);
  ASSERT_THAT(KeyNames(acme), ElementsAre("k1", "k2", name));
  EXPECT_EQ(acme.api_keys(0).sha256(), kAcmeK1);
  EXPECT_EQ(acme.api_keys(1).sha256(), kAcmeK2);
  EXPECT_EQ(acme.api_keys(2).sha256(), hash);
  EXPECT_EQ(stored_.consumers(1).api_keys(0).sha256(), kBobMain);
  EXPECT_THAT(stored_.SerializeAsString(), Not(HasSubstr(key)));
  EXPECT_EQ(stored_.virtual_hosts_size(), 2);

  // Sent: the version read as the expected one, the other keys still redacted, and never
  // the key itself.
  ASSERT_EQ(server_.apply_requests().size(), 1u);
  const v1::ApplyRequest sent = server_.apply_requests()[0];
  EXPECT_TRUE(sent.has_expected_version());
  EXPECT_EQ(sent.expected_version(), 1u);
  EXPECT_EQ(sent.snapshot().consumers(0).api_keys(0).sha256(), config::kRedacted);
  EXPECT_EQ(sent.snapshot().consumers(1).api_keys(0).sha256(), config::kRedacted);
  EXPECT_EQ(sent.snapshot().consumers(0).api_keys(2).sha256(), hash);
  EXPECT_THAT(sent.SerializeAsString(), Not(HasSubstr(key)));
  EXPECT_EQ(sent.author(), "tester@testhost");
  EXPECT_EQ(sent.message(), "create API key " + name + " of consumer acme");
  EXPECT_FALSE(sent.dry_run());

  // Each key is new.
  const CliResult second = Run({"keys", "create", "acme", "--message", "for ci"});
  ASSERT_EQ(second.code, 0) << second.DebugString();
  EXPECT_NE(second.out, result.out);
  EXPECT_EQ(StoredConsumer(0).api_keys_size(), 4);
  EXPECT_EQ(server_.apply_requests().back().message(), "for ci");
}

TEST_F(ConsumersKeysTest, CreateWithAName) {
  CliResult result = Run({"keys", "create", "bob", "--name", "ci-2026"});
  ASSERT_EQ(result.code, 0) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("created API key 'ci-2026' of consumer 'bob' in version 2"));
  EXPECT_THAT(KeyNames(StoredConsumer(1)), ElementsAre("main", "ci-2026"));

  // A name in use is refused, and nothing is applied.
  result = Run({"keys", "create", "bob", "--name", "ci-2026"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: consumer \"bob\" already has a key named \"ci-2026\" in version 2\n"
            "Choose another --name, or leave it out for a generated one.\n");
  EXPECT_EQ(server_.apply_requests().size(), 1u);

  // A name the snapshot cannot hold is a usage error found before any call.
  const int calls = server_.total_calls();
  result = Run({"keys", "create", "bob", "--name", "ci 2026"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("--name: a key name must match [A-Za-z0-9_.-]+"));
  EXPECT_EQ(server_.total_calls(), calls);
}

TEST_F(ConsumersKeysTest, UnknownConsumerOrKeyChangesNothing) {
  CliResult result = Run({"keys", "create", "carol"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, HasSubstr("error: no consumer \"carol\" in version 1\n"
                                    "Run `yardctl consumers` to list them"));
  result = Run({"keys", "revoke", "carol", "k1"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("no consumer \"carol\""));
  result = Run({"keys", "revoke", "acme", "k9"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_EQ(result.err,
            "error: consumer \"acme\" has no key \"k9\" in version 1\n"
            "Run `yardctl keys list acme` to list its keys.\n");
  result = Run({"keys", "list", "carol"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_THAT(server_.apply_requests(), IsEmpty());
  EXPECT_EQ(cp_->version, 1u);
}

TEST_F(ConsumersKeysTest, RevokeRemovesOnlyThatKey) {
  const CliResult result = Run({"keys", "revoke", "acme", "k1"});
  ASSERT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "revoked API key 'k1' of consumer 'acme': version 2\n");
  EXPECT_EQ(result.err, "");
  const v1::Consumer& acme = StoredConsumer(0);
  ASSERT_THAT(KeyNames(acme), ElementsAre("k2"));
  EXPECT_EQ(acme.api_keys(0).sha256(), kAcmeK2);
  EXPECT_EQ(stored_.consumers(1).api_keys(0).sha256(), kBobMain);
  const v1::ApplyRequest sent = server_.apply_requests().at(0);
  EXPECT_EQ(sent.expected_version(), 1u);
  EXPECT_EQ(sent.message(), "revoke API key k1 of consumer acme");
}

TEST_F(ConsumersKeysTest, ALostRaceStartsOverOnTheNewVersion) {
  cp_->races_to_lose = 2;
  const CliResult result = Run({"keys", "create", "acme", "--name", "new"});
  ASSERT_EQ(result.code, 0) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("in version 4;"));
  ASSERT_EQ(server_.get_requests().size(), 3u);
  const std::vector<v1::ApplyRequest> sent = server_.apply_requests();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].expected_version(), 1u);
  EXPECT_EQ(sent[1].expected_version(), 2u);
  EXPECT_EQ(sent[2].expected_version(), 3u);
  // The other operator's keys and ours are all there, with their hashes.
  ASSERT_THAT(KeyNames(StoredConsumer(1)), ElementsAre("main", "other-1", "other-2"));
  EXPECT_EQ(stored_.consumers(1).api_keys(2).sha256(), Sha256Hex("other-2"));
  EXPECT_THAT(KeyNames(stored_.consumers(0)), ElementsAre("k1", "k2", "new"));
  EXPECT_EQ(stored_.consumers(0).api_keys(2).sha256(), Sha256Hex(result.out.substr(0, 46)));
}

TEST_F(ConsumersKeysTest, RacesLostEveryTimeExitFour) {
  cp_->races_to_lose = 100;
  const CliResult result = Run({"keys", "revoke", "acme", "k1"});
  EXPECT_EQ(result.code, 4) << result.DebugString();
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: the current version changed during each of 5 attempts (other changes were "
            "stored first); nothing was changed\n"
            "Run the command again.\n");
  EXPECT_EQ(server_.apply_requests().size(), 5u);
  EXPECT_THAT(KeyNames(StoredConsumer(0)), ElementsAre("k1", "k2"));
}

TEST_F(ConsumersKeysTest, NothingStoredYet) {
  cp_->version = 0;
  const CliResult result = Run({"keys", "create", "acme"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "error: no version has been stored yet\nStore one with `yardctl apply -f FILE`.\n");
}

TEST_F(ConsumersKeysTest, ListShowsNames) {
  CliResult result = Run({"keys", "list", "acme"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "NAME\nk1\nk2\n");
  result = Run({"keys", "list", "acme", "-o", "json"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(nlohmann::json::parse(result.out),
            nlohmann::json::parse(
                R"({"consumer": "acme", "api_keys": [{"name": "k1"}, {"name": "k2"}]})"));
}

TEST_F(ConsumersKeysTest, UsageErrors) {
  const struct {
    std::vector<std::string> args;
    std::string error;
  } cases[] = {
      {{"keys"}, "missing argument; usage: yardctl keys create CONSUMER"},
      {{"keys", "rotate", "acme"}, "unknown keys action \"rotate\": use create, revoke or list"},
      {{"keys", "create"}, "keys create needs a CONSUMER"},
      {{"keys", "create", "acme", "k3"}, "keys create takes one CONSUMER"},
      {{"keys", "revoke", "acme"}, "keys revoke needs a CONSUMER and the key's NAME"},
      {{"keys", "list"}, "keys list needs a CONSUMER"},
      {{"keys", "list", "acme", "--name", "x"}, "--name does not apply to keys list"},
      {{"keys", "revoke", "acme", "k1", "-o", "json"}, "-o does not apply to keys revoke"},
      {{"keys", "list", "acme", "--message", "m"}, "--message does not apply to keys list"},
      {{"keys", "list", "acme", "-o", "yaml"}, "-o must be one of table|json"},
      {{"keys", "revoke", "acme", "k1", "k2"}, "unexpected argument \"k2\""},
  };
  for (const auto& c : cases) {
    const CliResult result = Run(c.args);
    EXPECT_EQ(result.code, 2) << result.DebugString();
    EXPECT_THAT(result.err, HasSubstr(c.error)) << result.DebugString();
  }
  EXPECT_EQ(server_.total_calls(), 0);
}

// What `yardctl get -o yaml` prints goes back through `apply` as no change, and the
// redacted hashes in it are the stored ones again.
TEST_F(ConsumersKeysTest, GetYamlWithRedactedHashesAppliesAsNoChange) {
  const CliResult yaml = Run({"get", "-o", "yaml"});
  ASSERT_EQ(yaml.code, 0) << yaml.DebugString();
  EXPECT_THAT(yaml.out, HasSubstr("sha256: \"[redacted]\""));
  EXPECT_THAT(yaml.out, Not(HasSubstr(kAcmeK1)));
  const CliResult applied = Run({"apply", "-f", WriteTempFile("exported.yaml", yaml.out)});
  EXPECT_EQ(applied.code, 0) << applied.DebugString();
  EXPECT_EQ(applied.out, "no change (version 1 already has this content)\n");
  EXPECT_EQ(StoredConsumer(0).api_keys(0).sha256(), kAcmeK1);
}

}  // namespace
}  // namespace switchyard::yardctl
