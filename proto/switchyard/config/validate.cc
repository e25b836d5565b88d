#include "switchyard/config/validate.h"

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ascii.h"
#include "re2/re2.h"
#include "switchyard/config/certificate_pem.h"
#include "switchyard/config/duration.h"
#include "switchyard/config/ip_range.h"
#include "switchyard/config/jwks.h"
#include "switchyard/config/redact.h"
#include "switchyard/config/syntax.h"

namespace switchyard::config {
namespace {

using google::protobuf::Duration;

constexpr size_t kMaxQuotedBytes = 64;
constexpr uint32_t kMaxWeight = 10'000;
constexpr uint32_t kMaxIdleConnections = 10'000;
// Each list of a CorsPolicy (docs/cors.md).
constexpr size_t kMaxCorsValues = 100;
constexpr int64_t kMaxCorsMaxAgeSeconds = 86'400;

// Values are quoted so that empty strings and spaces show, escaped so that control
// characters cannot forge log lines, and cut so that a hostile 1 MB name does not become
// a 1 MB error message.
std::string Quote(std::string_view s) {
  const bool cut = s.size() > kMaxQuotedBytes;
  if (cut) s = s.substr(0, kMaxQuotedBytes);
  return absl::StrCat("\"", absl::CEscape(ToAbsl(s)), cut ? "...\"" : "\"");
}

std::string TooMany(size_t count, size_t limit) {
  return absl::StrCat("too many (", count, ", at most ", limit, ")");
}

// Compares a valid Duration with whole seconds: <0, 0 or >0.
int Compare(const Duration& d, int64_t seconds) {
  if (d.seconds() != seconds) return d.seconds() < seconds ? -1 : 1;
  return d.nanos() == 0 ? 0 : (d.nanos() < 0 ? -1 : 1);
}

// "1.5s", "-2s", "0.000001s": the protobuf JSON spelling, which is what users wrote.
std::string FormatDuration(const Duration& d) {
  const bool negative = d.seconds() < 0 || d.nanos() < 0;
  const uint64_t seconds =
      d.seconds() < 0 ? 0 - static_cast<uint64_t>(d.seconds()) : static_cast<uint64_t>(d.seconds());
  const uint32_t nanos = static_cast<uint32_t>(d.nanos() < 0 ? -d.nanos() : d.nanos());
  std::string out = absl::StrCat(negative ? "-" : "", seconds);
  if (nanos != 0) {
    std::string fraction = std::to_string(nanos);
    fraction.insert(0, 9 - fraction.size(), '0');
    while (fraction.back() == '0') fraction.pop_back();
    absl::StrAppend(&out, ".", fraction);
  }
  return out + "s";
}

std::string InvalidDuration(const Duration& d) {
  return absl::StrCat("invalid duration (seconds ", d.seconds(), ", nanos ", d.nanos(), ")");
}

// "" when `pattern` compiles with RE2, as the router will compile it.
std::string RegexProblem(std::string_view pattern) {
  if (pattern.size() > kMaxRegexLength) {
    return absl::StrCat("must be at most ", kMaxRegexLength, " characters, got ", pattern.size());
  }
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 re(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (re.ok()) return "";
  // RE2 appends ": <offending text>" to its message; the pattern is quoted already.
  std::string error = re.error();
  const std::string suffix = ": " + re.error_arg();
  if (error.size() > suffix.size() &&
      error.compare(error.size() - suffix.size(), suffix.size(), suffix) == 0) {
    error.resize(error.size() - suffix.size());
  }
  return absl::StrCat("invalid RE2 ", Quote(pattern), ": ", error);
}

// "" when `value` can be a request path (or a prefix of one).
std::string PathProblem(std::string_view value) {
  if (value.empty() || value[0] != '/') return "must start with \"/\", got " + Quote(value);
  if (value.size() > kMaxPathLength) {
    return absl::StrCat("must be at most ", kMaxPathLength, " characters, got ", value.size());
  }
  if (const size_t at = FindNonPathCharacter(value); at != std::string_view::npos) {
    return absl::StrCat(Quote(value), " has ", Quote(value.substr(at, 1)), " at offset ", at,
                        ", which a request path never contains");
  }
  return "";
}

bool IsUpperCaseToken(std::string_view s) {
  if (!IsHttpToken(s)) return false;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') return false;
  }
  return true;
}

std::string NameProblem(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > kMaxNameLength) {
    return absl::StrCat("must be at most ", kMaxNameLength, " characters, got ", name.size());
  }
  for (char c : name) {
    if (!IsNameCharacter(c)) return Quote(name) + " must match [A-Za-z0-9_.-]+";
  }
  return "";
}

// The problem with an ApiKey.sha256, or "". The value is a secret (a hash of a weak key
// would let anyone who reads it guess the key, and a mistake here is often the key
// itself), so messages never quote it.
std::string Sha256Problem(const std::string& hash) {
  constexpr std::string_view kWant =
      "must be 64 lowercase hex digits (the SHA-256 of the key; uppercase is not accepted)";
  if (hash == kRedacted) {
    return absl::StrCat(ToAbsl(kWant), ", got \"", kRedacted,
                        "\", which only an apply to the control plane replaces with the stored "
                        "hash");
  }
  if (hash.size() != 64) return absl::StrCat(ToAbsl(kWant), ", got ", hash.size(), " characters");
  for (size_t i = 0; i < hash.size(); ++i) {
    const char c = hash[i];
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) continue;
    return absl::StrCat(ToAbsl(kWant), ", got ",
                        c >= 'A' && c <= 'F' ? "an uppercase digit" : "a character that is not hex",
                        " at offset ", i);
  }
  return "";
}

// RFC 3986 unreserved: ALPHA DIGIT "-" "." "_" "~".
bool IsUnreservedUrlCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// "" when `value` is an IPv4 or IPv6 address, or a CIDR range of one with no bits set after
// the prefix (so that what is written is what is matched).
std::string ClientIpProblem(std::string_view value) {
  if (value.empty()) return "must not be empty";
  std::string problem;
  if (IpRange::Parse(value, &problem).has_value()) return "";
  return Quote(value) + problem;
}

