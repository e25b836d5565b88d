#include "dataplane/runtime/resource_store.h"

namespace switchyard::runtime {

std::string RouteResourceName(std::string_view virtual_host, std::string_view route) {
  std::string name;
  name.reserve(virtual_host.size() + 1 + route.size());
  name.append(virtual_host).append("/").append(route);
  return name;
}

void ResourceStore::Retain(absl::FunctionRef<bool(ResourceKind, std::string_view)> exists) {
  absl::erase_if(entries_,
                 [&](const auto& entry) { return !exists(entry.first.kind, entry.first.name); });
}

}  // namespace switchyard::runtime
