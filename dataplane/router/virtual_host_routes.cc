#include "dataplane/router/virtual_host_routes.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ascii.h"
#include "switchyard/config/duration.h"

namespace switchyard::router {
namespace {

constexpr std::chrono::milliseconds kDefaultTimeout{15'000};
// The regex set's DFA is shared by all regex routes of a virtual host, so it gets a larger
// budget than RE2's 8 MiB default. Memory is only taken as the DFA explores states.
constexpr int64_t kRegexSetMaxMemory = 64 << 20;

RE2::Options RegexOptions() {
  RE2::Options options;
  options.set_log_errors(false);  // errors are returned, not logged
  return options;
}

absl::StatusOr<std::chrono::milliseconds> Timeout(const v1::RouteAction& action) {
  if (!action.has_timeout()) return kDefaultTimeout;
  const google::protobuf::Duration& d = action.timeout();
  if (!config::IsNonNegativeDuration(d)) {
    return absl::InvalidArgumentError(absl::StrCat("must be a non-negative duration, got seconds ",
                                                   d.seconds(), " nanos ", d.nanos()));
  }
  // Rounded up: a sub-millisecond timeout must not become 0, which means "none".
  return config::ToMillisRoundedUp(d);
}

absl::Status Clusters(const v1::RouteAction& action,
                      const VirtualHostRoutes::ClusterIndex& cluster_index, Route& route) {
  auto add = [&](const std::string& name, uint32_t weight) -> absl::Status {
    const auto it = cluster_index.find(name);
    if (it == cluster_index.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cluster \"", name, "\" is not in the cluster table"));
    }
    if (weight == 0) {
      return absl::InvalidArgumentError(absl::StrCat("cluster \"", name, "\" has weight 0"));
    }
    if (weight > UINT32_MAX - route.total_weight) {
      return absl::InvalidArgumentError("weights add up to more than 2^32-1");
    }
    route.clusters.push_back({it->second, weight});
    route.total_weight += weight;
    return absl::OkStatus();
  };
  switch (action.cluster_specifier_case()) {
    case v1::RouteAction::kCluster:
      return add(action.cluster(), 1);
    case v1::RouteAction::kWeightedClusters:
      if (action.weighted_clusters().clusters().empty()) {
        return absl::InvalidArgumentError("weighted_clusters is empty");
      }
      for (const auto& entry : action.weighted_clusters().clusters()) {
        if (absl::Status s = add(entry.name(), entry.weight()); !s.ok()) return s;
      }
      return absl::OkStatus();
    case v1::RouteAction::CLUSTER_SPECIFIER_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("neither cluster nor weighted_clusters is set");
}

}  // namespace

absl::StatusOr<std::unique_ptr<VirtualHostRoutes>> VirtualHostRoutes::Build(
    const v1::VirtualHost& vhost, const ClusterIndex& cluster_index, std::string_view path,
    uint32_t first_index) {
  // Not make_unique: the constructor is private.
  std::unique_ptr<VirtualHostRoutes> out(new VirtualHostRoutes());
  out->routes_.reserve(vhost.routes_size());
  // `field` ends with the separator to put before the status message.
  auto fail = [&](const v1::Route& config, std::string_view field, const absl::Status& status) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(path), ".routes[", config.name(), "]",
                                                   ToAbsl(field), status.message()));
  };

  for (int i = 0; i < vhost.routes_size(); ++i) {
    const v1::Route& config = vhost.routes(i);
    const uint32_t index = static_cast<uint32_t>(i);
    absl::StatusOr<RequestMatcher> matcher = RequestMatcher::Build(config.match());
    if (!matcher.ok()) return fail(config, ".match.", matcher.status());
    Entry& entry = out->routes_.emplace_back(Entry{Route{}, *std::move(matcher)});
    Route& route = entry.route;
    route.name = config.name();
    route.virtual_host = vhost.name();
    route.index = first_index + index;
    route.prefix_rewrite = config.route().prefix_rewrite();
    route.host_rewrite = config.route().host_rewrite();
    if (config.has_access_log()) route.access_log_sample_rate = config.access_log().sample_rate();
    route.duration_histogram = config.metrics().duration_histogram();
    absl::StatusOr<std::chrono::milliseconds> timeout = Timeout(config.route());
    if (!timeout.ok()) return fail(config, ".route.timeout: ", timeout.status());
    route.timeout = *timeout;
    route.max_request_body_bytes = config.route().max_request_body_bytes();
    route.websocket = config.route().websocket();
    if (config.route().has_request_body_min_bytes_per_second()) {
      route.request_body_min_bytes_per_second = config.route().request_body_min_bytes_per_second();
    }
    if (config.route().has_idle_timeout()) {
      if (!config::IsNonNegativeDuration(config.route().idle_timeout())) {
        return fail(config, ".route.idle_timeout: ",
                    absl::InvalidArgumentError("must be a non-negative duration"));
      }
      route.idle_timeout = config::ToMillisRoundedUp(config.route().idle_timeout());
    }
    if (absl::Status s = Clusters(config.route(), cluster_index, route); !s.ok()) {
      return fail(config, ".route: ", s);
    }

    const v1::RouteMatch& match = config.match();
    switch (match.path_specifier_case()) {
      case v1::RouteMatch::kPath:
        out->exact_paths_[match.path()].push_back(index);
        break;
      case v1::RouteMatch::kPrefix:
        route.matched_prefix = match.prefix();
        out->prefixes_.Insert(match.prefix(), index);
        break;
      case v1::RouteMatch::kRegex: {
        auto regex = std::make_unique<RE2>(match.regex(), RegexOptions());
        if (!regex->ok()) {
          return fail(config, ".match.regex: ",
                      absl::InvalidArgumentError(absl::StrCat("invalid RE2: ", regex->error())));
        }
        out->regexes_.push_back(std::move(regex));
        out->regex_routes_.push_back(index);
        break;
      }
      case v1::RouteMatch::PATH_SPECIFIER_NOT_SET:
        return fail(config,
                    ".match: ", absl::InvalidArgumentError("none of prefix, path, regex is set"));
    }
  }

  if (!out->regex_routes_.empty()) {
    RE2::Options options = RegexOptions();
    options.set_max_mem(kRegexSetMaxMemory);
    out->regex_set_ = std::make_unique<RE2::Set>(options, RE2::ANCHOR_BOTH);
    for (const std::unique_ptr<RE2>& regex : out->regexes_) {
      std::string error;
      if (out->regex_set_->Add(regex->pattern(), &error) < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(ToAbsl(path), ": RE2::Set rejected \"", regex->pattern(), "\": ", error));
      }
    }
    if (!out->regex_set_->Compile()) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(path), ": the regex routes together exceed RE2's memory budget of ",
                       kRegexSetMaxMemory, " bytes"));
    }
  }
  return out;
}