// "" when `origin` may be one of CorsPolicy.allow_origins: "*", scheme://host[:port], or
// scheme://*.domain[:port]. What browsers send in Origin has no path, so an entry with one
// (even a trailing "/") could never match.
std::string OriginProblem(std::string_view origin) {
  constexpr std::string_view kSyntax =
      "an origin is \"*\" or scheme://host[:port], such as \"https://app.example.com\"";
  if (origin == "*") return "";
  if (origin == "null") {
    return "\"null\" cannot be allowed: it is the origin of sandboxed and local documents, "
           "which any page can create";
  }
  const size_t separator = origin.find("://");
  const std::string_view scheme = origin.substr(0, separator);
  bool scheme_ok = separator != std::string_view::npos && !scheme.empty() &&
                   absl::ascii_isalpha(static_cast<unsigned char>(scheme[0]));
  for (size_t i = 0; scheme_ok && i < scheme.size(); ++i) {
    const char c = scheme[i];
    scheme_ok =
        absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  }
  if (!scheme_ok) return absl::StrCat(Quote(origin), " is not an origin: ", ToAbsl(kSyntax));
  std::string authority(origin.substr(separator + 3));
  if (authority.find_first_of("/?#") != std::string::npos) {
    return absl::StrCat(Quote(origin), " has a path: ", ToAbsl(kSyntax),
                        ", with nothing after the host and port (not even \"/\")");
  }
  // "*.example.com" is checked as a host name with some first label.
  if (authority.size() > 2 && authority[0] == '*' && authority[1] == '.') authority[0] = 'x';
  if (authority.find('*') != std::string::npos) {
    return Quote(origin) + ": \"*\" may only be a whole first label (\"https://*.example.com\")";
  }
  if (const std::string problem = HostProblem(authority); !problem.empty()) {
    return absl::StrCat(Quote(origin), " has an invalid host: ", problem);
  }
  return "";
}

// How each element of a named list appears in paths: its name when valid and first of
// its kind, else its index, so that every path points at exactly one element.
struct Labels {
  std::vector<std::string> label;
  std::vector<size_t> first_with_name;  // index of the first element with the same name
};

template <typename Elements>
Labels MakeLabels(const Elements& elements) {
  Labels out;
  absl::flat_hash_map<absl::string_view, size_t> first;
  for (int i = 0; i < elements.size(); ++i) {
    const std::string& name = elements[i].name();
    const size_t index = first.emplace(name, i).first->second;
    out.first_with_name.push_back(index);
    out.label.push_back(
        NameProblem(name).empty() && index == static_cast<size_t>(i) ? name : std::to_string(i));
  }
  return out;
}

class Validator {
 public:
  Validator(const v1::Snapshot& snapshot, const ValidationOptions& options)
      : snapshot_(snapshot),
        options_(options),
        now_(options.now == absl::InfinitePast() ? absl::Now() : options.now) {}

  std::vector<std::string> Run() && {
    for (const v1::Cluster& cluster : snapshot_.clusters()) {
      cluster_names_.insert(cluster.name());
      if (cluster.protocol() == v1::Cluster::HTTP2) http2_clusters_.insert(cluster.name());
    }
    for (const v1::Consumer& consumer : snapshot_.consumers()) {
      consumer_names_.insert(consumer.name());
    }
    for (const v1::AuthPolicy& policy : snapshot_.auth_policies()) {
      auth_policy_names_.insert(policy.name());
    }
    VirtualHosts();
    Clusters();
    Certificates();
    Consumers();
    AuthPolicies();
    return std::move(errors_);
  }

 private:
  void Error(std::string_view path, std::string_view message) {
    if (full_) return;
    if (errors_.size() == kMaxErrors) {
      errors_.push_back(absl::StrCat("too many errors; stopped after the first ", kMaxErrors));
      full_ = true;
      return;
    }
    errors_.push_back(absl::StrCat(ToAbsl(path), ": ", ToAbsl(message)));
  }

  void ErrorIf(std::string_view path, const std::string& problem) {
    if (!problem.empty()) Error(path, problem);
  }

  void Name(const std::string& path, const std::string& kind, const Labels& labels, int i,
            std::string_view name) {
    const std::string field = path + ".name";
    if (const std::string problem = NameProblem(name); !problem.empty()) {
      Error(field, problem);
    } else if (labels.first_with_name[i] != static_cast<size_t>(i)) {
      Error(field, absl::StrCat("duplicate ", Quote(name), ", already used by ", kind, "[",
                                labels.label[labels.first_with_name[i]], "]"));
    }
  }

  void VirtualHosts() {
    const auto& vhosts = snapshot_.virtual_hosts();
    if (static_cast<size_t>(vhosts.size()) > kMaxVirtualHosts) {
      Error("virtual_hosts", TooMany(vhosts.size(), kMaxVirtualHosts));
      return;
    }
    size_t total_routes = 0;
    for (const v1::VirtualHost& vh : vhosts) total_routes += vh.routes_size();
    const bool check_routes = total_routes <= kMaxRoutesTotal;
    if (!check_routes) {
      Error("virtual_hosts", absl::StrCat("too many routes in total (", total_routes, ", at most ",
                                          kMaxRoutesTotal, ")"));
    }
    const Labels labels = MakeLabels(vhosts);
    // Lower-cased domain -> path of the virtual host that has it.
    absl::flat_hash_map<std::string, std::string> domain_owner;
    for (int i = 0; i < vhosts.size() && !full_; ++i) {
      const std::string path = "virtual_hosts[" + labels.label[i] + "]";
      Name(path, "virtual_hosts", labels, i, vhosts[i].name());
      Domains(vhosts[i].domains(), kMaxDomainsPerVirtualHost, path, domain_owner);
      if (!vhosts[i].auth_policy().empty()) {
        AuthPolicyReference(vhosts[i].auth_policy(), path + ".auth_policy");
      }
      if (vhosts[i].has_cors()) Cors(vhosts[i].cors(), path + ".cors");
      if (check_routes) Routes(vhosts[i], path);
    }
  }

  // A virtual host's or a certificate's domains: at least one, at most `max`, each valid
  // and not already in `domain_owner` (which records the resource that has it).
  void Domains(const google::protobuf::RepeatedPtrField<std::string>& domains, size_t max,
               const std::string& path,
               absl::flat_hash_map<std::string, std::string>& domain_owner) {
    if (domains.empty()) {
      Error(path + ".domains", "must have at least one domain");
      return;
    }
    if (static_cast<size_t>(domains.size()) > max) {
      Error(path + ".domains", TooMany(domains.size(), max));
      return;
    }
    for (int i = 0; i < domains.size(); ++i) {
      const std::string& domain = domains[i];
      const std::string field = absl::StrCat(path, ".domains[", i, "]");
      if (const std::string problem = DomainProblem(domain); !problem.empty()) {
        Error(field, absl::StrCat("invalid domain ", Quote(domain), ": ", problem));
        continue;
      }
      std::string lower = domain;
      LowerInPlace(lower);
      const auto [owner, inserted] = domain_owner.emplace(std::move(lower), path);
      if (!inserted) {
        Error(field, absl::StrCat(Quote(domain), " is already a domain of ", owner->second));
      }
    }
  }

