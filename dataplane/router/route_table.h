// The proxy's compiled route table: from a request's Host, path, method and headers to
// the route that serves it (docs/architecture.md, "Life of a request").
//
// Contract (snapshot.proto is the source of the rules):
// - Virtual host by Host header: port ignored (also for "[v6]:port"), case-insensitive,
//   one trailing dot ignored ("example.com." is example.com). An exact domain wins, then
//   the longest matching "*.suffix" (which needs at least one label before the suffix),
//   then "*". No match: Match returns nullptr (a 404 for the caller).
// - Route: the first route in declared order whose path condition (exact path, prefix,
//   or RE2 full match; all case-sensitive, on the path as received, query excluded),
//   methods and header matchers all accept the request. The kind of path condition
//   gives no precedence: an earlier prefix route beats a later exact route.
//
// Cost: matching does not grow with the number of routes (see virtual_host_routes.h):
// hash lookups for the host and exact paths, a radix-tree walk along the path for
// prefixes, one RE2::Set pass for regex routes when one of them could still win. Match
// allocates nothing unless regex routes are consulted (or a header named by a matcher
// appears more than once).
//
// Thread-safety: a RouteTable is immutable after Build. One instance is shared by all
// worker threads (behind the snapshot's shared_ptr<const ...>) and Match may be called
// concurrently without locks. Returned Route pointers live as long as the table.
#ifndef SWITCHYARD_DATAPLANE_ROUTER_ROUTE_TABLE_H_
#define SWITCHYARD_DATAPLANE_ROUTER_ROUTE_TABLE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "dataplane/router/domain_index.h"
#include "dataplane/router/route.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::router {

class VirtualHostRoutes;

class RouteTable {
 public:
  // Compiles the snapshot's virtual hosts and routes. `cluster_index` maps every cluster
  // name to its index in the caller's cluster table; Route::clusters carries those
  // indexes.
  //
  // The snapshot should have passed config::ValidateSnapshot, which explains problems
  // best. Build still refuses, with INVALID_ARGUMENT naming the virtual host and route,
  // whatever it cannot compile into an unambiguous table: a domain in two virtual hosts,
  // a route without a path condition or cluster, a cluster not in `cluster_index`, a
  // weight of 0, a negative timeout, an invalid regex. It does not repeat the purely
  // syntactic checks (names, domain spelling, ...).
  static absl::StatusOr<std::unique_ptr<const RouteTable>> Build(
      const v1::Snapshot& snapshot,
      const absl::flat_hash_map<std::string, uint32_t>& cluster_index);

  ~RouteTable();
  RouteTable(const RouteTable&) = delete;
  RouteTable& operator=(const RouteTable&) = delete;

  // The route for `request`; nullptr when no virtual host or no route matches.
  const Route* Match(const RequestView& request) const;

 private:
  RouteTable();

  DomainIndex domains_;
  std::vector<std::unique_ptr<const VirtualHostRoutes>> virtual_hosts_;
};

}  // namespace switchyard::router

#endif  // SWITCHYARD_DATAPLANE_ROUTER_ROUTE_TABLE_H_
