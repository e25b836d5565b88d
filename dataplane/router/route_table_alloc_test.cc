// Checks that RouteTable::Match allocates nothing when no regex route has to be consulted.
// Its own binary because it replaces the global operator new to count allocations.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

#include "dataplane/http/header_map.h"
#include "dataplane/router/route_table.h"
#include "gtest/gtest.h"

namespace {
std::atomic<int64_t> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

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
  const int64_t before = allocations.load();
  int matched = 0;
  for (const RequestView& request : requests) matched += (*table)->Match(request) != nullptr;
  const int64_t during = allocations.load() - before;
  EXPECT_EQ(matched, 2);
  EXPECT_EQ(during, 0);

  // The counter does see allocations.
  delete new std::string(100, 'x');
  EXPECT_GT(allocations.load() - before, 0);
}

}  // namespace
}  // namespace switchyard::router