  void Routes(const v1::VirtualHost& vh, const std::string& path) {
    if (static_cast<size_t>(vh.routes_size()) > kMaxRoutesPerVirtualHost) {
      Error(path + ".routes", TooMany(vh.routes_size(), kMaxRoutesPerVirtualHost));
      return;
    }
    const Labels labels = MakeLabels(vh.routes());
    for (int i = 0; i < vh.routes_size() && !full_; ++i) {
      const v1::Route& route = vh.routes(i);
      const std::string route_path = path + ".routes[" + labels.label[i] + "]";
      Name(route_path, path + ".routes", labels, i, route.name());
      Match(route.match(), route_path + ".match");
      Action(route.route(), route.match(), route_path + ".route");
      if (route.has_access_log()) {
        const double rate = route.access_log().sample_rate();
        // Written so that NaN fails too.
        if (!(rate >= 0 && rate <= 1)) {
          Error(route_path + ".access_log.sample_rate",
                absl::StrCat("must be between 0 and 1, got ", rate));
        }
      }
      if (!route.auth_policy().empty()) {
        if (route.skip_auth()) Error(route_path, "set either auth_policy or skip_auth, not both");
        AuthPolicyReference(route.auth_policy(), route_path + ".auth_policy");
      }
      if (route.has_cors()) Cors(route.cors(), route_path + ".cors");
    }
  }

  void AuthPolicyReference(const std::string& name, const std::string& path) {
    if (!auth_policy_names_.contains(name)) Error(path, "unknown auth policy " + Quote(name));
  }

  // A virtual host's or route's CORS policy (docs/cors.md). An empty one means no CORS.
  void Cors(const v1::CorsPolicy& cors, const std::string& path) {
    const bool sets_something = !cors.allow_methods().empty() || !cors.allow_headers().empty() ||
                                !cors.expose_headers().empty() || cors.allow_credentials() ||
                                cors.has_max_age();
    const auto& origins = cors.allow_origins();
    if (origins.empty()) {
      if (sets_something) {
        Error(path + ".allow_origins",
              "must list at least one origin: a policy without origins allows nothing (an "
              "empty policy, cors: {}, turns CORS off)");
      }
      return;
    }
    // Browsers refuse "*" in Access-Control-Allow-Origin, -Methods, -Headers and
    // -Expose-Headers of a response that allows credentials.
    const auto no_wildcard = [&](const std::string& field) {
      Error(field,
            "\"*\" cannot be used with allow_credentials: browsers refuse a wildcard on "
            "a credentialed request; list the values");
    };
    const std::string origins_path = path + ".allow_origins";
    if (static_cast<size_t>(origins.size()) > kMaxCorsValues) {
      Error(origins_path, TooMany(origins.size(), kMaxCorsValues));
    } else {
      for (int i = 0; i < origins.size(); ++i) {
        const std::string field = absl::StrCat(origins_path, "[", i, "]");
        if (const std::string problem = OriginProblem(origins[i]); !problem.empty()) {
          Error(field, problem);
        } else if (origins[i] == "*" && cors.allow_credentials()) {
          no_wildcard(field);
        } else {
          for (int j = 0; j < i; ++j) {
            if (EqualsIgnoreCase(origins[j], origins[i])) {
              Error(field, "duplicate " + Quote(origins[i]));
              break;
            }
          }
        }
      }
    }
    Methods(cors.allow_methods(), kMaxCorsValues, path + ".allow_methods");
    for (int i = 0; i < cors.allow_methods_size(); ++i) {
      if (cors.allow_methods(i) == "*" && cors.allow_credentials()) {
        no_wildcard(absl::StrCat(path, ".allow_methods[", i, "]"));
      }
    }
    const auto header_names = [&](const google::protobuf::RepeatedPtrField<std::string>& names,
                                  const std::string& list_path) {
      if (static_cast<size_t>(names.size()) > kMaxCorsValues) {
        Error(list_path, TooMany(names.size(), kMaxCorsValues));
        return;
      }
      for (int i = 0; i < names.size(); ++i) {
        const std::string& name = names[i];
        const std::string field = absl::StrCat(list_path, "[", i, "]");
        if (name.size() > kMaxHeaderNameLength) {
          Error(field, absl::StrCat("must be at most ", kMaxHeaderNameLength, " characters, got ",
                                    name.size()));
        } else if (!IsHttpToken(name)) {
          Error(field, Quote(name) + " is not a valid header name");
        } else if (name == "*" && cors.allow_credentials()) {
          no_wildcard(field);
        } else {
          for (int j = 0; j < i; ++j) {
            if (EqualsIgnoreCase(names[j], name)) {
              Error(field, "duplicate " + Quote(name));
              break;
            }
          }
        }
      }
    };
    header_names(cors.allow_headers(), path + ".allow_headers");
    header_names(cors.expose_headers(), path + ".expose_headers");
    if (cors.has_max_age()) {
      const Duration& max_age = cors.max_age();
      if (!IsValidDuration(max_age)) {
        Error(path + ".max_age", InvalidDuration(max_age));
      } else if (Compare(max_age, 0) < 0 || Compare(max_age, kMaxCorsMaxAgeSeconds) > 0) {
        Error(path + ".max_age", "must be 0s..86400s, got " + FormatDuration(max_age));
      }
    }
  }

  void Match(const v1::RouteMatch& match, const std::string& path) {
    switch (match.path_specifier_case()) {
      case v1::RouteMatch::kPrefix:
        ErrorIf(path + ".prefix", PathProblem(match.prefix()));
        break;
      case v1::RouteMatch::kPath:
        ErrorIf(path + ".path", PathProblem(match.path()));
        break;
      case v1::RouteMatch::kRegex:
        // An empty regex matches only the empty path, which no request has.
        ErrorIf(path + ".regex",
                match.regex().empty() ? "must not be empty" : RegexProblem(match.regex()));
        break;
      case v1::RouteMatch::PATH_SPECIFIER_NOT_SET:
        Error(path, "exactly one of prefix, path, regex must be set");
        break;
    }
    Methods(match.methods(), kMaxMethodsPerRoute, path + ".methods");
    Headers(match, path + ".headers");
  }

  void Methods(const google::protobuf::RepeatedPtrField<std::string>& methods, size_t max,
               const std::string& path) {
    if (static_cast<size_t>(methods.size()) > max) {
      Error(path, TooMany(methods.size(), max));
      return;
    }
    for (int i = 0; i < methods.size(); ++i) {
      const std::string& method = methods[i];
      const std::string field = absl::StrCat(path, "[", i, "]");
      if (method.empty()) {
        Error(field, "must not be empty");
      } else if (!IsUpperCaseToken(method)) {
        Error(field, Quote(method) + " is not an upper-case method token");
      } else {
        for (int j = 0; j < i; ++j) {
          if (methods[j] == method) {
            Error(field, "duplicate " + Quote(method));
            break;
          }
        }
      }
    }
  }

