// Fuzz target: routing. A RouteTable is built once from a fixed sample snapshot (every
// kind of domain, path condition, method and header matcher, see kSampleSnapshot), then
// RouteTable::Match runs on a fuzzed method, Host, request target and header list.
//
// Oracle: besides "no crash, no sanitizer report", Match must agree with a deliberately
// naive reference matcher written from snapshot.proto and route_table.h (a linear scan
// over domains and routes, no hash maps, no radix tree, no RE2::Set), so that the
// optimised structures cannot silently pick another route than the documented rules.
//
// Input: lines separated by '\n': method, Host, request target, then any number of
// "name: value" header lines (a line without ':' is a header with an empty value).
// Missing lines are empty. The path is the target up to the first '?', as the proxy's
// request pipeline takes it.
//
// Path normalization: PathForRouting() is the single place where the proxy's
// transformation of the raw path goes: the one NormalizePath call (a rejected path returns
// nullopt and is not matched, as the proxy answers 400), and the oracle checks Match on
// the normalized path.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/ascii.h"
#include "dataplane/http/header_map.h"
#include "dataplane/http/path_normalizer.h"
#include "dataplane/router/domain_index.h"
#include "dataplane/router/route_table.h"
#include "google/protobuf/text_format.h"
#include "re2/re2.h"
#include "switchyard/v1/snapshot.pb.h"
#include "tools/fuzz/fuzz_check.h"

