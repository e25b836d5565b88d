// Routing: virtual host selection by Host, route matching in declared order (prefix, exact
// path, regex, methods, headers), rewrites, and load balancing across endpoints and
// weighted clusters. Each backend answers with its own name, so the body says who served.
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/substitute.h"
#include "gtest/gtest.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::seconds;

class RoutingTest : public ProxyTest {
 protected:
  // Who answered: the backend's name, or a marker for a local reply or a failure, so a
  // table of expectations reads naturally in failure messages.
  std::string Served(const std::string& request) {
    const Response r = RoundTrip(request);
    if (!r.ok()) return "<no response: " + r.error + ">";
    if (HasLocalReplyMarker(r)) return "<local " + std::to_string(r.status) + ">";
    return r.body;
  }
  std::string ServedGet(const std::string& target, const std::string& host = "example.com") {
    return Served(SimpleGet(target, host));
  }
};

// Three clusters named like their backends, each with one endpoint.
std::string Clusters(const std::vector<std::pair<std::string, uint16_t>>& clusters) {
  std::string out = "clusters:\n";
  for (const auto& [name, port] : clusters) {
    out +=
        absl::Substitute("- {name: $0, endpoints: [{address: 127.0.0.1, port: $1}]}\n", name, port);
  }
  return out;
}

std::string CatchAllVhost(const std::string& name, const std::string& domain,
                          const std::string& cluster) {
  return absl::Substitute(
      "- {name: $0, domains: [\"$1\"], routes: [{name: all, match: {prefix: \"/\"}, route: "
      "{cluster: $2}}]}\n",
      name, domain, cluster);
}

TEST_F(RoutingTest, ExactDomainBeatsSuffixBeatsWildcardRegardlessOfOrder) {
  TestBackend& any = AddBackend("any");
  TestBackend& suffix = AddBackend("suffix");
  TestBackend& exact = AddBackend("exact");
  // The wildcard is declared first and the exact domain last: precedence must not come
  // from declaration order.
  const std::string config =
      "virtual_hosts:\n" + CatchAllVhost("v_any", "*", "any") +
      CatchAllVhost("v_suffix", "*.example.com", "suffix") +
      CatchAllVhost("v_exact", "api.example.com", "exact") +
      Clusters({{"any", any.port()}, {"suffix", suffix.port()}, {"exact", exact.port()}});
  ASSERT_TRUE(StartProxy(config));

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"api.example.com", "exact"},
      {"API.Example.COM", "exact"},       // case-insensitive
      {"api.example.com:8443", "exact"},  // port ignored
      {"www.example.com", "suffix"},
      {"a.b.example.com", "suffix"},
      {"WWW.EXAMPLE.COM:80", "suffix"},
      {"example.com", "any"},  // "*.example.com" needs a label before the suffix
      {"api.example.com.evil.org", "any"},
      {"other.org", "any"},
  };
  for (const auto& [host, want] : cases) {
    EXPECT_EQ(ServedGet("/", host), want) << "Host: " << host;
  }
}

TEST_F(RoutingTest, LongestSuffixWins) {
  TestBackend& shorter = AddBackend("shorter");
  TestBackend& longer = AddBackend("longer");
  const std::string config = "virtual_hosts:\n" +
                             CatchAllVhost("v_short", "*.example.com", "shorter") +
                             CatchAllVhost("v_long", "*.api.example.com", "longer") +
                             Clusters({{"shorter", shorter.port()}, {"longer", longer.port()}});
  ASSERT_TRUE(StartProxy(config));
  EXPECT_EQ(ServedGet("/", "x.api.example.com"), "longer");
  EXPECT_EQ(ServedGet("/", "a.b.api.example.com"), "longer");
  EXPECT_EQ(ServedGet("/", "api.example.com"), "shorter");
  EXPECT_EQ(ServedGet("/", "x.example.com"), "shorter");
}

TEST_F(RoutingTest, UnknownHostGets404RouteNotFound) {
  TestBackend& b = AddBackend("b");
  ASSERT_TRUE(StartProxy("virtual_hosts:\n" + CatchAllVhost("v", "api.example.com", "b") +
                         Clusters({{"b", b.port()}})));
  const Response r = Get("/", "other.example.com");
  EXPECT_TRUE(IsLocalReply(r, 404, {"route_not_found"}));
  EXPECT_EQ(b.request_count(), 0u);
  EXPECT_EQ(ServedGet("/", "api.example.com"), "b");
}

