// The fixed sequence of phases every request passes through after its headers are
// decoded and before anything is sent upstream (docs/architecture.md draws it):
//
//   request id -> route -> [authenticate] -> [authorize] -> [rate limit]
//              -> header changes -> choose cluster -> choose endpoint
//
// Bracketed phases arrive with their features; they slot in here without touching the
// codecs or the router. A phase either continues or stops the request with a local reply.
// Phases are stateless and shared by all workers; per-worker state is in WorkerServices.
#ifndef SWITCHYARD_DATAPLANE_PROXY_REQUEST_PIPELINE_H_
#define SWITCHYARD_DATAPLANE_PROXY_REQUEST_PIPELINE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/proxy/request_context.h"

namespace switchyard::proxy {

enum class PhaseResult { kContinue, kStop };

class RequestPhase {
 public:
  virtual ~RequestPhase() = default;
  virtual std::string_view name() const = 0;
  // Runs on the worker's thread; must not block. On kStop, ctx.local_reply is set.
  virtual PhaseResult OnRequestHeaders(RequestContext& ctx, WorkerServices& services) const = 0;
};

struct PipelineOptions {
  // Added as "Via: 1.1 <via>" both ways; empty: no Via.
  std::string via;
};

class RequestPipeline {
 public:
  // The standard phases in their fixed order.
  static std::unique_ptr<const RequestPipeline> Standard(const PipelineOptions& options);

  explicit RequestPipeline(std::vector<std::unique_ptr<const RequestPhase>> phases)
      : phases_(std::move(phases)) {}

  // Runs the phases in order until one stops the request.
  PhaseResult Run(RequestContext& ctx, WorkerServices& services) const;

  const std::vector<std::unique_ptr<const RequestPhase>>& phases() const { return phases_; }

 private:
  std::vector<std::unique_ptr<const RequestPhase>> phases_;
};

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_REQUEST_PIPELINE_H_
