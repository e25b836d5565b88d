// The control plane's guard against an apply that takes most routes down by mistake (an
// empty file, the wrong file): a snapshot with no route at all, or one that removes more
// than a configured fraction of the current routes, is refused unless the request says
// allow_mass_delete. Enforced by the server, so every client gets it.
#ifndef SWITCHYARD_CONTROLPLANE_ADMIN_ROUTE_REMOVAL_H_
#define SWITCHYARD_CONTROLPLANE_ADMIN_ROUTE_REMOVAL_H_

#include <cstddef>

#include "absl/status/status.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::controlplane {

struct RouteRemoval {
  size_t current_routes = 0;
  size_t next_routes = 0;
  // Routes of `current` that `next` does not have (a route is its virtual host's name and
  // its own name, both unique in a valid snapshot).
  size_t removed = 0;
};

// `current` is null when nothing is stored yet.
RouteRemoval CountRouteRemoval(const switchyard::v1::Snapshot* current,
                               const switchyard::v1::Snapshot& next);

// OK, or INVALID_ARGUMENT saying what would be removed and how to go ahead, when `next`
// has no route, or removes more than `max_fraction` (0..1) of `current`'s routes.
absl::Status CheckRouteRemoval(const switchyard::v1::Snapshot* current,
                               const switchyard::v1::Snapshot& next, double max_fraction);

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_ADMIN_ROUTE_REMOVAL_H_
