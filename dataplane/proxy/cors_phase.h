// The "cors" phase (docs/cors.md): cross-origin resource sharing on routes whose CORS
// policy (their own, else their virtual host's; runtime::CorsPolicy) is set.
//
// A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered by the
// gateway itself and never reaches the upstream: 204 with Access-Control-Allow-Origin,
// -Methods, -Headers, -Max-Age, -Credentials and Vary: Origin when the origin, the method
// and every requested header are allowed; otherwise 403 cors_forbidden, without CORS
// headers, so the browser refuses the actual request. It runs after routing (it needs
// the route) and before auth, so a protected route's preflight, which carries no
// credential, never gets 401.
//
// On other requests the phase adds, to the upstream's response, Access-Control-Allow-Origin
// (and -Credentials, -Expose-Headers) when the request's Origin is allowed. On a route
// with a policy the gateway owns these headers: the upstream's access-control-* response
// headers are removed, and every response gets Vary: Origin, since it depends on it.
#ifndef SWITCHYARD_DATAPLANE_PROXY_CORS_PHASE_H_
#define SWITCHYARD_DATAPLANE_PROXY_CORS_PHASE_H_

#include <memory>
#include <string_view>

#include "dataplane/proxy/phase.h"
#include "dataplane/runtime/runtime_config.h"

namespace switchyard::proxy {

std::unique_ptr<const Phase> MakeCorsPhase();

// Whether `policy` allows a request whose Origin header is `origin`: "*", an exact origin
// (case-insensitive), or "scheme://*.domain[:port]" for an origin of that scheme and port
// whose host is one label or more before ".domain".
bool CorsOriginAllowed(const runtime::CorsPolicy& policy, std::string_view origin);

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_CORS_PHASE_H_
