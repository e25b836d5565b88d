#include "controlplane/diff/snapshot_diff.h"

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "switchyard/config/snapshot_delta.h"

namespace switchyard::controlplane {
namespace {

using switchyard::v1::Snapshot;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

void AddCluster(Snapshot& s, const std::string& name, uint32_t port = 80) {
  auto* c = s.add_clusters();
  c->set_name(name);
  auto* e = c->add_endpoints();
  e->set_address("10.0.0.1");
  e->set_port(port);
}

void AddVhost(Snapshot& s, const std::string& name, const std::string& domain) {
  auto* v = s.add_virtual_hosts();
  v->set_name(name);
  v->add_domains(domain);
}

TEST(DiffSnapshotsTest, AddedRemovedChangedPerKind) {
  Snapshot from, to;
  AddVhost(from, "api", "api.example.com");
  AddVhost(from, "old", "old.example.com");
  AddCluster(from, "b");
  AddCluster(from, "a");
  AddCluster(from, "gone");
  from.set_version(4);

  AddVhost(to, "api", "api2.example.com");
  AddCluster(to, "a");
  AddCluster(to, "b", 81);
  AddCluster(to, "z");
  AddCluster(to, "new");

  const SnapshotDiff diff = DiffSnapshots(from, to);
  EXPECT_THAT(diff.virtual_hosts.added, IsEmpty());
  EXPECT_THAT(diff.virtual_hosts.removed, ElementsAre("old"));
  EXPECT_THAT(diff.virtual_hosts.changed, ElementsAre("api"));
  EXPECT_THAT(diff.clusters.added, ElementsAre("new", "z"));
  EXPECT_THAT(diff.clusters.removed, ElementsAre("gone"));
  EXPECT_THAT(diff.clusters.changed, ElementsAre("b")) << "reordering alone is no change";
  EXPECT_FALSE(diff.empty());
}

TEST(DiffSnapshotsTest, VersionFieldIgnored) {
  Snapshot a, b;
  AddCluster(a, "x");
  AddCluster(b, "x");
  a.set_version(1);
  b.set_version(2);
  EXPECT_TRUE(DiffSnapshots(a, b).empty());
}

TEST(SameContentTest, IgnoresVersionButNotOrder) {
  Snapshot a, b;
  AddCluster(a, "x");
  AddCluster(a, "y");
  b = a;
  b.set_version(9);
  EXPECT_TRUE(SameContent(a, b));
  b.mutable_clusters()->SwapElements(0, 1);
  EXPECT_FALSE(SameContent(a, b));
  b = a;
  b.mutable_clusters(1)->mutable_endpoints(0)->set_weight(2);
  EXPECT_FALSE(SameContent(a, b));
}

TEST(MakeDeltaTest, ReproducesTargetUnderTheProxyRule) {
  Snapshot base, target;
  base.set_version(3);
  for (int i = 0; i < 10; ++i) AddCluster(base, "c" + std::to_string(i));
  AddVhost(base, "api", "api.example.com");
  for (int i = 0; i < 10; ++i) {
    if (i == 4) continue;                                             // removed
    AddCluster(target, "c" + std::to_string(i), i == 7 ? 8080 : 80);  // c7 changed
  }
  AddCluster(target, "added");
  AddVhost(target, "api", "api.example.com");
  target.set_version(5);

  auto delta = MakeDelta(base, target);
  ASSERT_TRUE(delta.has_value());
  EXPECT_EQ(delta->base_version(), 3u);
  ASSERT_EQ(delta->clusters_size(), 2);
  EXPECT_EQ(delta->clusters(0).name(), "c7");
  EXPECT_EQ(delta->clusters(1).name(), "added");
  EXPECT_THAT(delta->removed_clusters(), ElementsAre("c4"));
  EXPECT_EQ(delta->virtual_hosts_size(), 0);
  EXPECT_EQ(delta->removed_virtual_hosts_size(), 0);

  auto applied = config::ApplyDelta(base, *delta, 5);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*applied, target));
}

