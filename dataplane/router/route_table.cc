#include "dataplane/router/route_table.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "dataplane/router/virtual_host_routes.h"

namespace switchyard::router {

RouteTable::RouteTable() = default;
RouteTable::~RouteTable() = default;

absl::StatusOr<std::unique_ptr<const RouteTable>> RouteTable::Build(
    const v1::Snapshot& snapshot, const absl::flat_hash_map<std::string, uint32_t>& cluster_index) {
  // Not make_unique: the constructor is private.
  std::unique_ptr<RouteTable> table(new RouteTable());
  table->virtual_hosts_.reserve(snapshot.virtual_hosts_size());
  uint32_t first_route_index = 0;
  for (int i = 0; i < snapshot.virtual_hosts_size(); ++i) {
    const v1::VirtualHost& vhost = snapshot.virtual_hosts(i);
    const std::string path = absl::StrCat("virtual_hosts[", vhost.name(), "]");
    for (const std::string& domain : vhost.domains()) {
      if (absl::Status s = table->domains_.Add(domain, static_cast<uint32_t>(i)); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(path, ".domains: ", s.message()));
      }
    }
    absl::StatusOr<std::unique_ptr<VirtualHostRoutes>> routes =
        VirtualHostRoutes::Build(vhost, cluster_index, path, first_route_index);
    if (!routes.ok()) return routes.status();
    first_route_index += static_cast<uint32_t>(vhost.routes_size());
    table->virtual_hosts_.push_back(*std::move(routes));
  }
  return std::unique_ptr<const RouteTable>(std::move(table));
}

const Route* RouteTable::Match(const RequestView& request) const {
  const uint32_t vhost = domains_.Find(request.host);
  if (vhost == DomainIndex::kNotFound) return nullptr;
  return virtual_hosts_[vhost]->Match(request);
}

}  // namespace switchyard::router