const Route* VirtualHostRoutes::Match(const RequestView& request) const {
  uint32_t best = kNoRoute;
  if (!exact_paths_.empty()) {
    const auto it = exact_paths_.find(ToAbsl(request.path));
    if (it != exact_paths_.end()) Consider(it->second, request, &best);
  }
  prefixes_.ForEachPrefixOf(request.path, [&](const std::vector<uint32_t>& candidates) {
    Consider(candidates, request, &best);
  });
  // Regex routes are the expensive kind; consult them only if one could still win.
  if (!regex_routes_.empty() && regex_routes_.front() < best) ConsiderRegexRoutes(request, &best);
  return best == kNoRoute ? nullptr : &routes_[best].route;
}

void VirtualHostRoutes::Consider(const std::vector<uint32_t>& candidates,
                                 const RequestView& request, uint32_t* best) const {
  for (const uint32_t index : candidates) {
    if (index >= *best) return;
    if (routes_[index].matcher.Matches(request.method, request.headers)) {
      *best = index;
      return;
    }
  }
}

void VirtualHostRoutes::ConsiderRegexRoutes(const RequestView& request, uint32_t* best) const {
  const re2::StringPiece path(request.path.data(), request.path.size());
  RE2::Set::ErrorInfo error{RE2::Set::kNoError};
  // Asking the set which patterns match costs an allocation sized by the number of
  // patterns and a full scan; asking whether any does stops at the first match. Most
  // requests match no regex route, so the cheap question goes first.
  const bool any = regex_set_->Match(path, nullptr, &error);
  std::vector<int> hits;
  if (any && regex_set_->Match(path, &hits, &error)) {
    // Pattern numbers follow declared order; the set reports them unordered.
    std::sort(hits.begin(), hits.end());
    for (const int hit : hits) {
      const uint32_t index = regex_routes_[hit];
      if (index >= *best) return;
      if (routes_[index].matcher.Matches(request.method, request.headers)) {
        *best = index;
        return;
      }
    }
    return;
  }
  if (error.kind == RE2::Set::kNoError) return;  // no regex route matches
  // The set's DFA ran out of memory on this input: fall back to one regex at a time,
  // which is linear in the number of regex routes but still correct.
  for (size_t i = 0; i < regex_routes_.size(); ++i) {
    const uint32_t index = regex_routes_[i];
    if (index >= *best) return;
    if (RE2::FullMatch(path, *regexes_[i]) &&
        routes_[index].matcher.Matches(request.method, request.headers)) {
      *best = index;
      return;
    }
  }
}

}  // namespace switchyard::router
