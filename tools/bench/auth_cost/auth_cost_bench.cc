// The CPU the auth phase adds to a request on its worker (docs/auth.md, "Cost"), in one
// run:
//   bazel run -c opt //tools/bench/auth_cost
// A worker's whole request path (dataplane/testing's RequestDriver, as the
// observability_cost bench drives it) on routes that differ only in their auth policy:
// none, an API key, a JWT of each algorithm from the worker's token cache, and a JWT of
// each algorithm never seen before (every request a distinct token, the cache emptied
// before each round). Rounds alternate the set-ups; two identical "none" set-ups give
// the noise floor. Reported: the worker thread's CPU per request, lower quartile over the
// rounds, and what each adds to "none". For each uncached token, the added cost is set
// beside what `openssl speed` says one verification of its kind costs on this machine.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "dataplane/auth/testing/test_tokens.h"
#include "dataplane/proxy/phase_chain.h"
#include "dataplane/proxy/worker_services.h"
#include "dataplane/testing/request_driver.h"
#include "switchyard/config/loader.h"

namespace switchyard::proxy {
namespace {

using Json = nlohmann::json;

constexpr int kRounds = 40;
constexpr int kCachedPerRound = 10'000;
constexpr int kUncachedPerRound = 300;
constexpr char kApiKey[] = "sy_bench-key-0123456789abcdefghijklmnopqrstuvwxyz";
const char* const kAlgorithms[] = {"RS256", "PS256", "ES256", "EdDSA"};

double ThreadCpuNanos() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

double LowerQuartile(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 4];
}

// Routes /none/, /key/ and /jwt/ (one policy taking any of the four algorithms' keys).
std::string Snapshot(const std::vector<auth::testing::TestKey>& keys) {
  return absl::StrCat(R"(
consumers:
  - name: bench
    groups: [partners]
    api_keys: [{name: k, sha256: ")",
                      Sha256Hex(kApiKey), R"("}]
auth_policies:
  - name: key
    api_key: {header: x-api-key}
    rules: [{allow: {groups: [partners]}}]
  - name: jwt
    jwt: {issuer: "https://id.example.com", audiences: [api], jwks: )",
                      Json(auth::testing::Jwks(keys)).dump(), R"(}
virtual_hosts:
  - name: api
    domains: ["api.example.com"]
    routes:
      - {name: none, match: {prefix: /none/}, route: {cluster: blue}}
      - {name: key, match: {prefix: /key/}, route: {cluster: blue}, auth_policy: key}
      - {name: jwt, match: {prefix: /jwt/}, route: {cluster: blue}, auth_policy: jwt}
clusters:
  - name: blue
    endpoints: [{address: 10.0.0.1, port: 80}]
)");
}

struct Setup {
  std::string name;
  const char* target;
  std::string header;
  std::vector<std::string> values;  // one per request (uncached), or one for all
  int per_round;
  bool empty_cache;
  std::vector<double> ns;
};

int Main() {
  std::vector<auth::testing::TestKey> keys;
  for (const char* alg : kAlgorithms) keys.push_back(auth::testing::MakeKey(alg, alg));
  absl::StatusOr<v1::Snapshot> snapshot = config::ParseSnapshot(Snapshot(keys), "bench.yaml");
  if (!snapshot.ok()) {
    std::fprintf(stderr, "%s\n", std::string(snapshot.status().message()).c_str());
    return 1;
  }
  auto compiled = runtime::RuntimeConfig::Compile(*snapshot);
  if (!compiled.ok()) {
    std::fprintf(stderr, "%s\n", std::string(compiled.status().message()).c_str());
    return 1;
  }
  time::ManualClock clock;
  WorkerServices services(42, clock, std::chrono::seconds(30));
  services.metrics.Bind(**compiled, services.resources);
  testing::RequestDriver driver(*compiled, services);
  const PhaseChain chain(PhaseChain::StandardPhases({.via = "switchyard"}));

  const Json claims = {
      {"iss", "https://id.example.com"}, {"aud", "api"}, {"sub", "user-7"}, {"exp", 4102444800}};
  std::vector<Setup> setups;
  setups.push_back({"none", "/none/x", "", {""}, kCachedPerRound, false, {}});
  setups.push_back({"none again", "/none/x", "", {""}, kCachedPerRound, false, {}});
  setups.push_back({"API key", "/key/x", "x-api-key", {kApiKey}, kCachedPerRound, false, {}});
  for (const auth::testing::TestKey& key : keys) {
    setups.push_back({"JWT " + key.alg + " cached",
                      "/jwt/x",
                      "authorization",
                      {"Bearer " + auth::testing::SignJwt(key, claims)},
                      kCachedPerRound,
                      false,
                      {}});
    Setup uncached{
        "JWT " + key.alg + " uncached", "/jwt/x", "authorization", {}, kUncachedPerRound, true, {}};
    for (int i = 0; i < kUncachedPerRound; ++i) {
      Json distinct = claims;
      distinct["jti"] = i;
      uncached.values.push_back("Bearer " + auth::testing::SignJwt(key, distinct));
    }
    setups.push_back(std::move(uncached));
  }

  std::string failure;
  for (int round = -1; round < kRounds; ++round) {  // round -1 warms up
    for (Setup& setup : setups) {
      if (setup.empty_cache) services.tokens = auth::TokenCache();
      driver.set_target(setup.target);
      const double start = ThreadCpuNanos();
      for (int i = 0; i < setup.per_round; ++i) {
        driver.set_extra_header(setup.header, setup.values[setup.values.size() == 1 ? 0 : i]);
        if (!driver.ServeOne(chain, &failure)) {
          std::fprintf(stderr, "%s: %s (%.*s)\n", setup.name.c_str(), failure.c_str(),
                       static_cast<int>(driver.context().local_reply.message.size()),
                       driver.context().local_reply.message.data());
          return 1;
        }
      }
      if (round >= 0) setup.ns.push_back((ThreadCpuNanos() - start) / setup.per_round);
    }
  }

  const double none = LowerQuartile(setups[0].ns);
  std::printf("%-22s %14s %14s\n", "set-up", "ns/request", "added ns");
  for (const Setup& setup : setups) {
    const double ns = LowerQuartile(setup.ns);
    std::printf("%-22s %14.1f %14.1f\n", setup.name.c_str(), ns, ns - none);
  }
  std::printf("noise floor (|none - none again|): %.1f ns\n",
              std::abs(none - LowerQuartile(setups[1].ns)));

  // One verification of each kind, as openssl speed measures it on this machine: the last
  // number of its line is verifications per second.
  std::map<std::string, double> verify_ns;  // by algorithm
  if (FILE* speed = popen("openssl speed -seconds 2 rsa2048 ecdsap256 ed25519 2>/dev/null", "r")) {
    char line[512];
    while (fgets(line, sizeof(line), speed) != nullptr) {
      const std::string text = line;
      const size_t last = text.find_last_of(' ');
      const double per_second = last == std::string::npos ? 0 : std::atof(text.c_str() + last + 1);
      if (per_second <= 0) continue;
      if (text.find("rsa 2048 bits") != std::string::npos) {
        verify_ns["RS256"] = verify_ns["PS256"] = 1e9 / per_second;
      } else if (text.find("nistp256") != std::string::npos) {
        verify_ns["ES256"] = 1e9 / per_second;
      } else if (text.find("Ed25519") != std::string::npos) {
        verify_ns["EdDSA"] = 1e9 / per_second;
      }
    }
    pclose(speed);
  }
  std::printf("%-22s %14s %18s %8s\n", "uncached token", "added ns", "openssl verify ns", "ratio");
  for (const Setup& setup : setups) {
    if (!setup.empty_cache) continue;
    const std::string alg = setup.name.substr(4, setup.name.find(' ', 4) - 4);
    const auto it = verify_ns.find(alg);
    if (it == verify_ns.end()) continue;
    const double added = LowerQuartile(setup.ns) - none;
    std::printf("%-22s %14.1f %18.1f %8.2f\n", setup.name.c_str(), added, it->second,
                added / it->second);
  }
  return 0;
}

}  // namespace
}  // namespace switchyard::proxy

int main() { return switchyard::proxy::Main(); }
