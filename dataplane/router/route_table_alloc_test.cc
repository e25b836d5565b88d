// Checks that RouteTable::Match allocates nothing when no regex route has to be consulted.
// Its own binary: it counts allocations (dataplane/testing/allocation_counter.h).
#include <cstdint>
#include <string>

#include "dataplane/http/header_map.h"
#include "dataplane/router/route_table.h"
#include "dataplane/testing/allocation_counter.h"
#include "gtest/gtest.h"

namespace switchyard::router {
namespace {

TEST(RouteTableAllocationTest, MatchWithoutRegexRoutesDoesNotAllocate) {
  v1::Snapshot snapshot;
  v1::Cluster* cluster = snapshot.add_clusters();
  cluster->set_name("c");
  v1::VirtualHost* vhost = snapshot.add_virtual_hosts();
  vhost->set_name("vh");
  vhost->add_domains("api.example.com");
  vhost->add_domains("*.example.com");
  vhost->add_domains("*");
  for (int i = 0; i < 1000; ++i) {
    v1::Route* route = vhost->add_routes();
    route->set_name("r" + std::to_string(i));
    route->mutable_route()->set_cluster("c");
    if (i % 2 == 0) {
      route->mutable_match()->set_path("/e/" + std::to_string(i));
    } else {
      route->mutable_match()->set_prefix("/p/" + std::to_string(i) + "/");
      route->mutable_match()->add_methods("GET");
      v1::HeaderMatcher* header = route->mutable_match()->add_headers();
      header->set_name("X-Env");
      header->set_exact("prod");
    }
  }
  absl::StatusOr<std::unique_ptr<const RouteTable>> table = RouteTable::Build(snapshot, {{"c", 0}});
  ASSERT_TRUE(table.ok()) << table.status();

  http::HeaderMap headers;
  headers.Add("x-env", "prod");
  headers.Add("user-agent", "test");
  const RequestView requests[] = {
      {"GET", "API.Example.com:443", "/e/998", &headers},
      {"GET", "www.example.com", "/p/999/x", &headers},
      {"POST", "other.org", "/p/999/x", &headers},
      {"GET", "[::1]:80", "/missing", nullptr},
  };
  const int64_t before = switchyard::testing::AllocationCount();
  int matched = 0;
  for (const RequestView& request : requests) matched += (*table)->Match(request) != nullptr;
  const int64_t during = switchyard::testing::AllocationCount() - before;
  EXPECT_EQ(matched, 2);
  EXPECT_EQ(during, 0);

  // The counter does see allocations.
  delete new std::string(100, 'x');
  EXPECT_GT(switchyard::testing::AllocationCount() - before, 0);
}

}  // namespace
}  // namespace switchyard::router
