// The "auth" phase (docs/auth.md): after routing, the route's auth policy (its own or its
// virtual host's) decides. A missing or invalid credential (API key or JWT) gets 401 with
// WWW-Authenticate, a request the rules deny gets 403, each with its reason code in the
// local reply and the access log, never the credential. An allowed request goes upstream
// with the identity: x-switchyard-consumer (and -groups) for an API key,
// x-switchyard-subject and the policy's forward_claims for a JWT.
//
// On every routed request, policy or not: request headers whose names start with
// x-switchyard- are removed first. Those names are the gateway's, so a client cannot
// claim an identity the gateway did not verify.
#ifndef SWITCHYARD_DATAPLANE_PROXY_AUTH_PHASE_H_
#define SWITCHYARD_DATAPLANE_PROXY_AUTH_PHASE_H_

#include <memory>
#include <string_view>

#include "dataplane/http/header_map.h"
#include "dataplane/proxy/phase.h"

namespace switchyard::proxy {

// `xff_trusted_hops`: StandardPhaseOptions::xff_trusted_hops.
std::unique_ptr<const Phase> MakeAuthPhase(int xff_trusted_hops = 0);

// The address `hops` from the right of the X-Forwarded-For fields in `headers` (all of
// them, in order, as one comma-separated list), or empty when there are fewer addresses:
// then the request did not come through the trusted proxies, and rules on addresses hold
// for no one.
std::string_view ForwardedClientAddress(const http::HeaderMap& headers, int hops);

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_AUTH_PHASE_H_
