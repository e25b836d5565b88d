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

}  // namespace
}  // namespace switchyard::config
