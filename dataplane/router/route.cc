#include "dataplane/router/route.h"

namespace switchyard::router {

std::string RewritePath(const Route& route, std::string_view path_and_query) {
  if (route.prefix_rewrite.empty() || route.matched_prefix.empty() ||
      !path_and_query.starts_with(route.matched_prefix)) {
    return std::string(path_and_query);
  }
  std::string out;
  const std::string_view rest = path_and_query.substr(route.matched_prefix.size());
  out.reserve(route.prefix_rewrite.size() + rest.size());
  out.append(route.prefix_rewrite);
  out.append(rest);
  return out;
}

}  // namespace switchyard::router
