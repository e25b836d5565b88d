// What a compiled snapshot tells per-worker state about itself: identity across swaps,
// cluster, endpoint and route lookups by name, and endpoints' Host form.
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/runtime/resource_store.h"
#include "dataplane/runtime/runtime_config.h"
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"

namespace switchyard::runtime {
namespace {

constexpr char kSnapshot[] = R"(
virtual_hosts:
  - name: api
    domains: ["*"]
    routes:
      - {name: users, match: {prefix: /users/}, route: {cluster: v4}}
      - {name: other, match: {prefix: /}, route: {cluster: v6}}
clusters:
  - name: v4
    endpoints: [{address: 10.0.0.1, port: 80}]
  - name: v6
    endpoints: [{address: "::1", port: 8080}]
)";

std::shared_ptr<const RuntimeConfig> Compile(const std::string& yaml) {
  auto snapshot = config::ParseSnapshot(yaml, "test.yaml");
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  auto compiled = RuntimeConfig::Compile(*snapshot);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *compiled;
}

TEST(CompiledConfigTest, GenerationsAreNeverReused) {
  const uint64_t first = Compile(kSnapshot)->generation();  // freed at once
  const auto second = Compile(kSnapshot);
  EXPECT_NE(first, second->generation());
  EXPECT_GT(second->generation(), first);
}

TEST(CompiledConfigTest, LooksUpClustersEndpointsAndRoutesByName) {
  const auto config = Compile(kSnapshot);
  ASSERT_EQ(config->FindCluster("v6"), 1);
  EXPECT_EQ(config->FindCluster("missing"), -1);
  EXPECT_TRUE(config->HasPoolKey(config->clusters()[0].endpoints[0].pool_key));
  EXPECT_FALSE(config->HasPoolKey("h1 10.0.0.2:80"));
  EXPECT_TRUE(config->HasRoute(RouteResourceName("api", "users")));
  EXPECT_FALSE(config->HasRoute(RouteResourceName("api", "gone")));
}

// Route::index numbers the routes across virtual hosts, in snapshot order, and
// route_names() gives each index its name: per-worker arrays rely on both.
TEST(CompiledConfigTest, RoutesAreNumberedAcrossVirtualHostsInSnapshotOrder) {
  const auto config = Compile(R"(
virtual_hosts:
  - name: a
    domains: [a.test]
    routes:
      - {name: one, match: {prefix: /1}, route: {cluster: c}}
      - {name: two, match: {prefix: /2}, route: {cluster: c}}
  - name: b
    domains: [b.test]
    routes:
      - {name: one, match: {prefix: /}, route: {cluster: c}}
clusters:
  - {name: c, endpoints: [{address: 10.0.0.1, port: 80}]}
)");
  ASSERT_EQ(config->route_names(), (std::vector<std::string>{"a/one", "a/two", "b/one"}));
  const auto index_of = [&](std::string_view host, std::string_view path) -> int {
    const router::Route* route = config->routes().Match({"GET", host, path, nullptr});
    return route == nullptr ? -1 : static_cast<int>(route->index);
  };
  EXPECT_EQ(index_of("a.test", "/1"), 0);
  EXPECT_EQ(index_of("a.test", "/2"), 1);
  EXPECT_EQ(index_of("b.test", "/x"), 2);
}

TEST(CompiledConfigTest, Ipv6EndpointsAreBracketedAsAuthority) {
  const auto config = Compile(kSnapshot);
  EXPECT_EQ(config->clusters()[0].endpoints[0].authority, "10.0.0.1:80");
  EXPECT_EQ(config->clusters()[1].endpoints[0].authority, "[::1]:8080");
}

}  // namespace
}  // namespace switchyard::runtime
