#include "switchyard/config/redact.h"

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "switchyard/config/testdata/redact_test.pb.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::config {
namespace {

using ::testing::HasSubstr;

test::Root Parse(const std::string& text) {
  test::Root root;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &root)) << text;
  return root;
}

const char kStored[] = R"pb(
  holders {
    name: "a"
    keys { name: "k1" private_key: "KEY-1" certificate: "CERT-1" }
    keys { name: "k2" private_key: "KEY-2" certificate: "CERT-2" }
    default_key { private_key: "DEFAULT" }
    consumers {
      key: "alice"
      value { key_hashes: "H1" key_hashes: "H2" }
    }
    token: "TOKEN"
    unnamed { key_hashes: "U0" }
  }
)pb";

bool Equal(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

TEST(RedactTest, EverySecretAtEveryDepthAndNothingElse) {
  test::Root root = Parse(kStored);
  EXPECT_EQ(RedactSecrets(root), 7);
  const std::string text = root.DebugString();
  for (const char* secret : {"KEY-1", "KEY-2", "DEFAULT", "H1", "H2", "TOKEN", "U0"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " leaked:\n" << text;
  }
  EXPECT_EQ(root.holders(0).keys(0).private_key(), kRedacted);
  EXPECT_EQ(root.holders(0).keys(0).certificate(), "CERT-1");
  EXPECT_EQ(root.holders(0).name(), "a");
  // Empty secrets stay empty: "[redacted]" must not invent a value.
  test::Root empty = Parse(R"pb(holders {
                                  name: "b"
                                  keys { name: "k" }
                                })pb");
  EXPECT_EQ(RedactSecrets(empty), 0);
  EXPECT_EQ(empty.holders(0).keys(0).private_key(), "");
}

TEST(RedactTest, ARedactedCopyRestoresToTheStoredOne) {
  const test::Root stored = Parse(kStored);
  test::Root round_trip = stored;
  RedactSecrets(round_trip);
  ASSERT_TRUE(RestoreRedacted(round_trip, stored).ok());
  EXPECT_TRUE(Equal(round_trip, stored)) << round_trip.DebugString();
}

TEST(RedactTest, ResourcesAreMatchedByNameNotPosition) {
  const test::Root stored = Parse(kStored);
  test::Root incoming = Parse(R"pb(
    holders {
      name: "a"
      keys { name: "k2" private_key: "[redacted]" certificate: "NEW" }
      keys { name: "k1" private_key: "NEW-KEY" }
      consumers {
        key: "alice"
        value { key_hashes: "[redacted]" key_hashes: "H3" }
      }
    }
  )pb");
  ASSERT_TRUE(RestoreRedacted(incoming, stored).ok());
  EXPECT_EQ(incoming.holders(0).keys(0).private_key(), "KEY-2");
  EXPECT_EQ(incoming.holders(0).keys(1).private_key(), "NEW-KEY");  // a new value stays
  EXPECT_EQ(incoming.holders(0).consumers().at("alice").key_hashes(0), "H1");
  EXPECT_EQ(incoming.holders(0).consumers().at("alice").key_hashes(1), "H3");
}

TEST(RedactTest, NothingToKeepIsAnErrorNamingTheField) {
  const test::Root stored = Parse(kStored);
  test::Root incoming = Parse(R"pb(holders {
                                     name: "a"
                                     keys { name: "k9" private_key: "[redacted]" }
                                   })pb");
  absl::Status status = RestoreRedacted(incoming, stored);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("holders[a].keys[k9].private_key is [redacted]"));
  incoming = Parse(R"pb(holders { name: "new" token: "[redacted]" })pb");
  EXPECT_THAT(RestoreRedacted(incoming, stored).message(), HasSubstr("holders[new].token"));
}

TEST(RedactTest, SnapshotsDeclareTheirSecretsThroughTheSameOption) {
  // Nothing in today's snapshot is secret: redaction leaves it whole. A field that
  // becomes secret is covered by the rule above without any change here.
  v1::Snapshot snapshot;
  snapshot.add_clusters()->set_name("c");
  v1::Snapshot copy = snapshot;
  EXPECT_EQ(RedactSecrets(copy), 0);
  EXPECT_TRUE(Equal(copy, snapshot));
}

// An API key's hash is a secret (snapshot.proto): shown redacted, and kept on apply by
// the key's name within its consumer.
TEST(RedactTest, ApiKeyHashesAreRedactedAndRestoredByKeyName) {
  const std::string h1(64, 'a');
  const std::string h2(64, 'b');
  v1::Snapshot stored;
  v1::Consumer* acme = stored.add_consumers();
  acme->set_name("acme");
  acme->add_groups("partners");
  (*acme->mutable_metadata())["owner"] = "team-a";
  v1::ApiKey* k1 = acme->add_api_keys();
  k1->set_name("k1");
  k1->set_sha256(h1);
  v1::ApiKey* k2 = acme->add_api_keys();
  k2->set_name("k2");
  k2->set_sha256(h2);

  v1::Snapshot shown = stored;
  EXPECT_EQ(RedactSecrets(shown), 2);
  EXPECT_EQ(shown.consumers(0).api_keys(0).sha256(), kRedacted);
  EXPECT_EQ(shown.consumers(0).api_keys(1).sha256(), kRedacted);
  EXPECT_EQ(shown.consumers(0).api_keys(0).name(), "k1");
  EXPECT_EQ(shown.consumers(0).groups(0), "partners");
  EXPECT_EQ(shown.consumers(0).metadata().at("owner"), "team-a");
  const std::string text = shown.DebugString();
  EXPECT_EQ(text.find(h1), std::string::npos) << text;
  EXPECT_EQ(text.find(h2), std::string::npos) << text;

  ASSERT_TRUE(RestoreRedacted(shown, stored).ok());
  EXPECT_TRUE(Equal(shown, stored)) << shown.DebugString();

  // Matched by name, not position: reordered keys get their own hashes back.
  v1::Snapshot reordered = stored;
  reordered.mutable_consumers(0)->mutable_api_keys()->SwapElements(0, 1);
  RedactSecrets(reordered);
  ASSERT_TRUE(RestoreRedacted(reordered, stored).ok());
  EXPECT_EQ(reordered.consumers(0).api_keys(0).name(), "k2");
  EXPECT_EQ(reordered.consumers(0).api_keys(0).sha256(), h2);
  EXPECT_EQ(reordered.consumers(0).api_keys(1).sha256(), h1);
}

TEST(RedactTest, ARenamedApiKeyWithARedactedHashIsRefused) {
  v1::Snapshot stored;
  v1::Consumer* acme = stored.add_consumers();
  acme->set_name("acme");
  v1::ApiKey* k1 = acme->add_api_keys();
  k1->set_name("k1");
  k1->set_sha256(std::string(64, 'a'));

  v1::Snapshot incoming = stored;
  RedactSecrets(incoming);
  incoming.mutable_consumers(0)->mutable_api_keys(0)->set_name("k1-renamed");
  const absl::Status status = RestoreRedacted(incoming, stored);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("consumers[acme].api_keys[k1-renamed].sha256 is [redacted] but no stored "
                        "value is there to keep"));

  // Nor can a key move to another consumer under its redacted hash.
  incoming = stored;
  RedactSecrets(incoming);
  incoming.mutable_consumers(0)->set_name("globex");
  EXPECT_THAT(RestoreRedacted(incoming, stored).message(),
              HasSubstr("consumers[globex].api_keys[k1].sha256"));
}

}  // namespace
}  // namespace switchyard::config
