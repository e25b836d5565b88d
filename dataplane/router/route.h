// What the router matches on (RequestView) and what a match yields (Route): the compiled,
// proxy-side form of switchyard.v1.Route. See route_table.h for the matcher itself.
#ifndef SWITCHYARD_DATAPLANE_ROUTER_ROUTE_H_
#define SWITCHYARD_DATAPLANE_ROUTER_ROUTE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/http/header_map.h"

namespace switchyard::router {

// The parts of a request that routing looks at. Views only: the caller keeps the request
// alive for the duration of RouteTable::Match.
struct RequestView {
  // As received; methods are case-sensitive (RFC 9110), so "get" does not match "GET".
  std::string_view method;
  // The Host header (or :authority) as received: any case, may carry ":port", may be an
  // IPv6 literal in brackets ("[::1]:8080"). Empty when the request has none.
  std::string_view host;
  // The path without the query, as received (no decoding or normalization here: that is
  // the codec's decision, made once for routing and forwarding alike).
  std::string_view path;
  // The request's headers; nullptr is treated as no headers.
  const http::HeaderMap* headers = nullptr;
};

struct WeightedClusterRef {
  // Index into the caller's cluster table (the map passed to RouteTable::Build).
  uint32_t cluster_index;
  uint32_t weight;
};

struct Route {
  std::string name;
  std::string virtual_host;
  // Position among all the table's routes, in snapshot order (0, 1, ...): per-worker state
  // such as metrics is kept in arrays indexed by it, so a request finds its route's
  // entry without a lookup by name.
  uint32_t index = 0;
  // The route's prefix for prefix routes, else empty.
  std::string matched_prefix;
  // Replaces matched_prefix when forwarding (prefix routes only); empty: no rewrite.
  std::string prefix_rewrite;
  // The Host header to send upstream; empty: keep the client's.
  std::string host_rewrite;
  // From arrival to the whole upstream response header. 0 means no timeout. A configured
  // timeout below 1ms is rounded up to 1ms, so that it never turns into "no timeout".
  std::chrono::milliseconds timeout{15'000};
  // Largest request body in bytes (413 beyond); 0: no limit.
  uint64_t max_request_body_bytes = 0;
  // Least average request-body rate before the response head (408 below); 0: none.
  uint32_t request_body_min_bytes_per_second = 1024;
  // No progress in either direction for this long ends a body transfer. Unset: the
  // proxy's --idle_timeout; 0: never.
  std::optional<std::chrono::milliseconds> idle_timeout;
  // One entry with weight 1 for a single cluster; the configured split otherwise. Every
  // weight is >= 1.
  std::vector<WeightedClusterRef> clusters;
  // Sum of the weights; >= 1.
  uint32_t total_weight = 0;
  // The fraction of requests the access log records, 0 to 1.
  double access_log_sample_rate = 1;
  // Whether /metrics has a latency histogram of this route's own (metrics.duration_histogram).
  bool duration_histogram = false;
  // WebSocket upgrades are tunnelled to the cluster (docs/websocket.md).
  bool websocket = false;
};

// The path (and query) to send upstream for a request that `route` matched: the leading
// matched_prefix replaced by prefix_rewrite. Unchanged when the route has no
// prefix_rewrite or `path_and_query` does not start with matched_prefix. The query is
// carried over as is. As in Envoy, prefix "/api" with rewrite "/" turns "/api/users"
// into "//users"; configure prefix "/api/" for "/users".
std::string RewritePath(const Route& route, std::string_view path_and_query);
// The same into `out` (replaced), which keeps its storage: the request path's form.
void RewritePath(const Route& route, std::string_view path_and_query, std::string& out);

}  // namespace switchyard::router

#endif  // SWITCHYARD_DATAPLANE_ROUTER_ROUTE_H_