TEST_F(RoutingTest, NoMatchingRouteGets404RouteNotFound) {
  TestBackend& b = AddBackend("b");
  ASSERT_TRUE(StartProxy(absl::Substitute(R"(
virtual_hosts:
- name: v
  domains: ["*"]
  routes:
  - {name: api, match: {prefix: "/api"}, route: {cluster: b}}
clusters:
- {name: b, endpoints: [{address: 127.0.0.1, port: $0}]}
)",
                                          b.port())));
  EXPECT_TRUE(IsLocalReply(Get("/other"), 404, {"route_not_found"}));
  EXPECT_TRUE(IsLocalReply(Get("/"), 404, {"route_not_found"}));
  EXPECT_EQ(b.request_count(), 0u);
  EXPECT_EQ(ServedGet("/api/x"), "b");
}

TEST_F(RoutingTest, RoutesAreTriedInDeclaredOrder) {
  TestBackend& a = AddBackend("a");
  TestBackend& b = AddBackend("b");
  TestBackend& c = AddBackend("c");
  ASSERT_TRUE(StartProxy(absl::Substitute(R"(
virtual_hosts:
- name: v
  domains: ["*"]
  routes:
  - {name: v1, match: {prefix: "/api/v1"}, route: {cluster: a}}
  - {name: api, match: {prefix: "/api"}, route: {cluster: b}}
  - {name: rest, match: {prefix: "/"}, route: {cluster: c}}
  - {name: unreachable, match: {path: "/api/v1/users"}, route: {cluster: c}}
clusters:
- {name: a, endpoints: [{address: 127.0.0.1, port: $0}]}
- {name: b, endpoints: [{address: 127.0.0.1, port: $1}]}
- {name: c, endpoints: [{address: 127.0.0.1, port: $2}]}
)",
                                          a.port(), b.port(), c.port())));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/v1/users", "a"},  // the later exact route never wins over an earlier prefix
      {"/api/v1", "a"},       {"/api/v1?x=1", "a"}, {"/api/v2", "b"},
      {"/apix", "b"},  // a prefix is a string prefix, not a path segment
      {"/api", "b"},          {"/", "c"},           {"/API/v1", "c"},  // case-sensitive
  };
  for (const auto& [path, want] : cases) EXPECT_EQ(ServedGet(path), want) << path;
}

TEST_F(RoutingTest, ExactPathIgnoresQueryOnly) {
  TestBackend& exact = AddBackend("exact");
  TestBackend& other = AddBackend("other");
  ASSERT_TRUE(StartProxy(absl::Substitute(R"(
virtual_hosts:
- name: v
  domains: ["*"]
  routes:
  - {name: e, match: {path: "/exact"}, route: {cluster: exact}}
  - {name: rest, match: {prefix: "/"}, route: {cluster: other}}
clusters:
- {name: exact, endpoints: [{address: 127.0.0.1, port: $0}]}
- {name: other, endpoints: [{address: 127.0.0.1, port: $1}]}
)",
                                          exact.port(), other.port())));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/exact", "exact"},   {"/exact?q=1&r=2", "exact"}, {"/exact/", "other"},
      {"/exactly", "other"}, {"/EXACT", "other"},         {"/exac", "other"},
  };
  for (const auto& [path, want] : cases) EXPECT_EQ(ServedGet(path), want) << path;
  // The query string reaches the backend untouched.
  const auto reqs = exact.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].target, "/exact?q=1&r=2");
}

TEST_F(RoutingTest, RegexMustMatchWholePathWithoutQuery) {
  TestBackend& users = AddBackend("users");
  TestBackend& other = AddBackend("other");
  ASSERT_TRUE(StartProxy(absl::Substitute(R"(
virtual_hosts:
- name: v
  domains: ["*"]
  routes:
  - {name: u, match: {regex: "/users/[0-9]+"}, route: {cluster: users}}
  - {name: rest, match: {prefix: "/"}, route: {cluster: other}}
clusters:
- {name: users, endpoints: [{address: 127.0.0.1, port: $0}]}
- {name: other, endpoints: [{address: 127.0.0.1, port: $1}]}
)",
                                          users.port(), other.port())));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/users/42", "users"},
      {"/users/42?tab=7", "users"},
      {"/users/42/profile", "other"},
      {"/x/users/42", "other"},
      {"/users/", "other"},
      {"/users/4a", "other"},
      {"/users/1?next=/users/x", "users"},
  };
  for (const auto& [path, want] : cases) EXPECT_EQ(ServedGet(path), want) << path;
}

