#include "dataplane/router/route.h"

namespace switchyard::router {

void RewritePath(const Route& route, std::string_view path_and_query, std::string& out) {
  if (route.prefix_rewrite.empty() || route.matched_prefix.empty() ||
      !path_and_query.starts_with(route.matched_prefix)) {
    out.assign(path_and_query);
    return;
  }
  const std::string_view rest = path_and_query.substr(route.matched_prefix.size());
  out.assign(route.prefix_rewrite);
  out.append(rest);
}

std::string RewritePath(const Route& route, std::string_view path_and_query) {
  std::string out;
  RewritePath(route, path_and_query, out);
  return out;
}

}  // namespace switchyard::router
