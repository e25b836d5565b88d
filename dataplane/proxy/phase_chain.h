// The phases of the proxy in their fixed order, and the loop that runs one hook across
// them. The stream calls Run for each hook; a hook that answers at once never leaves this
// loop, so the common path has no coroutine and no allocation. When a phase returns
// kPending, Run reports where it stopped, and the stream resumes from the next phase once
// the pending one says continue.
#ifndef SWITCHYARD_DATAPLANE_PROXY_PHASE_CHAIN_H_
#define SWITCHYARD_DATAPLANE_PROXY_PHASE_CHAIN_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/http/path_normalizer.h"
#include "dataplane/proxy/phase.h"

namespace switchyard::proxy {

struct StandardPhaseOptions {
  // Added as "Via: 1.1 <via>" to requests; empty: no Via.
  std::string via;
  // How request paths are normalized before routing and forwarding.
  http::PathNormalizationOptions paths;
  // Auth rules' client address: 0, the peer's (or the PROXY protocol's); N, the Nth
  // address from the right of X-Forwarded-For as received, when N proxies the operator
  // trusts each appended one (--xff_trusted_hops; docs/auth.md).
  int xff_trusted_hops = 0;
  // false leaves the metrics phase out (tools/bench/observability_cost measures its cost
  // this way; the proxy always counts).
  bool metrics = true;
};

class PhaseChain {
 public:
  explicit PhaseChain(std::vector<std::unique_ptr<const Phase>> phases)
      : phases_(std::move(phases)) {}

  // The gateway's own phases: request id, path normalization, route, header changes,
  // choose cluster
  // (docs/architecture.md lists them in order; later features insert theirs).
  static std::vector<std::unique_ptr<const Phase>> StandardPhases(
      const StandardPhaseOptions& options);

  // Runs `hook(phase)` on the phases from index `from` on, while they continue. Returns
  // kContinue when all did; otherwise the status of the phase that did not, with `at` set
  // to its index (resume a kPending one from at + 1).
  template <typename Hook>
  PhaseStatus Run(size_t from, size_t& at, Hook&& hook) const {
    for (size_t i = from; i < phases_.size(); ++i) {
      const PhaseStatus status = hook(*phases_[i]);
      if (status != PhaseStatus::kContinue) {
        at = i;
        return status;
      }
    }
    at = phases_.size();
    return PhaseStatus::kContinue;
  }

  // The request-end hook on every phase.
  void RunLocalReply(const RequestContext& ctx, http::LocalReply& reply) const {
    for (const auto& phase : phases_) phase->OnLocalReply(ctx, reply);
  }
  void RunRequestEnd(const RequestContext& ctx) const {
    for (const auto& phase : phases_) phase->OnRequestEnd(ctx);
  }

  size_t size() const { return phases_.size(); }
  const Phase& phase(size_t index) const { return *phases_[index]; }

 private:
  std::vector<std::unique_ptr<const Phase>> phases_;
};

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_PHASE_CHAIN_H_
