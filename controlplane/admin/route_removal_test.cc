#include "controlplane/admin/route_removal.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchyard::controlplane {
namespace {

using ::testing::HasSubstr;

// One virtual host per entry, each with the named routes.
switchyard::v1::Snapshot With(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& virtual_hosts) {
  switchyard::v1::Snapshot snapshot;
  for (const auto& [name, routes] : virtual_hosts) {
    auto* virtual_host = snapshot.add_virtual_hosts();
    virtual_host->set_name(name);
    for (const auto& route : routes) virtual_host->add_routes()->set_name(route);
  }
  return snapshot;
}

TEST(RouteRemovalTest, CountsRoutesByVirtualHostAndName) {
  const auto current = With({{"api", {"a", "b", "c"}}, {"shop", {"a"}}});
  // "a" survives in api only; shop's "a" is gone with its host; "d" is new.
  const auto next = With({{"api", {"a", "d"}}});
  const RouteRemoval removal = CountRouteRemoval(&current, next);
  EXPECT_EQ(removal.current_routes, 4u);
  EXPECT_EQ(removal.next_routes, 2u);
  EXPECT_EQ(removal.removed, 3u);
}

TEST(RouteRemovalTest, ASnapshotWithoutRoutesIsRefusedEvenAsTheFirst) {
  const auto empty = With({});
  const absl::Status first = CheckRouteRemoval(nullptr, empty, 0.5);
  EXPECT_EQ(first.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(first.message(), HasSubstr("no route"));
  EXPECT_THAT(first.message(), HasSubstr("--allow-mass-delete"));

  const auto current = With({{"api", {"a", "b"}}});
  const absl::Status later = CheckRouteRemoval(&current, With({{"api", {}}}), 1.0);
  EXPECT_EQ(later.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(later.message(), HasSubstr("the current version has 2"));
}

TEST(RouteRemovalTest, RemovingUpToTheFractionPassesAndMoreIsRefused) {
  const auto current = With({{"api", {"a", "b", "c", "d"}}});
  EXPECT_TRUE(CheckRouteRemoval(&current, With({{"api", {"a", "b"}}}), 0.5).ok());
  const absl::Status over = CheckRouteRemoval(&current, With({{"api", {"a"}}}), 0.5);
  EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(over.message(), HasSubstr("removes 3 of the current version's 4 routes"));
  // Renaming every route is removing them all.
  EXPECT_FALSE(CheckRouteRemoval(&current, With({{"api", {"w", "x", "y", "z"}}}), 0.5).ok());
  // Adding is never limited.
  EXPECT_TRUE(CheckRouteRemoval(&current, With({{"api", {"a", "b", "c", "d", "e"}}}), 0.0).ok());
}

}  // namespace
}  // namespace switchyard::controlplane
