#include "switchyard/config/snapshot_delta.h"

#include "gtest/gtest.h"

namespace switchyard::config {
namespace {

v1::Snapshot Base() {
  v1::Snapshot s;
  s.set_version(4);
  for (const char* name : {"a", "b", "c"}) s.add_clusters()->set_name(name);
  s.add_virtual_hosts()->set_name("v1");
  return s;
}

TEST(ApplyDeltaTest, ReplacesAddsAndRemovesByName) {
  v1::SnapshotDelta delta;
  delta.set_base_version(4);
  v1::Cluster* changed = delta.add_clusters();
  changed->set_name("b");
  changed->add_endpoints()->set_port(99);
  delta.add_clusters()->set_name("d");
  delta.add_removed_clusters("a");
  delta.add_virtual_hosts()->set_name("v2");

  auto result = ApplyDelta(Base(), delta, 5);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->version(), 5u);
  ASSERT_EQ(result->clusters_size(), 3);
  EXPECT_EQ(result->clusters(0).name(), "b");
  EXPECT_EQ(result->clusters(0).endpoints(0).port(), 99u);
  EXPECT_EQ(result->clusters(1).name(), "c");
  EXPECT_EQ(result->clusters(2).name(), "d");
  ASSERT_EQ(result->virtual_hosts_size(), 2);
  EXPECT_EQ(result->virtual_hosts(1).name(), "v2");
}

TEST(ApplyDeltaTest, WrongBaseIsRefused) {
  v1::SnapshotDelta delta;
  delta.set_base_version(3);
  auto result = ApplyDelta(Base(), delta, 5);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(result.status().message().find("runs 4"), absl::string_view::npos);
}

TEST(ApplyDeltaTest, RemovingAnUnknownResourceIsRefused) {
  v1::SnapshotDelta delta;
  delta.set_base_version(4);
  delta.add_removed_clusters("zz");
  EXPECT_EQ(ApplyDelta(Base(), delta, 5).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ApplyDeltaTest, MergesConsumersAndAuthPolicies) {
  v1::Snapshot base = Base();
  for (const char* name : {"acme", "globex", "initech"}) base.add_consumers()->set_name(name);
  for (const char* name : {"open", "partners"}) base.add_auth_policies()->set_name(name);

  v1::SnapshotDelta delta;
  delta.set_base_version(4);
  v1::Consumer* acme = delta.add_consumers();
  acme->set_name("acme");
  acme->add_groups("partners");
  delta.add_consumers()->set_name("umbrella");
  delta.add_removed_consumers("globex");
  v1::AuthPolicy* partners = delta.add_auth_policies();
  partners->set_name("partners");
  partners->mutable_api_key()->set_header("x-api-key");
  delta.add_auth_policies()->set_name("office");
  delta.add_removed_auth_policies("open");

  auto result = ApplyDelta(base, delta, 5);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->consumers_size(), 3);
  EXPECT_EQ(result->consumers(0).name(), "acme");
  ASSERT_EQ(result->consumers(0).groups_size(), 1);
  EXPECT_EQ(result->consumers(0).groups(0), "partners");
  EXPECT_EQ(result->consumers(1).name(), "initech");
  EXPECT_EQ(result->consumers(2).name(), "umbrella");
  ASSERT_EQ(result->auth_policies_size(), 2);
  EXPECT_EQ(result->auth_policies(0).name(), "partners");
  EXPECT_EQ(result->auth_policies(0).api_key().header(), "x-api-key");
  EXPECT_EQ(result->auth_policies(1).name(), "office");
  EXPECT_EQ(result->clusters_size(), 3);  // untouched kinds stay as they were

  v1::SnapshotDelta unknown;
  unknown.set_base_version(4);
  unknown.add_removed_consumers("nobody");
  auto refused = ApplyDelta(base, unknown, 5);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("consumer"), absl::string_view::npos);
  unknown.clear_removed_consumers();
  unknown.add_removed_auth_policies("nothing");
  refused = ApplyDelta(base, unknown, 5);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("auth policy"), absl::string_view::npos);
}

}  // namespace
}  // namespace switchyard::config