void AddCertificate(Snapshot& s, const std::string& name, const std::string& pem) {
  auto* c = s.add_certificates();
  c->set_name(name);
  c->add_domains(name + ".example.com");
  c->set_cert_pem(pem);
}

// A rotated certificate is a change of its own: stored, shown and sent, even when
// nothing else changed.
TEST(CertificatesTest, ACertificateOnlyChangeIsSeenDiffedAndDelivered) {
  Snapshot base, target;
  AddCluster(base, "c");
  AddCertificate(base, "api", "old pem");
  AddCertificate(base, "gone", "pem");
  base.set_version(7);
  AddCluster(target, "c");
  AddCertificate(target, "api", "new pem");
  AddCertificate(target, "shop", "pem");
  EXPECT_FALSE(SameContent(base, target));

  const SnapshotDiff diff = DiffSnapshots(base, target);
  EXPECT_THAT(diff.certificates.added, ElementsAre("shop"));
  EXPECT_THAT(diff.certificates.removed, ElementsAre("gone"));
  EXPECT_THAT(diff.certificates.changed, ElementsAre("api"));
  EXPECT_TRUE(diff.clusters.empty());
  EXPECT_FALSE(diff.empty());

  auto delta = MakeDelta(base, target);
  ASSERT_TRUE(delta.has_value());
  EXPECT_EQ(delta->certificates_size(), 2);
  EXPECT_THAT(delta->removed_certificates(), ElementsAre("gone"));
  EXPECT_EQ(delta->clusters_size(), 0);
  target.set_version(8);
  auto applied = config::ApplyDelta(base, *delta, 8);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*applied, target));
}

TEST(MakeDeltaTest, ReorderedResourcesNeedTheWholeSnapshot) {
  Snapshot base, target;
  AddCluster(base, "a");
  AddCluster(base, "b");
  AddCluster(target, "b");
  AddCluster(target, "a");
  EXPECT_FALSE(MakeDelta(base, target).has_value());

  Snapshot moved_back;  // an old name cannot come after a new one
  AddCluster(moved_back, "new");
  AddCluster(moved_back, "a");
  AddCluster(moved_back, "b");
  EXPECT_FALSE(MakeDelta(base, moved_back).has_value());
}

void AddConsumer(Snapshot& s, const std::string& name, const std::string& group) {
  auto* c = s.add_consumers();
  c->set_name(name);
  c->add_groups(group);
  auto* key = c->add_api_keys();
  key->set_name("k1");
  key->set_sha256(std::string(64, name[0] == 'a' ? 'a' : 'b'));
}

void AddPolicy(Snapshot& s, const std::string& name, const std::string& header) {
  auto* p = s.add_auth_policies();
  p->set_name(name);
  p->mutable_api_key()->set_header(header);
}

