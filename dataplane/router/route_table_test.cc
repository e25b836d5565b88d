#include "dataplane/router/route_table.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/http/header_map.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"

namespace switchyard::router {
namespace {

using ClusterIndex = absl::flat_hash_map<std::string, uint32_t>;

// Clusters are indexed in snapshot order.
ClusterIndex IndexOf(const v1::Snapshot& snapshot) {
  ClusterIndex index;
  for (int i = 0; i < snapshot.clusters_size(); ++i) index[snapshot.clusters(i).name()] = i;
  return index;
}

v1::Snapshot Parse(const std::string& yaml) {
  absl::StatusOr<v1::Snapshot> snapshot = config::ParseSnapshot(yaml, "test.yaml");
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  return snapshot.ok() ? *snapshot : v1::Snapshot();
}

std::unique_ptr<const RouteTable> Build(const std::string& yaml) {
  const v1::Snapshot snapshot = Parse(yaml);
  absl::StatusOr<std::unique_ptr<const RouteTable>> table =
      RouteTable::Build(snapshot, IndexOf(snapshot));
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *std::move(table) : nullptr;
}

// Routes on one catch-all virtual host named "vh", all to cluster "c".
std::string OneHost(const std::string& routes) {
  return "virtual_hosts: [{name: vh, domains: ['*'], routes: [" + routes +
         "]}]\nclusters: [{name: c, endpoints: [{address: 10.0.0.1, port: 80}]}, "
         "{name: d, endpoints: [{address: 10.0.0.2, port: 80}]}]\n";
}

std::string R(const std::string& name, const std::string& match, const std::string& extra = "") {
  return "{name: " + name + ", match: {" + match + "}, route: {cluster: c" + extra + "}},";
}

// "<virtual host>/<route>" or "none".
std::string Match(const RouteTable& table, std::string_view path, std::string_view method = "GET",
                  const http::HeaderMap* headers = nullptr, std::string_view host = "example.com") {
  const Route* route = table.Match(RequestView{method, host, path, headers});
  return route == nullptr ? "none" : route->virtual_host + "/" + route->name;
}

TEST(RouteTableTest, ExactPath) {
  auto table = Build(OneHost(R("health", "path: /health")));
  EXPECT_EQ(Match(*table, "/health"), "vh/health");
  EXPECT_EQ(Match(*table, "/health/"), "none");
  EXPECT_EQ(Match(*table, "/healthz"), "none");
  EXPECT_EQ(Match(*table, "/Health"), "none");  // paths are case-sensitive
  EXPECT_EQ(Match(*table, ""), "none");
}

TEST(RouteTableTest, Prefix) {
  auto table = Build(OneHost(R("api", "prefix: /api/") + R("all", "prefix: /")));
  EXPECT_EQ(Match(*table, "/api/"), "vh/api");
  EXPECT_EQ(Match(*table, "/api/users/1"), "vh/api");
  EXPECT_EQ(Match(*table, "/api"), "vh/all");
  EXPECT_EQ(Match(*table, "/API/x"), "vh/all");
  EXPECT_EQ(Match(*table, "/"), "vh/all");
  EXPECT_EQ(Match(*table, "x"), "none");
}

TEST(RouteTableTest, RegexMustMatchTheWholePath) {
  auto table = Build(OneHost(R("item", "regex: '/items/[0-9]+'") + R("any", "regex: '/(a|b)'")));
  EXPECT_EQ(Match(*table, "/items/42"), "vh/item");
  EXPECT_EQ(Match(*table, "/items/42/x"), "none");
  EXPECT_EQ(Match(*table, "/x/items/42"), "none");
  EXPECT_EQ(Match(*table, "/items/"), "none");
  EXPECT_EQ(Match(*table, "/a"), "vh/any");  // alternation stays anchored on both sides
  EXPECT_EQ(Match(*table, "/ab"), "none");
}

TEST(RouteTableTest, DeclaredOrderBeatsKindOfMatch) {
  auto prefix_first = Build(
      OneHost(R("prefix", "prefix: /a") + R("exact", "path: /a/b") + R("regex", "regex: '/a/.*'")));
  EXPECT_EQ(Match(*prefix_first, "/a/b"), "vh/prefix");
  EXPECT_EQ(Match(*prefix_first, "/a/c"), "vh/prefix");

  auto exact_first = Build(
      OneHost(R("exact", "path: /a/b") + R("prefix", "prefix: /a") + R("regex", "regex: '/a/.*'")));
  EXPECT_EQ(Match(*exact_first, "/a/b"), "vh/exact");
  EXPECT_EQ(Match(*exact_first, "/a/c"), "vh/prefix");

  auto regex_first = Build(
      OneHost(R("regex", "regex: '/a/.*'") + R("exact", "path: /a/b") + R("prefix", "prefix: /a")));
  EXPECT_EQ(Match(*regex_first, "/a/b"), "vh/regex");
  EXPECT_EQ(Match(*regex_first, "/ab"), "vh/prefix");
}

TEST(RouteTableTest, ShorterEarlierPrefixBeatsLongerLaterOne) {
  auto table = Build(OneHost(R("root", "prefix: /") + R("api", "prefix: /api")));
  EXPECT_EQ(Match(*table, "/api/x"), "vh/root");
}

TEST(RouteTableTest, LaterRegexRoutesAreOrderedAmongThemselves) {
  auto table = Build(OneHost(R("r1", "regex: '/x/.*', methods: [POST]") + R("r2", "regex: '/x/1'") +
                             R("r3", "regex: '/x/[0-9]'")));
  EXPECT_EQ(Match(*table, "/x/1", "POST"), "vh/r1");
  EXPECT_EQ(Match(*table, "/x/1", "GET"), "vh/r2");
  EXPECT_EQ(Match(*table, "/x/2", "GET"), "vh/r3");
  EXPECT_EQ(Match(*table, "/x/22", "GET"), "none");
}

TEST(RouteTableTest, MethodsFallThroughToLaterRoutes) {
  auto table = Build(OneHost(R("read", "prefix: /doc, methods: [GET, HEAD]") +
                             R("write", "path: /doc, methods: [PUT]") + R("other", "prefix: /")));
  EXPECT_EQ(Match(*table, "/doc", "GET"), "vh/read");
  EXPECT_EQ(Match(*table, "/doc", "HEAD"), "vh/read");
  EXPECT_EQ(Match(*table, "/doc", "PUT"), "vh/write");
  EXPECT_EQ(Match(*table, "/doc", "DELETE"), "vh/other");
  EXPECT_EQ(Match(*table, "/doc", "get"), "vh/other");
}

TEST(RouteTableTest, HeaderMatchers) {
  auto table = Build(OneHost(
      R("exact", "prefix: /, headers: [{name: X-Env, exact: canary}]") +
      R("prefix", "prefix: /, headers: [{name: x-ver, prefix: v2}]") +
      R("regex", "prefix: /, headers: [{name: x-id, regex: '[0-9]+'}]") +
      R("present", "prefix: /, headers: [{name: x-debug, present: true}]") +
      R("inverted", "prefix: /, headers: [{name: x-internal, present: true, invert: true}]") +
      R("absent", "prefix: /, headers: [{name: x-internal, present: false}]") +
      R("last", "prefix: /")));
  http::HeaderMap h;
  h.Add("x-internal", "1");
  EXPECT_EQ(Match(*table, "/", "GET", &h), "vh/last");
  h.Add("X-Debug", "");
  EXPECT_EQ(Match(*table, "/", "GET", &h), "vh/present");
  h.Add("x-id", "12");
  EXPECT_EQ(Match(*table, "/", "GET", &h), "vh/regex");
  h.Add("x-ver", "v2.3");
  EXPECT_EQ(Match(*table, "/", "GET", &h), "vh/prefix");
  h.Add("x-env", "canary");
  EXPECT_EQ(Match(*table, "/", "GET", &h), "vh/exact");
  http::HeaderMap none;
  EXPECT_EQ(Match(*table, "/", "GET", &none), "vh/inverted");
  EXPECT_EQ(Match(*table, "/", "GET", nullptr), "vh/inverted");
}

TEST(RouteTableTest, ExactRouteWithRejectingHeadersFallsThroughToPrefix) {
  auto table = Build(OneHost(R("canary", "path: /a, headers: [{name: x-canary, exact: '1'}]") +
                             R("main", "prefix: /")));
  http::HeaderMap h;
  EXPECT_EQ(Match(*table, "/a", "GET", &h), "vh/main");
  h.Add("x-canary", "1");
  EXPECT_EQ(Match(*table, "/a", "GET", &h), "vh/canary");
}

constexpr const char* kHosts = R"yaml(
virtual_hosts:
  - {name: exact, domains: [api.example.com], routes: [{name: r, match: {prefix: /}, route: {cluster: c}}]}
  - {name: wild, domains: ["*.example.com"], routes: [{name: r, match: {prefix: /}, route: {cluster: c}}]}
  - {name: wild_api, domains: ["*.api.example.com"], routes: [{name: r, match: {prefix: /}, route: {cluster: c}}]}
  - {name: v6, domains: ["[::1]", "10.0.0.1"], routes: [{name: r, match: {prefix: /}, route: {cluster: c}}]}
  - {name: any, domains: ["*"], routes: [{name: r, match: {prefix: /}, route: {cluster: c}}]}
  - {name: empty, domains: [empty.example.com]}
clusters: [{name: c, endpoints: [{address: 10.0.0.1, port: 80}]}]
)yaml";

TEST(RouteTableTest, VirtualHostPrecedence) {
  auto table = Build(kHosts);
  auto host = [&](std::string_view h) { return Match(*table, "/", "GET", nullptr, h); };
  EXPECT_EQ(host("api.example.com"), "exact/r");
  EXPECT_EQ(host("v1.api.example.com"), "wild_api/r");  // longest suffix
  EXPECT_EQ(host("www.example.com"), "wild/r");
  EXPECT_EQ(host("a.b.example.com"), "wild/r");
  EXPECT_EQ(host("example.com"), "any/r");  // "*.example.com" needs a label
  EXPECT_EQ(host("other.org"), "any/r");
  EXPECT_EQ(host(""), "any/r");
  EXPECT_EQ(host("empty.example.com"), "none");  // virtual host without routes
}

TEST(RouteTableTest, HostPortCaseAndIpv6) {
  auto table = Build(kHosts);
  auto host = [&](std::string_view h) { return Match(*table, "/", "GET", nullptr, h); };
  EXPECT_EQ(host("API.Example.COM"), "exact/r");
  EXPECT_EQ(host("api.example.com:8443"), "exact/r");
  EXPECT_EQ(host("Api.Example.Com.:80"), "exact/r");
  EXPECT_EQ(host("WWW.example.com:80"), "wild/r");
  EXPECT_EQ(host("[::1]:80"), "v6/r");
  EXPECT_EQ(host("[::1]"), "v6/r");
  EXPECT_EQ(host("10.0.0.1:8080"), "v6/r");
  EXPECT_EQ(host("[::2]:80"), "any/r");
}

TEST(RouteTableTest, NoCatchAllHostMeansNoRoute) {
  v1::Snapshot snapshot = Parse(kHosts);
  snapshot.mutable_virtual_hosts()->DeleteSubrange(4, 1);  // "any"
  absl::StatusOr<std::unique_ptr<const RouteTable>> without_any =
      RouteTable::Build(snapshot, IndexOf(snapshot));
  ASSERT_TRUE(without_any.ok()) << without_any.status();
  EXPECT_EQ(Match(**without_any, "/", "GET", nullptr, "other.org"), "none");
  EXPECT_EQ(Match(**without_any, "/", "GET", nullptr, ""), "none");
}

TEST(RouteTableTest, EmptySnapshotMatchesNothing) {
  absl::StatusOr<std::unique_ptr<const RouteTable>> table =
      RouteTable::Build(v1::Snapshot(), ClusterIndex());
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(Match(**table, "/"), "none");
}

TEST(RouteTableTest, RouteFields) {
  auto table = Build(OneHost(
      R("default", "path: /default") + R("none", "path: /none", ", timeout: 0s") +
      R("fraction", "path: /fraction", ", timeout: 1.5s") +
      R("tiny", "path: /tiny", ", timeout: 0.000001s") +
      R("rewrite", "prefix: /api/", ", prefix_rewrite: /v2/, host_rewrite: 'backend:8080'") +
      "{name: split, match: {path: /split}, route: {weighted_clusters: {clusters: "
      "[{name: d, weight: 30}, {name: c, weight: 70}]}}},"));
  auto route = [&](std::string_view path) {
    return table->Match(RequestView{"GET", "example.com", path, nullptr});
  };
  using std::chrono::milliseconds;
  EXPECT_EQ(route("/default")->timeout, milliseconds(15000));
  EXPECT_EQ(route("/none")->timeout, milliseconds(0));
  EXPECT_EQ(route("/fraction")->timeout, milliseconds(1500));
  EXPECT_EQ(route("/tiny")->timeout, milliseconds(1));  // never rounded down to "none"

  const Route* single = route("/default");
  ASSERT_EQ(single->clusters.size(), 1u);
  EXPECT_EQ(single->clusters[0].cluster_index, 0u);
  EXPECT_EQ(single->clusters[0].weight, 1u);
  EXPECT_EQ(single->total_weight, 1u);
  EXPECT_EQ(single->matched_prefix, "");
  EXPECT_EQ(single->virtual_host, "vh");

  const Route* rewrite = route("/api/x");
  EXPECT_EQ(rewrite->matched_prefix, "/api/");
  EXPECT_EQ(rewrite->prefix_rewrite, "/v2/");
  EXPECT_EQ(rewrite->host_rewrite, "backend:8080");

  const Route* split = route("/split");
  ASSERT_EQ(split->clusters.size(), 2u);
  EXPECT_EQ(split->clusters[0].cluster_index, 1u);
  EXPECT_EQ(split->clusters[0].weight, 30u);
  EXPECT_EQ(split->clusters[1].cluster_index, 0u);
  EXPECT_EQ(split->clusters[1].weight, 70u);
  EXPECT_EQ(split->total_weight, 100u);
}

TEST(RouteTableTest, RewritePath) {
  auto table = Build(OneHost(R("rewrite", "prefix: /api/", ", prefix_rewrite: /v2/") +
                             R("strip", "prefix: /strip", ", prefix_rewrite: /") +
                             R("plain", "prefix: /plain/") + R("exact", "path: /exact")));
  auto rewrite = [&](std::string_view path, std::string_view path_and_query) {
    const Route* route = table->Match(RequestView{"GET", "h", path, nullptr});
    return RewritePath(*route, path_and_query);
  };
  EXPECT_EQ(rewrite("/api/users", "/api/users?x=1&y=/api/"), "/v2/users?x=1&y=/api/");
  EXPECT_EQ(rewrite("/api/", "/api/"), "/v2/");
  EXPECT_EQ(rewrite("/strip/a", "/strip/a"), "//a");  // as documented: prefer "/strip/"
  EXPECT_EQ(rewrite("/strip", "/strip?q"), "/?q");
  EXPECT_EQ(rewrite("/plain/a", "/plain/a?q"), "/plain/a?q");
  EXPECT_EQ(rewrite("/exact", "/exact?q"), "/exact?q");

  Route mismatched;
  mismatched.matched_prefix = "/api/";
  mismatched.prefix_rewrite = "/v2/";
  EXPECT_EQ(RewritePath(mismatched, "/other"), "/other");
}

TEST(RouteTableTest, BuildErrorsNameTheRoute) {
  auto error = [](const std::string& yaml) {
    const v1::Snapshot snapshot = Parse(yaml);
    absl::StatusOr<std::unique_ptr<const RouteTable>> table =
        RouteTable::Build(snapshot, IndexOf(snapshot));
    EXPECT_FALSE(table.ok());
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(table.status().message());
  };
  EXPECT_EQ(error(OneHost("{name: r, match: {prefix: /}, route: {cluster: ghost}}")),
            "virtual_hosts[vh].routes[r].route: cluster \"ghost\" is not in the cluster table");
  EXPECT_EQ(error(OneHost("{name: r, match: {prefix: /}}")),
            "virtual_hosts[vh].routes[r].route: neither cluster nor weighted_clusters is set");
  EXPECT_EQ(error(OneHost("{name: r, match: {}, route: {cluster: c}}")),
            "virtual_hosts[vh].routes[r].match: none of prefix, path, regex is set");
  EXPECT_EQ(error(OneHost("{name: r, match: {regex: '('}, route: {cluster: c}}")),
            "virtual_hosts[vh].routes[r].match.regex: invalid RE2: missing ): (");
  EXPECT_EQ(error(OneHost("{name: r, match: {prefix: /, headers: [{name: x}]}, route: {cluster: "
                          "c}}")),
            "virtual_hosts[vh].routes[r].match.headers[0]: no match set");
  EXPECT_EQ(error(OneHost("{name: r, match: {prefix: /}, route: {cluster: c, timeout: -1s}}")),
            "virtual_hosts[vh].routes[r].route.timeout: must be a non-negative duration, got "
            "seconds -1 nanos 0");
  EXPECT_EQ(error(OneHost("{name: r, match: {prefix: /}, route: {weighted_clusters: {clusters: "
                          "[{name: c, weight: 0}]}}}")),
            "virtual_hosts[vh].routes[r].route: cluster \"c\" has weight 0");
  EXPECT_EQ(error(OneHost("{name: r, match: {prefix: /}, route: {weighted_clusters: {}}}")),
            "virtual_hosts[vh].routes[r].route: weighted_clusters is empty");
  EXPECT_EQ(error("virtual_hosts: [{name: a, domains: [x.com]}, {name: b, domains: [X.com]}]"),
            "virtual_hosts[b].domains: domain \"x.com\" is in more than one virtual host");
}

// 10,000 routes of each kind, interleaved; checks that indexing keeps declared order.
TEST(RouteTableTest, ManyRoutes) {
  std::string routes;
  for (int i = 0; i < 10000; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 3) {
      case 0:
        routes += R("e" + n, "path: /e/" + n);
        break;
      case 1:
        routes += R("p" + n, "prefix: /p/" + n + "/");
        break;
      default:
        routes += R("r" + n, "regex: '/r/" + n + "/[a-z]+'");
        break;
    }
  }
  routes += R("shadowed", "path: /e/0") + R("tail", "prefix: /");
  auto table = Build(OneHost(routes));
  EXPECT_EQ(Match(*table, "/e/0"), "vh/e0");
  EXPECT_EQ(Match(*table, "/e/9999"), "vh/e9999");
  EXPECT_EQ(Match(*table, "/p/9997/x"), "vh/p9997");
  EXPECT_EQ(Match(*table, "/p/1/"), "vh/p1");
  EXPECT_EQ(Match(*table, "/r/9998/abc"), "vh/r9998");
  EXPECT_EQ(Match(*table, "/r/2/abc"), "vh/r2");
  EXPECT_EQ(Match(*table, "/r/9998/ABC"), "vh/tail");
  EXPECT_EQ(Match(*table, "/e/1"), "vh/tail");
  EXPECT_EQ(Match(*table, "/nothing"), "vh/tail");
}

TEST(RouteTableTest, ConcurrentMatchesAgree) {
  std::string routes;
  for (int i = 0; i < 200; ++i) {
    routes += R("p" + std::to_string(i), "prefix: /p/" + std::to_string(i) + "/");
    routes += R("r" + std::to_string(i), "regex: '/r/" + std::to_string(i) + "/.*'");
  }
  auto table = Build(OneHost(routes));
  std::atomic<int> wrong{0};
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const int n = (i * 7 + t) % 200;
        const std::string want_p = "vh/p" + std::to_string(n);
        const std::string want_r = "vh/r" + std::to_string(n);
        if (Match(*table, "/p/" + std::to_string(n) + "/x") != want_p) ++wrong;
        if (Match(*table, "/r/" + std::to_string(n) + "/x") != want_r) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace switchyard::router