namespace switchyard::router {
namespace {

// The sample configuration. Shared with the seed corpus (tools/fuzz/corpus/route_match):
// seeds aim at each of these routes. Route names are unique across virtual hosts.
constexpr char kSampleSnapshot[] = R"pb(
  clusters { name: "a" }
  clusters { name: "b" }
  clusters { name: "c" }
  virtual_hosts {
    name: "api"
    domains: [ "api.example.com", "API2.example.com", "[::1]", "localhost" ]
    routes {
      name: "health"
      match {
        path: "/health"
        methods: [ "GET", "HEAD" ]
      }
      route { cluster: "a" }
    }
    routes {
      name: "users_prod"
      match {
        prefix: "/v1/users/"
        headers { name: "X-Env" exact: "prod" }
      }
      route { cluster: "b" }
    }
    routes {
      name: "me"
      match { path: "/v1/users/me" }
      route { cluster: "a" }
    }
    routes {
      name: "item"
      match { regex: "/v1/items/[0-9]+" }
      route { cluster: "c" }
    }
    routes {
      name: "v1"
      match { prefix: "/v1/" }
      route {
        weighted_clusters {
          clusters { name: "a" weight: 1 }
          clusters { name: "b" weight: 3 }
        }
        prefix_rewrite: "/"
      }
    }
    routes {
      name: "public"
      match { prefix: "/public/" }
      route { cluster: "c" }
    }
    routes {
      name: "no_canary"
      match {
        regex: "/(a|b)+/.*"
        headers { name: "x-canary" present: true invert: true }
      }
      route { cluster: "a" }
    }
    routes {
      name: "post_any"
      match { prefix: "/" methods: "POST" }
      route { cluster: "b" }
    }
  }
  virtual_hosts {
    name: "wild"
    domains: [ "*.example.com" ]
    routes {
      name: "admin"
      match {
        prefix: "/"
        headers { name: "x-user" prefix: "adm" }
      }
      route { cluster: "a" host_rewrite: "admin.internal" }
    }
    routes {
      name: "php"
      match { regex: ".*\\.php" }
      route { cluster: "b" }
    }
    routes {
      name: "root"
      match { path: "/" }
      route { cluster: "c" }
    }
    routes {
      name: "pub"
      match { prefix: "/pub" }
      route { cluster: "c" prefix_rewrite: "/p" }
    }
  }
  virtual_hosts {
    name: "eu"
    domains: [ "*.eu.example.com", "exact.eu.example.com" ]
    routes {
      name: "tenant"
      match {
        prefix: "/t/"
        headers { name: "x-tenant" regex: "t[0-9]{1,3}" }
      }
      route { cluster: "b" }
    }
    routes {
      name: "not_staging"
      match {
        prefix: "/"
        headers { name: "x-stage" exact: "staging" invert: true }
      }
      route { cluster: "a" }
    }
  }
  virtual_hosts {
    name: "any"
    domains: [ "*" ]
    routes {
      name: "static"
      match { prefix: "/static/" }
      route { cluster: "c" }
    }
    routes {
      name: "get_any"
      match {
        prefix: "/"
        methods: [ "GET", "HEAD" ]
      }
      route { cluster: "a" }
    }
  }
)pb";

struct Sample {
  v1::Snapshot snapshot;
  absl::flat_hash_map<std::string, uint32_t> cluster_index;
  std::unique_ptr<const RouteTable> table;
  // Compiled regexes of the reference matcher, by the proto message they come from.
  absl::flat_hash_map<const void*, std::unique_ptr<RE2>> regexes;
};

const Sample& GetSample() {
  static const Sample* const kSample = [] {
    auto* s = new Sample;
    FUZZ_CHECK(google::protobuf::TextFormat::ParseFromString(kSampleSnapshot, &s->snapshot));
    for (int i = 0; i < s->snapshot.clusters_size(); ++i) {
      s->cluster_index[s->snapshot.clusters(i).name()] = static_cast<uint32_t>(i);
    }
    absl::StatusOr<std::unique_ptr<const RouteTable>> table =
        RouteTable::Build(s->snapshot, s->cluster_index);
    FUZZ_CHECK(table.ok());
    s->table = *std::move(table);
    for (const v1::VirtualHost& vhost : s->snapshot.virtual_hosts()) {
      for (const v1::Route& route : vhost.routes()) {
        if (route.match().has_regex()) {
          s->regexes[&route.match()] = std::make_unique<RE2>(route.match().regex());
        }
        for (const v1::HeaderMatcher& header : route.match().headers()) {
          if (header.has_regex()) s->regexes[&header] = std::make_unique<RE2>(header.regex());
        }
      }
    }
    return s;
  }();
  return *kSample;
}

// The path the proxy routes on: the normal form, as the proxy's normalize_path phase
// computes it with its default options; nullopt for a path the proxy answers with 400.
std::optional<std::string> PathForRouting(std::string_view raw_path) {
  std::string normalized;
  const switchyard::http::PathResult result =
      switchyard::http::NormalizePath(raw_path, {}, normalized);
  if (!switchyard::http::PathAccepted(result)) return std::nullopt;
  if (result == switchyard::http::PathResult::kUnchanged) return std::string(raw_path);
  return normalized;
}

// ---- Reference matcher: the documented rules, as plainly as possible. ----

bool FullMatch(const Sample& sample, const void* key, std::string_view text) {
  return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *sample.regexes.at(key));
}

const v1::VirtualHost* ReferenceVirtualHost(const Sample& sample, std::string_view raw_host) {
  std::string host(HostWithoutPort(raw_host));  // unit-tested on its own (domain_index_test)
  LowerInPlace(host);
  const v1::VirtualHost* best_wildcard = nullptr;
  size_t best_suffix = 0;
  const v1::VirtualHost* any = nullptr;
  for (const v1::VirtualHost& vhost : sample.snapshot.virtual_hosts()) {
    for (std::string domain : vhost.domains()) {
      LowerInPlace(domain);
      if (domain == "*") {
        any = &vhost;
      } else if (domain.starts_with("*.")) {
        const std::string_view suffix = std::string_view(domain).substr(1);  // ".example.com"
        if (host.size() > suffix.size() && host.ends_with(suffix) && suffix.size() > best_suffix) {
          best_wildcard = &vhost;
          best_suffix = suffix.size();
        }
      } else if (host == domain) {
        return &vhost;
      }
    }
  }
  return best_wildcard != nullptr ? best_wildcard : any;
}