TEST_F(RoutingTest, MethodsRestrictARoute) {
  TestBackend& writes = AddBackend("writes");
  TestBackend& reads = AddBackend("reads");
  ASSERT_TRUE(StartProxy(absl::Substitute(R"(
virtual_hosts:
- name: v
  domains: ["*"]
  routes:
  - {name: w, match: {prefix: "/", methods: [POST, PUT]}, route: {cluster: writes}}
  - {name: r, match: {prefix: "/"}, route: {cluster: reads}}
clusters:
- {name: writes, endpoints: [{address: 127.0.0.1, port: $0}]}
- {name: reads, endpoints: [{address: 127.0.0.1, port: $1}]}
)",
                                          writes.port(), reads.port())));
  auto with_method = [](const std::string& m) {
    return BuildRequest(m, "/x", {{"Host", "example.com"}, {"Content-Length", "0"}});
  };
  EXPECT_EQ(Served(with_method("GET")), "reads");
  EXPECT_EQ(Served(with_method("POST")), "writes");
  EXPECT_EQ(Served(with_method("PUT")), "writes");
  EXPECT_EQ(Served(with_method("DELETE")), "reads");
  EXPECT_EQ(Served(with_method("PATCH")), "reads");
}

TEST_F(RoutingTest, HeaderMatchers) {
  std::vector<TestBackend*> b;
  for (const char* name : {"exact", "prefix", "regex", "present", "inverted", "fallback"}) {
    b.push_back(&AddBackend(name));
  }
  ASSERT_TRUE(StartProxy(absl::Substitute(
      R"(
virtual_hosts:
- name: v
  domains: ["*"]
  routes:
  - {name: r1, match: {prefix: "/", headers: [{name: x-exact, exact: "yes"}]}, route: {cluster: exact}}
  - {name: r2, match: {prefix: "/", headers: [{name: x-prefix, prefix: "abc"}]}, route: {cluster: prefix}}
  - {name: r3, match: {prefix: "/", headers: [{name: x-regex, regex: "v[0-9]+"}]}, route: {cluster: regex}}
  - {name: r4, match: {prefix: "/", headers: [{name: x-present, present: true}]}, route: {cluster: present}}
  - name: r5
    match:
      prefix: "/"
      headers:
      - {name: x-gate, present: true}
      - {name: x-invert, exact: "no", invert: true}
    route: {cluster: inverted}
  - {name: r6, match: {prefix: "/"}, route: {cluster: fallback}}
clusters:
- {name: exact, endpoints: [{address: 127.0.0.1, port: $0}]}
- {name: prefix, endpoints: [{address: 127.0.0.1, port: $1}]}
- {name: regex, endpoints: [{address: 127.0.0.1, port: $2}]}
- {name: present, endpoints: [{address: 127.0.0.1, port: $3}]}
- {name: inverted, endpoints: [{address: 127.0.0.1, port: $4}]}
- {name: fallback, endpoints: [{address: 127.0.0.1, port: $5}]}
)",
      b[0]->port(), b[1]->port(), b[2]->port(), b[3]->port(), b[4]->port(), b[5]->port())));

  struct Case {
    Headers extra;
    std::string want;
  };
  const std::vector<Case> cases = {
      {{{"X-Exact", "yes"}}, "exact"},
      {{{"x-EXACT", "yes"}}, "exact"},     // names are case-insensitive
      {{{"X-Exact", "YES"}}, "fallback"},  // values are not
      {{{"X-Exact", "yes2"}}, "fallback"},
      {{{"X-Prefix", "abcdef"}}, "prefix"},
      {{{"X-Prefix", "xabc"}}, "fallback"},
      {{{"X-Regex", "v12"}}, "regex"},
      {{{"X-Regex", "v12a"}}, "fallback"},  // the regex must match the whole value
      {{{"X-Regex", "av1"}}, "fallback"},
      {{{"X-Present", "anything"}}, "present"},
      {{{"X-Gate", "1"}}, "inverted"},  // invert: absent counts as "not exactly no"
      {{{"X-Gate", "1"}, {"X-Invert", "yes"}}, "inverted"},
      {{{"X-Gate", "1"}, {"X-Invert", "no"}}, "fallback"},
      {{}, "fallback"},
  };
  for (const Case& c : cases) {
    Headers h = {{"Host", "example.com"}};
    for (const auto& [n, v] : c.extra.fields()) h.Add(n, v);
    EXPECT_EQ(Served(BuildRequest("GET", "/", h)), c.want) << c.extra.DebugString();
  }
}

