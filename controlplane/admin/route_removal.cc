#include "controlplane/admin/route_removal.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace switchyard::controlplane {
namespace {

constexpr char kHowToGoAhead[] =
    "nothing was stored; if this is intended, apply again with --allow-mass-delete";

std::string RouteKey(const std::string& virtual_host, const std::string& route) {
  return absl::StrCat(virtual_host.size(), ":", virtual_host, "/", route);
}

size_t CountRoutes(const switchyard::v1::Snapshot& snapshot) {
  size_t routes = 0;
  for (const auto& virtual_host : snapshot.virtual_hosts()) {
    routes += static_cast<size_t>(virtual_host.routes_size());
  }
  return routes;
}

}  // namespace

RouteRemoval CountRouteRemoval(const switchyard::v1::Snapshot* current,
                               const switchyard::v1::Snapshot& next) {
  RouteRemoval removal;
  removal.next_routes = CountRoutes(next);
  if (current == nullptr) return removal;
  absl::flat_hash_set<std::string> kept;
  for (const auto& virtual_host : next.virtual_hosts()) {
    for (const auto& route : virtual_host.routes()) {
      kept.insert(RouteKey(virtual_host.name(), route.name()));
    }
  }
  for (const auto& virtual_host : current->virtual_hosts()) {
    for (const auto& route : virtual_host.routes()) {
      ++removal.current_routes;
      if (!kept.contains(RouteKey(virtual_host.name(), route.name()))) ++removal.removed;
    }
  }
  return removal;
}

absl::Status CheckRouteRemoval(const switchyard::v1::Snapshot* current,
                               const switchyard::v1::Snapshot& next, double max_fraction) {
  const RouteRemoval removal = CountRouteRemoval(current, next);
  if (removal.next_routes == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("the snapshot has no route, so every request would get 404",
                     removal.current_routes > 0
                         ? absl::StrCat(" (the current version has ", removal.current_routes, ")")
                         : "",
                     "; ", kHowToGoAhead));
  }
  if (removal.current_routes > 0 &&
      static_cast<double>(removal.removed) >
          max_fraction * static_cast<double>(removal.current_routes)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the snapshot removes ", removal.removed, " of the current version's ",
        removal.current_routes, " routes, more than the control plane allows at once (",
        max_fraction * 100, "%, --max_route_removal_fraction); ", kHowToGoAhead));
  }
  return absl::OkStatus();
}

}  // namespace switchyard::controlplane