  void Headers(const v1::RouteMatch& match, const std::string& path) {
    if (static_cast<size_t>(match.headers_size()) > kMaxHeaderMatchersPerRoute) {
      Error(path, TooMany(match.headers_size(), kMaxHeaderMatchersPerRoute));
      return;
    }
    for (int i = 0; i < match.headers_size(); ++i) {
      const v1::HeaderMatcher& header = match.headers(i);
      const std::string field = absl::StrCat(path, "[", i, "]");
      if (header.name().empty()) {
        Error(field + ".name", "must not be empty");
      } else if (header.name().size() > kMaxHeaderNameLength) {
        Error(field + ".name", absl::StrCat("must be at most ", kMaxHeaderNameLength,
                                            " characters, got ", header.name().size()));
      } else if (!IsHttpToken(header.name())) {
        Error(field + ".name", Quote(header.name()) + " is not a valid header name");
      }
      switch (header.match_case()) {
        case v1::HeaderMatcher::kExact:
          ErrorIf(field + ".exact", ValueLengthProblem(header.exact()));
          break;
        case v1::HeaderMatcher::kPrefix:
          ErrorIf(field + ".prefix", ValueLengthProblem(header.prefix()));
          break;
        case v1::HeaderMatcher::kRegex:
          ErrorIf(field + ".regex", RegexProblem(header.regex()));
          break;
        case v1::HeaderMatcher::kPresent:
          break;
        case v1::HeaderMatcher::MATCH_NOT_SET:
          Error(field, "one of exact, prefix, regex, present must be set");
          break;
      }
    }
  }

  static std::string ValueLengthProblem(const std::string& value) {
    if (value.size() <= kMaxHeaderValueLength) return "";
    return absl::StrCat("must be at most ", kMaxHeaderValueLength, " characters, got ",
                        value.size());
  }

  void Action(const v1::RouteAction& action, const v1::RouteMatch& match, const std::string& path) {
    switch (action.cluster_specifier_case()) {
      case v1::RouteAction::kCluster:
        ClusterReference(action.cluster(), path + ".cluster");
        break;
      case v1::RouteAction::kWeightedClusters:
        WeightedClusters(action.weighted_clusters(), path + ".weighted_clusters.clusters");
        break;
      case v1::RouteAction::CLUSTER_SPECIFIER_NOT_SET:
        Error(path, "one of cluster, weighted_clusters must be set");
        break;
    }
    if (action.websocket()) WebSocketClusters(action, path);
    if (!action.prefix_rewrite().empty()) {
      if (match.path_specifier_case() != v1::RouteMatch::kPrefix) {
        Error(path + ".prefix_rewrite", "only allowed on prefix routes");
      } else {
        ErrorIf(path + ".prefix_rewrite", PathProblem(action.prefix_rewrite()));
      }
    }
    if (!action.host_rewrite().empty()) {
      if (const std::string problem = HostProblem(action.host_rewrite()); !problem.empty()) {
        Error(path + ".host_rewrite",
              absl::StrCat("invalid host ", Quote(action.host_rewrite()), ": ", problem));
      }
    }
    if (action.has_timeout()) {
      const Duration& timeout = action.timeout();
      if (!IsValidDuration(timeout)) {
        Error(path + ".timeout", InvalidDuration(timeout));
      } else if (Compare(timeout, 0) < 0 || Compare(timeout, 3600) > 0) {
        Error(path + ".timeout", "must be 0s..1h, got " + FormatDuration(timeout));
      }
    }
    if (action.has_idle_timeout()) {
      const Duration& idle = action.idle_timeout();
      if (!IsValidDuration(idle)) {
        Error(path + ".idle_timeout", InvalidDuration(idle));
      } else if (Compare(idle, 0) < 0 || Compare(idle, 86400) > 0) {
        Error(path + ".idle_timeout", "must be 0s..24h, got " + FormatDuration(idle));
      }
    }
  }

  // A WebSocket upgrade is an HTTP/1.1 exchange (docs/websocket.md): a cluster that speaks
  // only HTTP/2 could never answer it with 101.
  void WebSocketClusters(const v1::RouteAction& action, const std::string& path) {
    std::vector<std::string> names;
    if (action.has_weighted_clusters()) {
      for (const auto& entry : action.weighted_clusters().clusters()) names.push_back(entry.name());
    } else {
      names.push_back(action.cluster());
    }
    for (const std::string& name : names) {
      if (http2_clusters_.contains(name)) {
        Error(path + ".websocket",
              "cluster " + Quote(name) +
                  " speaks HTTP/2 (protocol: HTTP2), which has no WebSocket "
                  "upgrade; use a cluster with protocol HTTP1 or MATCH_CLIENT");
      }
    }
  }

  // Returns whether the reference is usable (non-empty and known).
  bool ClusterReference(const std::string& name, const std::string& path) {
    if (name.empty()) {
      Error(path, "must not be empty");
      return false;
    }
    if (!cluster_names_.contains(name)) {
      Error(path, "unknown cluster " + Quote(name));
      return false;
    }
    return true;
  }

  void WeightedClusters(const v1::WeightedClusters& weighted, const std::string& path) {
    const auto& entries = weighted.clusters();
    if (entries.empty()) {
      Error(path, "must have at least one cluster");
      return;
    }
    if (static_cast<size_t>(entries.size()) > kMaxWeightedClusters) {
      Error(path, TooMany(entries.size(), kMaxWeightedClusters));
      return;
    }
    for (int i = 0; i < entries.size(); ++i) {
      const std::string field = absl::StrCat(path, "[", i, "]");
      if (ClusterReference(entries[i].name(), field + ".name")) {
        for (int j = 0; j < i; ++j) {
          if (entries[j].name() == entries[i].name()) {
            Error(field + ".name", "duplicate " + Quote(entries[i].name()));
            break;
          }
        }
      }
      const uint32_t weight = entries[i].weight();
      if (weight < 1 || weight > kMaxWeight) {
        Error(field + ".weight", absl::StrCat("must be 1..", kMaxWeight, ", got ", weight));
      }
    }
  }

  void Clusters() {
    const auto& clusters = snapshot_.clusters();
    if (static_cast<size_t>(clusters.size()) > kMaxClusters) {
      Error("clusters", TooMany(clusters.size(), kMaxClusters));
      return;
    }
    const Labels labels = MakeLabels(clusters);
    for (int i = 0; i < clusters.size() && !full_; ++i) {
      const v1::Cluster& cluster = clusters[i];
      const std::string path = "clusters[" + labels.label[i] + "]";
      Name(path, "clusters", labels, i, cluster.name());
      Endpoints(cluster, path + ".endpoints");
      if (cluster.has_connect_timeout()) {
        const Duration& timeout = cluster.connect_timeout();
        if (!IsValidDuration(timeout)) {
          Error(path + ".connect_timeout", InvalidDuration(timeout));
        } else if (Compare(timeout, 0) <= 0 || Compare(timeout, 60) > 0) {
          Error(path + ".connect_timeout",
                "must be > 0s and <= 60s, got " + FormatDuration(timeout));
        }
      }
      if (cluster.has_max_idle_connections() &&
          cluster.max_idle_connections() > kMaxIdleConnections) {
        Error(path + ".max_idle_connections",
              absl::StrCat("must be <= ", kMaxIdleConnections, ", got ",
                           cluster.max_idle_connections()));
      }
      if (cluster.has_tls()) UpstreamTls(cluster.tls(), path + ".tls");
    }
  }

