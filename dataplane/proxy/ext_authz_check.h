// The wait of the auth phase (docs/auth.md, "External authorization"): one call to the
// policy's authorization service, on the worker's thread, while the worker serves other
// requests. The call goes through the policy's cluster (UpstreamCall: its pool, its
// HTTP/2 connection shared with the worker's other checks) and is bounded by the policy's
// timeout on the worker's clock (ResumeHandle::SetCancel), so a test drives it with a
// ManualClock. Its answer resumes the request: allowed, with the service's header
// changes; denied, with the service's reply; or, when there is no usable answer, as the
// policy's failure mode says (403 ext_authz_error, or through). Each outcome is counted
// (switchyard_ext_authz_checks_total) and each failure logged.
#ifndef SWITCHYARD_DATAPLANE_PROXY_EXT_AUTHZ_CHECK_H_
#define SWITCHYARD_DATAPLANE_PROXY_EXT_AUTHZ_CHECK_H_

#include "dataplane/auth/ext_authz.h"
#include "dataplane/proxy/phase.h"
#include "dataplane/proxy/request_context.h"

namespace switchyard::proxy {

// Starts the check of the request in `ctx` (its headers as they would go upstream) and
// returns kPending; or returns kStop or kContinue at once when the check cannot start
// (the policy's cluster is not in ctx.config, which validation rules out), as the
// failure mode says.
PhaseStatus StartExtAuthzCheck(RequestContext& ctx, const auth::ExtAuthzConfig& config);

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_EXT_AUTHZ_CHECK_H_