// Consumers and auth policies are resources of their own, like certificates: a revoked
// key or a tightened policy is stored, shown and sent without touching anything else.
TEST(AuthResourcesTest, ConsumerAndPolicyChangesAreSeenDiffedAndDelivered) {
  Snapshot base, target;
  AddCluster(base, "c");
  AddConsumer(base, "acme", "partners");
  AddConsumer(base, "globex", "partners");
  AddPolicy(base, "partners-only", "x-api-key");
  AddPolicy(base, "legacy", "x-key");
  base.set_version(7);
  AddCluster(target, "c");
  AddConsumer(target, "acme", "gold");  // changed
  AddConsumer(target, "globex", "partners");
  AddConsumer(target, "initech", "partners");  // added
  AddPolicy(target, "partners-only", "x-api-key");
  // "legacy" removed
  EXPECT_FALSE(SameContent(base, target));

  const SnapshotDiff diff = DiffSnapshots(base, target);
  EXPECT_THAT(diff.consumers.changed, ElementsAre("acme"));
  EXPECT_THAT(diff.consumers.added, ElementsAre("initech"));
  EXPECT_THAT(diff.consumers.removed, IsEmpty());
  EXPECT_THAT(diff.auth_policies.removed, ElementsAre("legacy"));
  EXPECT_THAT(diff.auth_policies.added, IsEmpty());
  EXPECT_THAT(diff.auth_policies.changed, IsEmpty());
  EXPECT_TRUE(diff.clusters.empty());
  EXPECT_TRUE(diff.virtual_hosts.empty());
  EXPECT_TRUE(diff.certificates.empty());
  EXPECT_FALSE(diff.empty());

  auto delta = MakeDelta(base, target);
  ASSERT_TRUE(delta.has_value());
  ASSERT_EQ(delta->consumers_size(), 2);
  EXPECT_EQ(delta->consumers(0).name(), "acme");
  EXPECT_EQ(delta->consumers(1).name(), "initech");
  EXPECT_THAT(delta->removed_consumers(), IsEmpty());
  EXPECT_EQ(delta->auth_policies_size(), 0);
  EXPECT_THAT(delta->removed_auth_policies(), ElementsAre("legacy"));
  EXPECT_EQ(delta->clusters_size(), 0);
  target.set_version(8);
  auto applied = config::ApplyDelta(base, *delta, 8);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*applied, target));
}

TEST(AuthResourcesTest, AChangedPolicyAndARemovedConsumer) {
  Snapshot base, target;
  AddConsumer(base, "acme", "partners");
  AddConsumer(base, "globex", "partners");
  AddPolicy(base, "p", "x-api-key");
  AddConsumer(target, "acme", "partners");
  AddPolicy(target, "p", "x-other-key");
  const SnapshotDiff diff = DiffSnapshots(base, target);
  EXPECT_THAT(diff.consumers.removed, ElementsAre("globex"));
  EXPECT_THAT(diff.auth_policies.changed, ElementsAre("p"));
  auto delta = MakeDelta(base, target);
  ASSERT_TRUE(delta.has_value());
  EXPECT_THAT(delta->removed_consumers(), ElementsAre("globex"));
  ASSERT_EQ(delta->auth_policies_size(), 1);
  EXPECT_EQ(delta->auth_policies(0).api_key().header(), "x-other-key");

  Snapshot reordered;  // consumers reordered: the whole snapshot goes
  AddConsumer(reordered, "globex", "partners");
  AddConsumer(reordered, "acme", "partners");
  AddPolicy(reordered, "p", "x-api-key");
  EXPECT_FALSE(MakeDelta(base, reordered).has_value());
}

TEST(AuthResourcesTest, AnUnchangedSnapshotHasAnEmptyDiffAndDelta) {
  Snapshot base;
  AddCluster(base, "c");
  AddVhost(base, "api", "api.example.com");
  base.mutable_virtual_hosts(0)->set_auth_policy("p");
  AddConsumer(base, "acme", "partners");
  (*base.mutable_consumers(0)->mutable_metadata())["owner"] = "team-a";
  (*base.mutable_consumers(0)->mutable_metadata())["plan"] = "gold";
  AddPolicy(base, "p", "x-api-key");
  base.set_version(3);
  Snapshot same = base;
  same.set_version(4);
  EXPECT_TRUE(SameContent(base, same));
  EXPECT_TRUE(DiffSnapshots(base, same).empty());
  auto delta = MakeDelta(base, same);
  ASSERT_TRUE(delta.has_value());
  EXPECT_EQ(delta->consumers_size() + delta->removed_consumers_size() +
                delta->auth_policies_size() + delta->removed_auth_policies_size(),
            0);

  // A virtual host's policy (and a route's) travel with the virtual host.
  same.mutable_virtual_hosts(0)->set_auth_policy("other");
  const SnapshotDiff diff = DiffSnapshots(base, same);
  EXPECT_THAT(diff.virtual_hosts.changed, ElementsAre("api"));
  EXPECT_TRUE(diff.auth_policies.empty());
}

}  // namespace
}  // namespace switchyard::controlplane