  void Endpoints(const v1::Cluster& cluster, const std::string& path) {
    if (cluster.endpoints().empty()) {
      Error(path, "must have at least one endpoint");
      return;
    }
    if (static_cast<size_t>(cluster.endpoints_size()) > kMaxEndpointsPerCluster) {
      Error(path, TooMany(cluster.endpoints_size(), kMaxEndpointsPerCluster));
      return;
    }
    for (int i = 0; i < cluster.endpoints_size() && !full_; ++i) {
      const v1::Endpoint& endpoint = cluster.endpoints(i);
      const std::string field = absl::StrCat(path, "[", i, "]");
      if (!IsIpLiteral(endpoint.address())) {
        Error(field + ".address",
              "must be an IPv4 or IPv6 address literal, got " + Quote(endpoint.address()));
      }
      if (endpoint.port() < 1 || endpoint.port() > 65535) {
        Error(field + ".port", absl::StrCat("must be 1..65535, got ", endpoint.port()));
      }
      if (endpoint.weight() > kMaxWeight) {
        Error(field + ".weight",
              absl::StrCat("must be 0..", kMaxWeight, ", got ", endpoint.weight()));
      }
    }
  }

  void Certificates() {
    const auto& certificates = snapshot_.certificates();
    if (static_cast<size_t>(certificates.size()) > kMaxCertificates) {
      Error("certificates", TooMany(certificates.size(), kMaxCertificates));
      return;
    }
    const Labels labels = MakeLabels(certificates);
    // Certificates already applied, by name: their expiry must not block other changes.
    absl::flat_hash_map<absl::string_view, const v1::Certificate*> previous;
    if (options_.previous != nullptr) {
      for (const v1::Certificate& c : options_.previous->certificates()) {
        previous.emplace(c.name(), &c);
      }
    }
    absl::flat_hash_map<std::string, std::string> domain_owner;
    std::string default_path;
    for (int i = 0; i < certificates.size() && !full_; ++i) {
      const v1::Certificate& certificate = certificates[i];
      const std::string path = "certificates[" + labels.label[i] + "]";
      Name(path, "certificates", labels, i, certificate.name());
      Domains(certificate.domains(), kMaxDomainsPerCertificate, path, domain_owner);
      if (certificate.default_certificate()) {
        if (default_path.empty()) {
          default_path = path;
        } else {
          Error(path + ".default_certificate",
                "only one certificate may be the default, and " + default_path + " is");
        }
      }
      const auto it = previous.find(certificate.name());
      const bool applied = it != previous.end() &&
                           it->second->cert_pem() == certificate.cert_pem() &&
                           it->second->key_pem() == certificate.key_pem();
      KeyPair({.prefix = "",
               .cert_pem = certificate.cert_pem(),
               .key_pem = certificate.key_pem(),
               .cert_file = certificate.cert_file(),
               .key_file = certificate.key_file()},
              path, /*check_validity_period=*/options_.check_validity_period && !applied);
      if (certificate.has_client_certificates()) {
        ClientCertificates(certificate.client_certificates(), path + ".client_certificates");
      }
      if (!certificate.ocsp_staple_file().empty()) {
        CertificateFile(certificate.ocsp_staple_file(), "ocsp_staple_file", "", path);
      }
    }
  }

  void Consumers() {
    const auto& consumers = snapshot_.consumers();
    if (static_cast<size_t>(consumers.size()) > kMaxConsumers) {
      Error("consumers", TooMany(consumers.size(), kMaxConsumers));
      return;
    }
    const Labels labels = MakeLabels(consumers);
    // sha256 -> path of the key that has it: a key must identify one consumer.
    absl::flat_hash_map<std::string, std::string> hash_owner;
    // Certificate subject -> where it is listed, for the same reason.
    absl::flat_hash_map<std::string, std::string> subject_owner;
    for (int i = 0; i < consumers.size() && !full_; ++i) {
      const v1::Consumer& consumer = consumers[i];
      const std::string path = "consumers[" + labels.label[i] + "]";
      Name(path, "consumers", labels, i, consumer.name());
      Groups(consumer.groups(), path + ".groups");
      if (consumer.metadata().contains("")) Error(path + ".metadata", "keys must not be empty");
      ApiKeys(consumer, path, hash_owner);
      for (int j = 0; j < consumer.certificate_subjects_size(); ++j) {
        const std::string field = absl::StrCat(path, ".certificate_subjects[", j, "]");
        const std::string& subject = consumer.certificate_subjects(j);
        if (subject.empty()) {
          Error(field, "must not be empty");
          continue;
        }
        const auto [owner, inserted] = subject_owner.emplace(subject, field);
        if (!inserted) {
          Error(field, "duplicate " + Quote(subject) + ", already used by " + owner->second +
                           "; a certificate must name one consumer only");
        }
      }
    }
  }

  void Groups(const google::protobuf::RepeatedPtrField<std::string>& groups,
              const std::string& path) {
    if (static_cast<size_t>(groups.size()) > kMaxGroupsPerConsumer) {
      Error(path, TooMany(groups.size(), kMaxGroupsPerConsumer));
      return;
    }
    for (int i = 0; i < groups.size(); ++i) {
      const std::string field = absl::StrCat(path, "[", i, "]");
      if (const std::string problem = NameProblem(groups[i]); !problem.empty()) {
        Error(field, problem);
        continue;
      }
      for (int j = 0; j < i; ++j) {
        if (groups[j] == groups[i]) {
          Error(field, "duplicate " + Quote(groups[i]));
          break;
        }
      }
    }
  }

  void ApiKeys(const v1::Consumer& consumer, const std::string& path,
               absl::flat_hash_map<std::string, std::string>& hash_owner) {
    const auto& keys = consumer.api_keys();
    if (static_cast<size_t>(keys.size()) > kMaxApiKeysPerConsumer) {
      Error(path + ".api_keys", TooMany(keys.size(), kMaxApiKeysPerConsumer));
      return;
    }
    const Labels labels = MakeLabels(keys);
    for (int i = 0; i < keys.size() && !full_; ++i) {
      const v1::ApiKey& key = keys[i];
      const std::string key_path = path + ".api_keys[" + labels.label[i] + "]";
      Name(key_path, path + ".api_keys", labels, i, key.name());
      // The control plane restores the stored hash, then validates it itself.
      if (key.sha256() == kRedacted && options_.redacted_keys_from_server) continue;
      if (const std::string problem = Sha256Problem(key.sha256()); !problem.empty()) {
        Error(key_path + ".sha256", problem);
        continue;
      }
      const auto [owner, inserted] = hash_owner.emplace(key.sha256(), key_path);
      if (!inserted) {
        Error(key_path + ".sha256", "duplicate key hash, already used by " + owner->second +
                                        "; a key must belong to one consumer only");
      }
    }
  }