TEST_F(RoutingTest, HeaderMatcherPresentFalseRequiresAbsence) {
  TestBackend& open = AddBackend("open");
  TestBackend& blocked = AddBackend("blocked");
  ASSERT_TRUE(StartProxy(absl::Substitute(R"(
virtual_hosts:
- name: v
  domains: ["*"]
  routes:
  - {name: r1, match: {prefix: "/", headers: [{name: x-block, present: false}]}, route: {cluster: open}}
  - {name: r2, match: {prefix: "/"}, route: {cluster: blocked}}
clusters:
- {name: open, endpoints: [{address: 127.0.0.1, port: $0}]}
- {name: blocked, endpoints: [{address: 127.0.0.1, port: $1}]}
)",
                                          open.port(), blocked.port())));
  EXPECT_EQ(ServedGet("/"), "open");
  EXPECT_EQ(Served(BuildRequest("GET", "/", {{"Host", "h"}, {"X-Block", "1"}})), "blocked");
}

TEST_F(RoutingTest, PrefixRewriteIsSeenByBackend) {
  TestBackend& b = AddBackend("b");
  ASSERT_TRUE(StartProxy(absl::Substitute(R"(
virtual_hosts:
- name: v
  domains: ["*"]
  routes:
  - {name: api, match: {prefix: "/api/"}, route: {cluster: b, prefix_rewrite: "/v2/"}}
  - {name: svc, match: {prefix: "/svc/"}, route: {cluster: b, prefix_rewrite: "/"}}
clusters:
- {name: b, endpoints: [{address: 127.0.0.1, port: $0}]}
)",
                                          b.port())));
  ASSERT_EQ(ServedGet("/api/users?id=7"), "b");
  ASSERT_EQ(ServedGet("/svc/a/b"), "b");
  const auto reqs = b.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].target, "/v2/users?id=7");
  EXPECT_EQ(reqs[1].target, "/a/b");
}

TEST_F(RoutingTest, HostRewriteIsSeenByBackend) {
  TestBackend& b = AddBackend("b");
  ASSERT_TRUE(StartProxy(absl::Substitute(R"(
virtual_hosts:
- name: v
  domains: ["*"]
  routes:
  - {name: r, match: {prefix: "/"}, route: {cluster: b, host_rewrite: "internal.svc"}}
clusters:
- {name: b, endpoints: [{address: 127.0.0.1, port: $0}]}
)",
                                          b.port())));
  ASSERT_EQ(ServedGet("/x", "public.example.com"), "b");
  const ReceivedRequest req = b.requests().at(0);
  EXPECT_EQ(req.headers.GetAll("host"), std::vector<std::string>{"internal.svc"});
  // The original authority is not lost: X-Forwarded-Host carries the client's Host.
  EXPECT_EQ(req.headers.Get("x-forwarded-host"), "public.example.com");
}

// Sends `n` GETs on one keep-alive connection; returns how many each backend served and
// the sequence of names.
std::map<std::string, int> CountServed(uint16_t proxy_port, int n, std::vector<std::string>* seq) {
  std::map<std::string, int> counts;
  RawClient client(proxy_port);
  for (int i = 0; i < n; ++i) {
    const Response r = client.RoundTrip(SimpleGet("/lb"));
    const std::string who =
        r.ok() && !HasLocalReplyMarker(r) ? r.body : "<failed: " + r.error + ">";
    ++counts[who];
    if (seq != nullptr) seq->push_back(who);
  }
  return counts;
}

