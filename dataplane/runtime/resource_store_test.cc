#include "dataplane/runtime/resource_store.h"

#include <string>

#include "gtest/gtest.h"

namespace switchyard::runtime {
namespace {

struct RouteStats {
  int requests = 0;
};
struct SigningKeys {
  std::string kid;
};

TEST(ResourceStoreTest, EntriesSurviveForResourcesThatRemain) {
  ResourceStore store;
  store.GetOrCreate<RouteStats>(ResourceKind::kRoute, "vh/a").requests = 3;
  store.GetOrCreate<RouteStats>(ResourceKind::kRoute, "vh/b").requests = 5;
  store.GetOrCreate<SigningKeys>(ResourceKind::kRoute, "vh/a").kid = "k1";
  store.GetOrCreate<RouteStats>(ResourceKind::kCluster, "vh/b").requests = 7;

  // A swap keeps route vh/a and cluster vh/b, drops route vh/b.
  store.Retain([](ResourceKind kind, std::string_view name) {
    return kind == ResourceKind::kRoute ? name == "vh/a" : name == "vh/b";
  });

  EXPECT_EQ(store.GetOrCreate<RouteStats>(ResourceKind::kRoute, "vh/a").requests, 3);
  EXPECT_EQ(store.Find<SigningKeys>(ResourceKind::kRoute, "vh/a")->kid, "k1");
  EXPECT_EQ(store.Find<RouteStats>(ResourceKind::kRoute, "vh/b"), nullptr);
  EXPECT_EQ(store.Find<RouteStats>(ResourceKind::kCluster, "vh/b")->requests, 7);
  EXPECT_EQ(store.size(), 3u);
}

TEST(ResourceStoreTest, TypesAndKindsAreSeparateEntries) {
  ResourceStore store;
  store.GetOrCreate<RouteStats>(ResourceKind::kRoute, "x").requests = 1;
  EXPECT_EQ(store.Find<RouteStats>(ResourceKind::kCluster, "x"), nullptr);
  EXPECT_EQ(store.Find<SigningKeys>(ResourceKind::kRoute, "x"), nullptr);
  EXPECT_EQ(RouteResourceName("api", "users"), "api/users");
}

}  // namespace
}  // namespace switchyard::runtime