  void AuthPolicies() {
    const auto& policies = snapshot_.auth_policies();
    if (static_cast<size_t>(policies.size()) > kMaxAuthPolicies) {
      Error("auth_policies", TooMany(policies.size(), kMaxAuthPolicies));
      return;
    }
    const Labels labels = MakeLabels(policies);
    for (int i = 0; i < policies.size() && !full_; ++i) {
      const v1::AuthPolicy& policy = policies[i];
      const std::string path = "auth_policies[" + labels.label[i] + "]";
      Name(path, "auth_policies", labels, i, policy.name());
      if (!policy.has_api_key() && !policy.has_jwt() && !policy.has_client_certificate() &&
          !policy.has_ext_authz() && policy.rules().empty()) {
        Error(path,
              "a policy needs a credential, rules or an authorization service: set api_key, "
              "jwt, client_certificate, rules or ext_authz");
      }
      if (policy.has_api_key()) ApiKeyAuth(policy.api_key(), path + ".api_key");
      if (policy.has_jwt()) JwtAuth(policy.jwt(), path + ".jwt");
      if (policy.has_ext_authz()) ExtAuthz(policy.ext_authz(), path + ".ext_authz");
      Rules(policy, path + ".rules");
      if (!v1::AuthPolicy::Action_IsValid(policy.default_action())) {
        Error(path + ".default_action",
              absl::StrCat("unknown value ", policy.default_action(),
                           "; must be ACTION_UNSPECIFIED, ALLOW or DENY"));
      }
    }
  }

  void ApiKeyAuth(const v1::ApiKeyAuth& auth, const std::string& path) {
    const std::string& header = auth.header();
    const std::string& query = auth.query();
    if (header.empty() == query.empty()) {
      Error(path, header.empty()
                      ? "set exactly one of header or query: where requests carry the key"
                      : "set exactly one of header or query, not both");
      return;
    }
    if (!header.empty()) {
      if (header.size() > kMaxHeaderNameLength) {
        Error(path + ".header", absl::StrCat("must be at most ", kMaxHeaderNameLength,
                                             " characters, got ", header.size()));
      } else if (!IsHttpToken(header)) {
        Error(path + ".header", Quote(header) + " is not a valid header name");
      }
      return;
    }
    if (query.size() > kMaxHeaderNameLength) {
      Error(path + ".query", absl::StrCat("must be at most ", kMaxHeaderNameLength,
                                          " characters, got ", query.size()));
      return;
    }
    for (char c : query) {
      if (!IsUnreservedUrlCharacter(c)) {
        Error(path + ".query", Quote(query) +
                                   " is not a query parameter name of unreserved URL characters "
                                   "(A-Z a-z 0-9 - . _ ~)");
        return;
      }
    }
  }

  void ExtAuthz(const v1::ExtAuthz& ext_authz, const std::string& path) {
    if (ClusterReference(ext_authz.cluster(), path + ".cluster") &&
        !http2_clusters_.contains(ext_authz.cluster())) {
      Error(path + ".cluster", "cluster " + Quote(ext_authz.cluster()) +
                                   " must have protocol: HTTP2: the authorization service "
                                   "speaks gRPC");
    }
    if (ext_authz.has_timeout()) {
      const Duration& timeout = ext_authz.timeout();
      if (!IsValidDuration(timeout)) {
        Error(path + ".timeout", InvalidDuration(timeout));
      } else if (Compare(timeout, 0) <= 0 || Compare(timeout, 10) > 0) {
        Error(path + ".timeout", "must be > 0s and <= 10s, got " + FormatDuration(timeout));
      }
    }
    if (static_cast<size_t>(ext_authz.context_extensions_size()) > kMaxContextExtensions) {
      Error(path + ".context_extensions",
            TooMany(ext_authz.context_extensions_size(), kMaxContextExtensions));
    }
    for (const auto& [key, value] : ext_authz.context_extensions()) {
      if (key.empty() || key.size() > kMaxContextExtensionLength ||
          value.size() > kMaxContextExtensionLength) {
        Error(absl::StrCat(path, ".context_extensions[", Quote(key), "]"),
              absl::StrCat("keys must be 1 to ", kMaxContextExtensionLength,
                           " bytes and values at most ", kMaxContextExtensionLength));
      }
    }
  }

  void RemoteJwks(const v1::RemoteJwks& remote, const std::string& path) {
    ClusterReference(remote.cluster(), path + ".cluster");
    const std::string& target = remote.path();
    const std::string_view path_part = std::string_view(target).substr(0, target.find('?'));
    if (target.empty() || target[0] != '/') {
      Error(path + ".path", "must start with /, e.g. /.well-known/jwks.json");
    } else if (target.size() > kMaxPathLength) {
      Error(path + ".path", absl::StrCat("must be at most ", kMaxPathLength, " characters"));
    } else if (FindNonPathCharacter(path_part) != std::string_view::npos ||
               std::any_of(target.begin(), target.end(), [](char c) {
                 return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '#';
               })) {
      Error(path + ".path", Quote(target) + " has a character a request target cannot carry");
    }
    if (!remote.host().empty()) {
      if (const std::string problem = HostProblem(remote.host()); !problem.empty()) {
        Error(path + ".host", problem);
      }
    }
    const auto bounded = [&](const Duration& d, const std::string& field, int64_t min_seconds,
                             int64_t max_seconds) {
      if (!IsValidDuration(d)) {
        Error(field, InvalidDuration(d));
      } else if (Compare(d, min_seconds) < 0 || Compare(d, max_seconds) > 0 ||
                 (min_seconds == 0 && Compare(d, 0) <= 0)) {
        Error(field, absl::StrCat("must be ", min_seconds == 0 ? "> 0s" : ">= 1s",
                                  " and <= ", max_seconds, "s, got ", FormatDuration(d)));
      }
    };
    if (remote.has_refresh_interval()) {
      bounded(remote.refresh_interval(), path + ".refresh_interval", 1, 86400);
    }
    if (remote.has_timeout()) bounded(remote.timeout(), path + ".timeout", 0, 30);
  }