bool ReferenceHeaderMatches(const Sample& sample, const v1::HeaderMatcher& matcher,
                            const http::HeaderMap& headers) {
  std::optional<std::string> combined;  // values joined with ",", in order
  for (const http::HeaderField& field : headers) {
    if (!EqualsIgnoreCase(field.name, matcher.name())) continue;
    combined = combined ? *combined + "," + field.value : field.value;
  }
  bool matched = false;
  if (matcher.has_present()) {
    matched = combined.has_value() == matcher.present();
  } else if (combined) {
    if (matcher.has_exact()) matched = *combined == matcher.exact();
    if (matcher.has_prefix()) matched = combined->starts_with(matcher.prefix());
    if (matcher.has_regex()) matched = FullMatch(sample, &matcher, *combined);
  }
  return matched != matcher.invert();
}

bool ReferenceRouteMatches(const Sample& sample, const v1::RouteMatch& match,
                           std::string_view method, std::string_view path,
                           const http::HeaderMap& headers) {
  bool path_ok = false;
  if (match.has_path()) path_ok = path == match.path();
  if (match.has_prefix()) path_ok = path.starts_with(match.prefix());
  if (match.has_regex()) path_ok = FullMatch(sample, &match, path);
  if (!path_ok) return false;
  if (match.methods_size() > 0) {
    bool method_ok = false;
    for (const std::string& m : match.methods()) method_ok = method_ok || m == method;
    if (!method_ok) return false;
  }
  for (const v1::HeaderMatcher& header : match.headers()) {
    if (!ReferenceHeaderMatches(sample, header, headers)) return false;
  }
  return true;
}

// "<virtual host>/<route>" of the first matching route, or "none".
std::string ReferenceMatch(const Sample& sample, std::string_view method, std::string_view host,
                           std::string_view path, const http::HeaderMap& headers) {
  const v1::VirtualHost* vhost = ReferenceVirtualHost(sample, host);
  if (vhost == nullptr) return "none";
  for (const v1::Route& route : vhost->routes()) {
    if (ReferenceRouteMatches(sample, route.match(), method, path, headers)) {
      return vhost->name() + "/" + route.name();
    }
  }
  return "none";
}

std::string_view NextLine(std::string_view& input) {
  const size_t end = input.find('\n');
  const std::string_view line = input.substr(0, end);
  input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
  return line;
}

int FuzzOne(const uint8_t* data, size_t size) {
  const Sample& sample = GetSample();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view method = NextLine(input);
  const std::string_view host = NextLine(input);
  const std::string_view target = NextLine(input);
  http::HeaderMap headers;
  while (!input.empty()) {
    const std::string_view line = NextLine(input);
    const size_t colon = line.find(':');
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.Add(line.substr(0, colon), value);
  }

  const std::optional<std::string> path = PathForRouting(target.substr(0, target.find('?')));
  if (!path) return 0;  // the proxy refuses the request before routing

  const RequestView request{method, host, *path, &headers};
  const Route* route = sample.table->Match(request);
  FUZZ_CHECK(sample.table->Match(request) == route);  // immutable, so deterministic
  const std::string got = route == nullptr ? "none" : route->virtual_host + "/" + route->name;
  const std::string want = ReferenceMatch(sample, method, host, *path, headers);
  if (got != want) {
    std::fprintf(stderr, "Match chose %s, the documented rules choose %s\n", got.c_str(),
                 want.c_str());
    FUZZ_CHECK(got == want);
  }
  if (route == nullptr) return 0;

  // What the proxy does next with the route must hold for any request it matched.
  FUZZ_CHECK(!route->clusters.empty());
  uint64_t total = 0;
  for (const WeightedClusterRef& ref : route->clusters) {
    FUZZ_CHECK(ref.weight >= 1);
    FUZZ_CHECK(ref.cluster_index < static_cast<uint32_t>(sample.snapshot.clusters_size()));
    total += ref.weight;
  }
  FUZZ_CHECK(total == route->total_weight);
  if (!route->matched_prefix.empty()) FUZZ_CHECK(path->starts_with(route->matched_prefix));
  const std::string rewritten = RewritePath(*route, target);
  if (route->prefix_rewrite.empty()) FUZZ_CHECK(rewritten == target);
  return 0;
}

}  // namespace
}  // namespace switchyard::router

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return switchyard::router::FuzzOne(data, size);
}
