// Benchmark for RouteTable::Match: tables of 10 to 10,000 routes, with and without regex
// routes, timed on a hit near the end of the table and on a miss. Run with
//   bazel run //tools/bench/route_match
// Plain std::chrono loops; each case reports the best of several rounds.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dataplane/http/header_map.h"
#include "dataplane/router/route_table.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::router {
namespace {

enum class Mix { kExactAndPrefix, kWithRegex };

// Route i: an exact path "/svc<i>/exact" for even i, a prefix "/svc<i>/" for odd i; with
// kWithRegex every tenth route (i % 10 == 5) is a regex "/re<i>/[0-9]+" instead.
v1::Snapshot MakeSnapshot(int routes, Mix mix) {
  v1::Snapshot snapshot;
  v1::Cluster* cluster = snapshot.add_clusters();
  cluster->set_name("backend");
  v1::Endpoint* endpoint = cluster->add_endpoints();
  endpoint->set_address("10.0.0.1");
  endpoint->set_port(8080);

  v1::VirtualHost* vhost = snapshot.add_virtual_hosts();
  vhost->set_name("api");
  vhost->add_domains("api.example.com");
  vhost->add_domains("*.example.com");
  for (int i = 0; i < routes; ++i) {
    v1::Route* route = vhost->add_routes();
    route->set_name("r" + std::to_string(i));
    route->mutable_route()->set_cluster("backend");
    const std::string n = std::to_string(i);
    if (mix == Mix::kWithRegex && i % 10 == 5) {
      route->mutable_match()->set_regex("/re" + n + "/[0-9]+");
    } else if (i % 2 == 0) {
      route->mutable_match()->set_path("/svc" + n + "/exact");
    } else {
      route->mutable_match()->set_prefix("/svc" + n + "/");
    }
  }
  return snapshot;
}

const char* MixName(Mix mix) {
  return mix == Mix::kExactAndPrefix ? "exact+prefix" : "with 10% regex";
}

struct Case {
  const char* name;
  std::string path;
  std::string expect;  // route name, or "" for a miss
};

// Requests that hit routes near the end of a table built by MakeSnapshot, and one miss.
std::vector<Case> MakeCases(int routes, Mix mix) {
  // `routes` is even, so the last route is a prefix route and the one before it exact.
  const std::string last_prefix = std::to_string(routes - 1);
  const std::string last_exact = std::to_string(routes - 2);
  std::vector<Case> cases = {
      {"prefix hit near end", "/svc" + last_prefix + "/items/42", "r" + last_prefix},
      {"exact hit near end", "/svc" + last_exact + "/exact", "r" + last_exact},
      {"miss", "/nothing/here", ""},
  };
  if (mix == Mix::kWithRegex) {
    const std::string last_regex = std::to_string(routes - 1 - (routes - 1 - 5) % 10);
    cases.push_back({"regex hit near end", "/re" + last_regex + "/123", "r" + last_regex});
  }
  return cases;
}

// Nanoseconds per Match: the best of 7 rounds of at least 50 ms each. The minimum, not the
// mean, because the machines this runs on are shared and other work only ever adds time.
double TimeMatch(const RouteTable& table, const RequestView& request) {
  using Clock = std::chrono::steady_clock;
  uint64_t iterations = 1000;
  double best = 0;
  for (int round = 0; round < 7;) {
    uintptr_t sink = 0;
    const Clock::time_point start = Clock::now();
    for (uint64_t i = 0; i < iterations; ++i) {
      sink += reinterpret_cast<uintptr_t>(table.Match(request));
      // Keeps the compiler from hoisting the call out of the loop.
      asm volatile("" : "+r"(sink));
    }
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    if (ns < 5e7) {  // too short to time reliably: calibrate upwards
      iterations *= 2;
      continue;
    }
    const double per_match = ns / static_cast<double>(iterations);
    if (round == 0 || per_match < best) best = per_match;
    ++round;
  }
  return best;
}

int Run() {
  std::printf("%-8s %-16s %-22s %10s\n", "routes", "mix", "request", "ns/match");
  int failures = 0;
  for (const Mix mix : {Mix::kExactAndPrefix, Mix::kWithRegex}) {
    for (const int routes : {10, 100, 1000, 10000}) {
      const v1::Snapshot snapshot = MakeSnapshot(routes, mix);
      const absl::flat_hash_map<std::string, uint32_t> clusters = {{"backend", 0}};
      const auto build_start = std::chrono::steady_clock::now();
      absl::StatusOr<std::unique_ptr<const RouteTable>> table =
          RouteTable::Build(snapshot, clusters);
      const double build_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - build_start)
              .count();
      if (!table.ok()) {
        std::fprintf(stderr, "Build failed: %s\n", std::string(table.status().message()).c_str());
        return 1;
      }
      std::printf("%-8d %-16s %-22s %10.1f ms\n", routes, MixName(mix), "(build)", build_ms);
      const http::HeaderMap headers;
      for (const Case& c : MakeCases(routes, mix)) {
        const RequestView request{"GET", "api.example.com", c.path, &headers};
        const Route* route = (*table)->Match(request);
        const std::string got = route == nullptr ? "" : route->name;
        if (got != c.expect) {
          std::fprintf(stderr, "wrong match for %s: got '%s', want '%s'\n", c.path.c_str(),
                       got.c_str(), c.expect.c_str());
          ++failures;
          continue;
        }
        std::printf("%-8d %-16s %-22s %10.1f\n", routes, MixName(mix), c.name,
                    TimeMatch(**table, request));
      }
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace switchyard::router

int main() { return switchyard::router::Run(); }