  void JwtAuth(const v1::JwtAuth& jwt, const std::string& path) {
    if (jwt.issuer().empty()) {
      Error(path + ".issuer", "must not be empty: the \"iss\" tokens must carry");
    }
    for (int i = 0; i < jwt.audiences_size(); ++i) {
      if (jwt.audiences(i).empty()) {
        Error(absl::StrCat(path, ".audiences[", i, "]"), "must not be empty");
      }
    }
    for (int i = 0; i < jwt.algorithms_size(); ++i) {
      const std::string& name = jwt.algorithms(i);
      if (name != "RS256" && name != "PS256" && name != "ES256" && name != "EdDSA") {
        Error(absl::StrCat(path, ".algorithms[", i, "]"),
              Quote(name) + " is not accepted; use RS256, PS256, ES256 or EdDSA (\"none\" and " +
                  "the HMAC algorithms never are)");
      }
    }
    if (jwt.has_remote_jwks()) {
      if (!jwt.jwks().empty()) {
        Error(path, "set either jwks or remote_jwks, not both");
      } else {
        RemoteJwks(jwt.remote_jwks(), path + ".remote_jwks");
      }
    } else if (jwt.jwks().empty()) {
      Error(path + ".jwks",
            "must be set: the issuer's public keys as a JWKS document (or set remote_jwks)");
    } else if (absl::StatusOr<std::vector<Jwk>> keys = ParseJwks(jwt.jwks()); !keys.ok()) {
      Error(path + ".jwks", std::string(keys.status().message()));
    }
    if (!jwt.header().empty() && !jwt.cookie().empty()) {
      Error(path, "set at most one of header or cookie: where requests carry the token");
    }
    if (!jwt.header().empty() && !IsHttpToken(jwt.header())) {
      Error(path + ".header", Quote(jwt.header()) + " is not a valid header name");
    }
    if (!jwt.cookie().empty() && !IsHttpToken(jwt.cookie())) {
      Error(path + ".cookie", Quote(jwt.cookie()) + " is not a valid cookie name");
    }
    if (jwt.has_clock_skew()) {
      const Duration& skew = jwt.clock_skew();
      if (!IsValidDuration(skew)) {
        Error(path + ".clock_skew", InvalidDuration(skew));
      } else if (Compare(skew, 0) < 0 || Compare(skew, 600) > 0) {
        Error(path + ".clock_skew", "must be >= 0s and <= 600s, got " + FormatDuration(skew));
      }
    }
    for (int i = 0; i < jwt.forward_claims_size(); ++i) {
      const v1::ClaimHeader& forward = jwt.forward_claims(i);
      const std::string field = absl::StrCat(path, ".forward_claims[", i, "]");
      if (forward.claim().empty()) Error(field + ".claim", "must not be empty");
      const std::string header = absl::AsciiStrToLower(forward.header());
      if (!IsHttpToken(header) || !absl::StartsWith(header, "x-switchyard-")) {
        Error(field + ".header", Quote(forward.header()) +
                                     " must be a header name starting with x-switchyard- (the "
                                     "names the gateway owns, which clients cannot send)");
      }
    }
  }

  void Rules(const v1::AuthPolicy& policy, const std::string& path) {
    const auto& rules = policy.rules();
    if (static_cast<size_t>(rules.size()) > kMaxRulesPerAuthPolicy) {
      Error(path, TooMany(rules.size(), kMaxRulesPerAuthPolicy));
      return;
    }
    for (int i = 0; i < rules.size() && !full_; ++i) {
      const v1::AuthRule& rule = rules[i];
      const std::string field = absl::StrCat(path, "[", i, "]");
      if (rule.has_allow() == rule.has_deny()) {
        Error(field, "set exactly one of allow or deny");
        continue;
      }
      const v1::AuthCondition& condition = rule.has_allow() ? rule.allow() : rule.deny();
      const std::string condition_path = field + (rule.has_allow() ? ".allow" : ".deny");
      Condition(condition, condition_path);
      if (!condition.claims().empty() && !policy.has_jwt()) {
        Error(condition_path + ".claims", "the policy has no jwt: no request would have claims");
      }
    }
  }

  // Every list may be empty; an empty condition always holds.
  void Condition(const v1::AuthCondition& condition, const std::string& path) {
    const auto too_long = [&](const google::protobuf::RepeatedPtrField<std::string>& list,
                              const std::string& field) {
      if (static_cast<size_t>(list.size()) <= kMaxAuthConditionValues) return false;
      Error(field, TooMany(list.size(), kMaxAuthConditionValues));
      return true;
    };
    const std::string consumers = path + ".consumers";
    if (!too_long(condition.consumers(), consumers)) {
      for (int i = 0; i < condition.consumers_size(); ++i) {
        const std::string& name = condition.consumers(i);
        const std::string field = absl::StrCat(consumers, "[", i, "]");
        if (name.empty()) {
          Error(field, "must not be empty");
        } else if (!consumer_names_.contains(name)) {
          Error(field, "unknown consumer " + Quote(name));
        }
      }
    }
    const std::string groups = path + ".groups";
    if (!too_long(condition.groups(), groups)) {
      for (int i = 0; i < condition.groups_size(); ++i) {
        ErrorIf(absl::StrCat(groups, "[", i, "]"), NameProblem(condition.groups(i)));
      }
    }
    Methods(condition.methods(), kMaxAuthConditionValues, path + ".methods");
    const std::string prefixes = path + ".path_prefixes";
    if (!too_long(condition.path_prefixes(), prefixes)) {
      for (int i = 0; i < condition.path_prefixes_size(); ++i) {
        ErrorIf(absl::StrCat(prefixes, "[", i, "]"), PathProblem(condition.path_prefixes(i)));
      }
    }
    for (int i = 0; i < condition.client_cert_subjects_size(); ++i) {
      if (condition.client_cert_subjects(i).empty()) {
        Error(absl::StrCat(path, ".client_cert_subjects[", i, "]"), "must not be empty");
      }
    }
    for (int i = 0; i < condition.claims_size(); ++i) {
      const v1::ClaimMatch& claim = condition.claims(i);
      const std::string field = absl::StrCat(path, ".claims[", i, "]");
      if (claim.name().empty()) Error(field + ".name", "must not be empty");
      if (claim.values().empty()) Error(field + ".values", "must list at least one value");
    }
    const std::string client_ips = path + ".client_ips";
    if (!too_long(condition.client_ips(), client_ips)) {
      for (int i = 0; i < condition.client_ips_size(); ++i) {
        ErrorIf(absl::StrCat(client_ips, "[", i, "]"), ClientIpProblem(condition.client_ips(i)));
      }
    }
  }

  void ClientCertificates(const v1::ClientCertificates& client, const std::string& path) {
    const bool has_pem = !client.ca_pem().empty();
    const bool has_file = !client.ca_file().empty();
    if (client.mode() == v1::ClientCertificates::OFF) {
      if (has_pem || has_file || client.forward_identity()) {
        Error(path + ".mode",
              "is OFF (the default), so nothing else may be set; say OPTIONAL or "
              "REQUIRED to ask clients for certificates");
      }
      return;
    }
    if (has_pem == has_file) {
      Error(path, has_pem ? "set either ca_pem or ca_file, not both"
                          : "one of ca_pem and ca_file must be set: the CA certificates that "
                            "client certificates must chain to");
      return;
    }
    if (has_file) {
      CertificateFile(client.ca_file(), "ca_file", "mode", path);
      return;
    }
    absl::StatusOr<std::vector<X509Ptr>> anchors =
        ParseCertificateChain(client.ca_pem(), kMaxClientCaCertificates);
    if (!anchors.ok()) Error(path + ".ca_pem", std::string(anchors.status().message()));
  }