TEST_F(RoutingTest, WeightedRoundRobinIsExactPerCycleWithOneWorker) {
  TestBackend& light = AddBackend("light");
  TestBackend& heavy = AddBackend("heavy");
  ASSERT_TRUE(StartProxy(absl::Substitute(R"(
virtual_hosts:
- {name: v, domains: ["*"], routes: [{name: r, match: {prefix: "/"}, route: {cluster: c}}]}
clusters:
- name: c
  endpoints:
  - {address: 127.0.0.1, port: $0, weight: 1}
  - {address: 127.0.0.1, port: $1, weight: 3}
)",
                                          light.port(), heavy.port()),
                         {"--workers=1"}));
  std::vector<std::string> seq;
  const auto counts = CountServed(proxy_port(), 400, &seq);
  EXPECT_EQ(counts.at("light"), 100);
  EXPECT_EQ(counts.at("heavy"), 300);
  // Smooth WRR returns to its start state after every total-weight picks, so each aligned
  // window of 4 holds exactly one "light", and "light" is never picked twice in a row.
  ASSERT_EQ(seq.size(), 400u);
  for (size_t w = 0; w < seq.size(); w += 4) {
    int lights = 0;
    for (size_t i = w; i < w + 4; ++i) lights += seq[i] == "light";
    EXPECT_EQ(lights, 1) << "window starting at request " << w;
  }
}

TEST_F(RoutingTest, UnsetEndpointWeightCountsAsOne) {
  TestBackend& unset = AddBackend("unset");
  TestBackend& two = AddBackend("two");
  ASSERT_TRUE(StartProxy(absl::Substitute(R"(
virtual_hosts:
- {name: v, domains: ["*"], routes: [{name: r, match: {prefix: "/"}, route: {cluster: c}}]}
clusters:
- name: c
  endpoints:
  - {address: 127.0.0.1, port: $0}
  - {address: 127.0.0.1, port: $1, weight: 2}
)",
                                          unset.port(), two.port()),
                         {"--workers=1"}));
  const auto counts = CountServed(proxy_port(), 300, nullptr);
  EXPECT_EQ(counts.at("unset"), 100);
  EXPECT_EQ(counts.at("two"), 200);
}

TEST_F(RoutingTest, WeightedRoundRobinAcrossWorkersAndConnections) {
  TestBackend& light = AddBackend("light");
  TestBackend& heavy = AddBackend("heavy");
  ASSERT_TRUE(StartProxy(absl::Substitute(R"(
virtual_hosts:
- {name: v, domains: ["*"], routes: [{name: r, match: {prefix: "/"}, route: {cluster: c}}]}
clusters:
- name: c
  endpoints:
  - {address: 127.0.0.1, port: $0, weight: 1}
  - {address: 127.0.0.1, port: $1, weight: 3}
)",
                                          light.port(), heavy.port()),
                         {"--workers=2"}));
  std::atomic<int> light_count{0};
  std::atomic<int> heavy_count{0};
  std::atomic<int> failed{0};
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (const auto& [who, n] : CountServed(proxy_port(), 100, nullptr)) {
        if (who == "light") {
          light_count += n;
        } else if (who == "heavy") {
          heavy_count += n;
        } else {
          failed += n;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  // Each worker is exact per cycle of 4; only the workers' unfinished cycles can skew it.
  EXPECT_NEAR(light_count.load(), 100, 8);
  EXPECT_NEAR(heavy_count.load(), 300, 8);
}

TEST_F(RoutingTest, WeightedClustersSplitTraffic) {
  TestBackend& one = AddBackend("one");
  TestBackend& three = AddBackend("three");
  ASSERT_TRUE(StartProxy(absl::Substitute(R"(
virtual_hosts:
- name: v
  domains: ["*"]
  routes:
  - name: split
    match: {prefix: "/"}
    route:
      weighted_clusters:
        clusters:
        - {name: c1, weight: 1}
        - {name: c3, weight: 3}
clusters:
- {name: c1, endpoints: [{address: 127.0.0.1, port: $0}]}
- {name: c3, endpoints: [{address: 127.0.0.1, port: $1}]}
)",
                                          one.port(), three.port())));
  const auto counts = CountServed(proxy_port(), 400, nullptr);
  ASSERT_EQ(counts.size(), 2u) << "unexpected responders";
  // Allows a random split: 35 is four standard deviations of Binomial(400, 1/4).
  EXPECT_NEAR(counts.at("one"), 100, 35);
  EXPECT_NEAR(counts.at("three"), 300, 35);
}

}  // namespace
}  // namespace switchyard::testing
