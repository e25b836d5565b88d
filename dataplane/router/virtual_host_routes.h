// The compiled routes of one virtual host, indexed by path so that finding the first
// matching route does not look at every route.
//
// Each route's path condition goes into one of three indexes, all yielding route indexes
// in declared order:
//   path   -> a hash map from the exact path,
//   prefix -> a radix tree (PrefixTree), visited along the request path,
//   regex  -> one RE2::Set over all regex routes, matched in a single pass.
// Every index hands out candidate lists in ascending route order. Match keeps the lowest
// index whose method and header conditions accept; a list is abandoned as soon as it
// reaches that index, and the regex set is not run at all when its first route comes
// after the best candidate so far. So the cost is bounded by the path length and by how
// many routes share a path key but are rejected by their method/header conditions, not
// by the number of routes.
//
// Immutable once built; Match is safe to call from many threads (RE2 and RE2::Set are
// thread-safe for matching). Match allocates only when regex routes must be consulted.
#ifndef SWITCHYARD_DATAPLANE_ROUTER_VIRTUAL_HOST_ROUTES_H_
#define SWITCHYARD_DATAPLANE_ROUTER_VIRTUAL_HOST_ROUTES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "dataplane/router/prefix_tree.h"
#include "dataplane/router/request_matcher.h"
#include "dataplane/router/route.h"
#include "re2/re2.h"
#include "re2/set.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::router {

class VirtualHostRoutes {
 public:
  using ClusterIndex = absl::flat_hash_map<std::string, uint32_t>;

  // Compiles `vhost`'s routes. INVALID_ARGUMENT, with a message starting with `path`
  // (e.g. "virtual_hosts[api]"), for what cannot be compiled: a route without path
  // condition or cluster, a cluster missing from `cluster_index`, a weight of 0, a
  // negative or malformed timeout, a regex RE2 rejects. The routes get Route::index
  // `first_index`, `first_index` + 1, ...
  static absl::StatusOr<std::unique_ptr<VirtualHostRoutes>> Build(const v1::VirtualHost& vhost,
                                                                  const ClusterIndex& cluster_index,
                                                                  std::string_view path,
                                                                  uint32_t first_index = 0);

  // The first route, in declared order, that accepts the request; nullptr if none does.
  // request.host is not looked at.
  const Route* Match(const RequestView& request) const;

 private:
  static constexpr uint32_t kNoRoute = UINT32_MAX;

  struct Entry {
    Route route;
    RequestMatcher matcher;
  };

  VirtualHostRoutes() = default;

  // The first candidate in `candidates` (ascending) below *best that accepts; updates
  // *best.
  void Consider(const std::vector<uint32_t>& candidates, const RequestView& request,
                uint32_t* best) const;
  void ConsiderRegexRoutes(const RequestView& request, uint32_t* best) const;

  std::vector<Entry> routes_;
  absl::flat_hash_map<std::string, std::vector<uint32_t>> exact_paths_;
  PrefixTree prefixes_;
  // Regex routes: regex_routes_[i] is the route index of pattern i in regex_set_ and of
  // regexes_[i] (kept for when the set's DFA runs out of memory).
  std::vector<uint32_t> regex_routes_;
  std::vector<std::unique_ptr<RE2>> regexes_;
  std::unique_ptr<RE2::Set> regex_set_;
};

}  // namespace switchyard::router

#endif  // SWITCHYARD_DATAPLANE_ROUTER_VIRTUAL_HOST_ROUTES_H_