  // A certificate chain and its key, inline or as files: the fields `prefix`cert_pem,
  // `prefix`key_pem, `prefix`cert_file and `prefix`key_file of the resource at `path`.
  struct KeyPairFields {
    std::string_view prefix;
    const std::string& cert_pem;
    const std::string& key_pem;
    const std::string& cert_file;
    const std::string& key_file;
  };

  void KeyPair(const KeyPairFields& pair, const std::string& path, bool check_validity_period) {
    const std::string prefix(pair.prefix);
    const std::string cert_pem = prefix + "cert_pem";
    const std::string key_pem = prefix + "key_pem";
    const std::string cert_file = prefix + "cert_file";
    const std::string key_file = prefix + "key_file";
    const bool inline_pem = !pair.cert_pem.empty() || !pair.key_pem.empty();
    const bool files = !pair.cert_file.empty() || !pair.key_file.empty();
    if (inline_pem && files) {
      Error(path, absl::StrCat("set either ", cert_pem, " and ", key_pem, ", or ", cert_file,
                               " and ", key_file, ", not both"));
      return;
    }
    if (!inline_pem && !files) {
      Error(path, absl::StrCat("one pair must be set: ", cert_pem, " and ", key_pem, ", or ",
                               cert_file, " and ", key_file));
      return;
    }
    if (files) {
      CertificateFile(pair.cert_file, cert_file, key_file, path);
      CertificateFile(pair.key_file, key_file, cert_file, path);
      return;
    }
    if (pair.cert_pem.empty()) Error(path + "." + cert_pem, "must be set with " + key_pem);
    if (pair.key_pem.empty()) Error(path + "." + key_pem, "must be set with " + cert_pem);
    if (pair.cert_pem.empty() || pair.key_pem.empty()) return;

    absl::StatusOr<std::vector<X509Ptr>> chain = ParseCertificateChain(pair.cert_pem);
    if (!chain.ok()) Error(path + "." + cert_pem, std::string(chain.status().message()));
    if (pair.key_pem == kRedacted && options_.redacted_keys_from_server) {
      // The control plane restores the stored key, then validates the pair itself.
      if (!chain.ok()) return;
      if (check_validity_period) {
        ErrorIf(path + "." + cert_pem, ValidityProblem(chain->front().get(), now_));
      }
      return;
    }
    absl::StatusOr<EvpPkeyPtr> key;
    if (pair.key_pem == kRedacted) {
      // What `yardctl get` shows: an apply to the control plane puts the stored key back
      // before validating, but nothing else can.
      key = absl::InvalidArgumentError(absl::StrCat(
          "is \"", kRedacted,
          "\", which only an apply to the control plane replaces with the stored key"));
    } else {
      key = ParsePrivateKey(pair.key_pem);
    }
    if (!key.ok()) Error(path + "." + key_pem, std::string(key.status().message()));
    if (!chain.ok()) return;
    X509* leaf = chain->front().get();
    if (key.ok() && !KeyMatchesCertificate(leaf, key->get())) {
      Error(path + "." + key_pem, "does not match the certificate's public key");
    }
    if (check_validity_period) ErrorIf(path + "." + cert_pem, ValidityProblem(leaf, now_));
  }

  void UpstreamTls(const v1::UpstreamTls& tls, const std::string& path) {
    if (!tls.server_name().empty()) {
      const std::string& name = tls.server_name();
      std::string problem = DomainProblem(name);
      if (problem.empty() && name.find('*') != std::string::npos) {
        problem = "must be one host name, not a wildcard";
      } else if (problem.empty() && IsIpLiteral(name)) {
        problem =
            "must be a DNS name (SNI carries no IP address); leave it unset to verify the "
            "endpoint's IP address";
      }
      if (!problem.empty()) Error(path + ".server_name", problem + ", got " + Quote(name));
    }
    const bool has_pem = !tls.ca_pem().empty();
    const bool has_file = !tls.ca_file().empty();
    if (tls.insecure_skip_verify() && (has_pem || has_file)) {
      Error(path + ".insecure_skip_verify",
            "skips verification, so a CA (ca_pem or ca_file) would never be used; set one or "
            "the other");
    } else if (has_pem && has_file) {
      Error(path, "set either ca_pem or ca_file, not both");
    } else if (has_file) {
      CertificateFile(tls.ca_file(), "ca_file", "", path);
    } else if (has_pem) {
      absl::StatusOr<std::vector<X509Ptr>> anchors =
          ParseCertificateChain(tls.ca_pem(), kMaxClientCaCertificates);
      if (!anchors.ok()) Error(path + ".ca_pem", std::string(anchors.status().message()));
    }
    const bool client_certificate =
        !tls.client_cert_pem().empty() || !tls.client_key_pem().empty() ||
        !tls.client_cert_file().empty() || !tls.client_key_file().empty();
    if (client_certificate) {
      KeyPair({.prefix = "client_",
               .cert_pem = tls.client_cert_pem(),
               .key_pem = tls.client_key_pem(),
               .cert_file = tls.client_cert_file(),
               .key_file = tls.client_key_file()},
              path, options_.check_validity_period);
    }
  }

  void CertificateFile(const std::string& file, const std::string& field, const std::string& other,
                       const std::string& path) {
    const std::string at = absl::StrCat(path, ".", field);
    if (file.empty()) {
      Error(at, absl::StrCat("must be set with ", other));
    } else if (file.front() != '/') {
      Error(at, "must be an absolute path (the proxy reads it), got " + Quote(file));
    } else if (file.size() > kMaxCertificatePathLength) {
      Error(at, absl::StrCat("must be at most ", kMaxCertificatePathLength, " characters, got ",
                             file.size()));
    } else if (file.find('\0') != std::string::npos) {
      Error(at, Quote(file) + " contains a NUL character");
    }
  }

  const v1::Snapshot& snapshot_;
  const ValidationOptions& options_;
  const absl::Time now_;
  absl::flat_hash_set<std::string> cluster_names_;
  absl::flat_hash_set<std::string> http2_clusters_;
  absl::flat_hash_set<std::string> consumer_names_;
  absl::flat_hash_set<std::string> auth_policy_names_;
  std::vector<std::string> errors_;
  bool full_ = false;
};

}  // namespace

std::vector<std::string> ValidationErrors(const v1::Snapshot& snapshot,
                                          const ValidationOptions& options) {
  return Validator(snapshot, options).Run();
}

absl::Status ValidateSnapshot(const v1::Snapshot& snapshot, const ValidationOptions& options) {
  const std::vector<std::string> errors = ValidationErrors(snapshot, options);
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
}

}  // namespace switchyard::config
