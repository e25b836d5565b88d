// What each kind of auth policy costs the proxy (docs/auth.md, "Cost"), in one run:
//   bazel run -c opt //tools/bench/auth_proxy_cost
// The real switchyard-proxy (one worker) before a local backend, with routes that differ
// only in their policy: none, none again (the noise floor), an API key, a JWT of each
// algorithm presented again and again (the worker's token cache) and never seen before
// (every request a distinct token), and ext_authz against a local grpc++ Authorization
// service (tests/support/authz_server, allowing every request). One keep-alive client
// sends each set-up's requests in turn, rounds alternating the set-ups. Measured: the
// proxy process's CPU per request (the sum of its threads' /proc schedstat run time, in
// nanoseconds: syscalls and all), lower quartile over the rounds, and what each set-up
// adds to "none". The service's own CPU is not counted: it is the operator's. Wall time
// per request is printed beside it. tools/bench/auth_cost measures the phase alone, in
// process, with finer resolution.
#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "dataplane/auth/testing/test_tokens.h"
#include "tests/support/authz_server.h"
#include "tests/support/proxy_process.h"
#include "tests/support/raw_client.h"
#include "tests/support/test_backend.h"

namespace switchyard::testing {
namespace {

constexpr int kRounds = 15;
constexpr int kPerRound = 1500;
constexpr int kUncachedPerRound = 200;
const char* const kAlgorithms[] = {"RS256", "PS256", "ES256", "EdDSA"};
constexpr char kApiKey[] = "sy_bench-key-0123456789abcdefghijklmnopqrstuvwxyz";

// CPU time of every thread of `pid` so far, from /proc/PID/task/*/schedstat.
double ProcessCpuNanos(pid_t pid) {
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  double total = 0;
  if (DIR* dir = opendir(tasks.c_str())) {
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      std::ifstream stat(tasks + "/" + entry->d_name + "/schedstat");
      double run_ns = 0;
      if (stat >> run_ns) total += run_ns;
    }
    closedir(dir);
  }
  return total;
}

double LowerQuartile(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 4];
}

struct Setup {
  std::string name;
  // One request for all (sent again and again), or one per request of a round.
  std::vector<std::string> requests;
  int per_round = kPerRound;
  std::vector<double> cpu_ns;
  std::vector<double> wall_ns;
};

std::string Request(const std::string& path, const std::string& extra) {
  return "GET " + path + " HTTP/1.1\r\nHost: api.example.com\r\n" + extra + "\r\n";
}

int Main() {
  TestBackend backend("b");
  AuthzServer authz;
  std::vector<auth::testing::TestKey> keys;
  for (const char* alg : kAlgorithms) keys.push_back(auth::testing::MakeKey(alg, alg));
  const std::string config = absl::StrCat(R"(
consumers:
  - {name: bench, groups: [partners], api_keys: [{name: k, sha256: ")",
                                          Sha256Hex(kApiKey), R"("}]}
auth_policies:
  - {name: key, api_key: {header: x-api-key}, rules: [{allow: {groups: [partners]}}]}
  - {name: jwt, jwt: {issuer: "https://id.example.com", audiences: [api], jwks: )",
                                          nlohmann::json(auth::testing::Jwks(keys)).dump(),
                                          R"(}}
  - {name: opa, ext_authz: {cluster: authz, timeout: 1s}}
virtual_hosts:
  - name: api
    domains: ["*"]
    routes:
      - {name: none, match: {prefix: /none/}, route: {cluster: b}}
      - {name: key, match: {prefix: /key/}, route: {cluster: b}, auth_policy: key}
      - {name: jwt, match: {prefix: /jwt/}, route: {cluster: b}, auth_policy: jwt}
      - {name: authz, match: {prefix: /authz/}, route: {cluster: b}, auth_policy: opa}
clusters:
  - {name: b, endpoints: [{address: 127.0.0.1, port: )",
                                          backend.port(), R"(}]}
  - {name: authz, protocol: HTTP2, endpoints: [{address: 127.0.0.1, port: )",
                                          authz.port(), "}]}\n");
  ProxyProcess proxy(config, {"--workers=1"});
  std::string error;
  if (!proxy.Start(&error)) {
    std::fprintf(stderr, "proxy: %s\n", error.c_str());
    return 1;
  }
  const nlohmann::json claims = {
      {"iss", "https://id.example.com"}, {"aud", "api"}, {"sub", "user-7"}, {"exp", 4102444800}};
  std::vector<Setup> setups = {
      {"none", {Request("/none/x", "")}},
      {"none again", {Request("/none/x", "")}},
      {"API key", {Request("/key/x", std::string("X-Api-Key: ") + kApiKey + "\r\n")}},
  };
  for (const auth::testing::TestKey& key : keys) {
    setups.push_back({"JWT " + key.alg + " cached",
                      {Request("/jwt/x", "Authorization: Bearer " +
                                             auth::testing::SignJwt(key, claims) + "\r\n")}});
    Setup uncached{"JWT " + key.alg + " uncached", {}, kUncachedPerRound};
    for (int i = 0; i < (kRounds + 1) * kUncachedPerRound; ++i) {
      nlohmann::json distinct = claims;
      distinct["jti"] = i;
      uncached.requests.push_back(Request(
          "/jwt/x", "Authorization: Bearer " + auth::testing::SignJwt(key, distinct) + "\r\n"));
    }
    setups.push_back(std::move(uncached));
  }
  setups.push_back({"ext_authz (gRPC)", {Request("/authz/x", "")}});

  RawClient client(proxy.port());
  size_t next_distinct = 0;  // uncached set-ups take their tokens in order across rounds
  for (int round = -1; round < kRounds; ++round) {  // round -1 warms up
    for (Setup& setup : setups) {
      const size_t first = setup.requests.size() == 1 ? 0 : next_distinct;
      const double cpu_start = ProcessCpuNanos(proxy.pid());
      const auto wall_start = std::chrono::steady_clock::now();
      for (int i = 0; i < setup.per_round; ++i) {
        const std::string& request =
            setup.requests[setup.requests.size() == 1 ? 0 : first + static_cast<size_t>(i)];
        const Response response = client.RoundTrip(request);
        if (response.status != 200) {
          std::fprintf(stderr, "%s: %s\n", setup.name.c_str(), response.DebugString().c_str());
          return 1;
        }
      }
      if (round < 0) continue;
      setup.cpu_ns.push_back((ProcessCpuNanos(proxy.pid()) - cpu_start) / setup.per_round);
      setup.wall_ns.push_back(
          std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - wall_start)
              .count() /
          setup.per_round);
    }
    next_distinct += kUncachedPerRound;
  }
  if (authz.requests().size() < static_cast<size_t>(kRounds + 1) * kPerRound) {
    std::fprintf(stderr, "the authorization service saw %zu checks\n", authz.requests().size());
    return 1;
  }
  const double none = LowerQuartile(setups[0].cpu_ns);
  std::printf("%-20s %16s %14s %16s\n", "set-up", "proxy CPU ns/req", "added ns", "wall ns/req");
  for (const Setup& setup : setups) {
    const double cpu = LowerQuartile(setup.cpu_ns);
    std::printf("%-20s %16.0f %14.0f %16.0f\n", setup.name.c_str(), cpu, cpu - none,
                LowerQuartile(setup.wall_ns));
  }
  std::printf("noise floor (|none - none again|): %.0f ns\n",
              std::abs(none - LowerQuartile(setups[1].cpu_ns)));
  return 0;
}

}  // namespace
}  // namespace switchyard::testing

int main() { return switchyard::testing::Main(); }
