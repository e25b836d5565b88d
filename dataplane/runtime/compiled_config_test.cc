// What a compiled snapshot tells per-worker state about itself: identity across swaps,
// cluster, endpoint and route lookups by name, and endpoints' Host form.
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/runtime/resource_store.h"
#include "dataplane/runtime/runtime_config.h"
#include "dataplane/tls/testing/test_certificates.h"
#include "gmock/gmock.h"
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

v1::Snapshot WithCertificate(const tls::testing::TestCertificate& cert) {
  auto snapshot = config::ParseSnapshot(kSnapshot, "test.yaml");
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  v1::Certificate* c = snapshot->add_certificates();
  c->set_name("api");
  c->add_domains("api.example.com");
  c->set_cert_pem(cert.cert_pem);
  c->set_key_pem(cert.key_pem);
  return *snapshot;
}

TEST(CompiledConfigTest, CertificatesAreLoaded) {
  EXPECT_TRUE(Compile(kSnapshot)->certificates()->empty());
  auto compiled =
      RuntimeConfig::Compile(WithCertificate(tls::testing::SelfSignedFor({"api.example.com"})));
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  ASSERT_FALSE((*compiled)->certificates()->empty());
  EXPECT_EQ((*compiled)->certificates()->Find("api.example.com")->name, "api");
}

TEST(CompiledConfigTest, AnUnloadableCertificateFailsTheCompile) {
  v1::Snapshot snapshot = WithCertificate(tls::testing::SelfSignedFor({"api.example.com"}));
  snapshot.mutable_certificates(0)->clear_cert_pem();
  snapshot.mutable_certificates(0)->clear_key_pem();
  snapshot.mutable_certificates(0)->set_cert_file("/nonexistent/cert.pem");
  snapshot.mutable_certificates(0)->set_key_file("/nonexistent/key.pem");
  auto compiled = RuntimeConfig::Compile(snapshot);
  ASSERT_FALSE(compiled.ok());
  EXPECT_THAT(compiled.status().message(),
              ::testing::HasSubstr("certificates[api].cert_file: cannot read"));
}

TEST(CompiledConfigTest, AnExpiredCertificateBlocksOnlyWhenNew) {
  const v1::Snapshot snapshot = WithCertificate(tls::testing::Expired({"api.example.com"}));
  auto refused = RuntimeConfig::Compile(snapshot);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(),
              ::testing::HasSubstr("certificates[api].cert_pem: the certificate expired"));

  // Served while it was valid, then expired: other changes still apply, but only
  // against the config that served it.
  tls::testing::CertificateOptions options;
  options.dns_names = {"api.example.com"};
  options.valid_until = absl::Seconds(1);
  const v1::Snapshot first = WithCertificate(tls::testing::SelfSigned(options));
  auto served = RuntimeConfig::Compile(first);
  ASSERT_TRUE(served.ok()) << served.status();
  absl::SleepFor(absl::Seconds(2));
  v1::Snapshot changed = first;
  changed.mutable_clusters(0)->mutable_endpoints(0)->set_port(81);
  EXPECT_FALSE(RuntimeConfig::Compile(changed).ok());
  auto next = RuntimeConfig::Compile(changed, served->get());
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_LT((*next)->certificates()->certificates()[0]->not_after, absl::Now());
}

}  // namespace
}  // namespace switchyard::runtime
