#include "dataplane/proxy/ext_authz_check.h"

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "common/log.h"
#include "dataplane/http/grpc.h"
#include "dataplane/upstream/upstream_call.h"

namespace switchyard::proxy {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using metrics::ExtAuthzResult;

// At most one warning per worker this often: a service that is down fails every check.
constexpr std::chrono::seconds kWarningInterval{10};

// Whether to log a failure now: at most one warning per worker per interval, decided
// before the message is built (a service that is down fails every check).
bool ShouldWarn(WorkerServices& services) {
  thread_local time::MonotonicTime next_warning{};
  const time::MonotonicTime now = services.clock.Now();
  if (now < next_warning) return false;
  next_warning = now + kWarningInterval;
  return true;
}

// No usable answer: the failure mode decides, and says so in the log.
PhaseStatus Fail(RequestContext& ctx, const auth::ExtAuthzConfig& config, const std::string& why) {
  const bool allow = config.failure_mode_allow;
  if (ShouldWarn(*ctx.services)) {
    LogWarning(
        "external authorization through cluster '%s' failed (%s); %s the request "
        "(failure_mode_allow: %s)",
        config.cluster.c_str(), why.c_str(), allow ? "allowing" : "refusing",
        allow ? "true" : "false");
  }
  if (allow) {
    ctx.services->metrics.ExtAuthzCheck(ExtAuthzResult::kFailedOpen);
    return PhaseStatus::kContinue;
  }
  ctx.services->metrics.ExtAuthzCheck(ExtAuthzResult::kFailedClosed);
  ctx.local_reply = {403, "ext_authz_error", "the authorization service gave no usable answer"};
  return PhaseStatus::kStop;
}

PhaseStatus Decide(RequestContext& ctx, const auth::ExtAuthzConfig& config,
                   const auth::CheckDecision& decision) {
  switch (decision.outcome) {
    case auth::CheckDecision::Outcome::kAllowed:
      ctx.services->metrics.ExtAuthzCheck(ExtAuthzResult::kAllowed);
      auth::ApplyHeaderChanges(decision, ctx.headers);
      return PhaseStatus::kContinue;
    case auth::CheckDecision::Outcome::kDenied:
      ctx.services->metrics.ExtAuthzCheck(ExtAuthzResult::kDenied);
      ctx.local_reply = {decision.status, "ext_authz_denied",
                         decision.message.empty() ? "the authorization service refused the request"
                                                  : decision.message};
      for (const auto& [name, value] : decision.reply_headers) {
        ctx.local_reply.headers.Add(name, value);
      }
      return PhaseStatus::kStop;
    case auth::CheckDecision::Outcome::kError:
      break;
  }
  return Fail(ctx, config, decision.error);
}

// Clears the handle's cancel (which points into the frame below) however the frame ends,
// destroyed with a stopping worker's io_context included.
class CancelRegistration {
 public:
  CancelRegistration(ResumeHandle& handle, time::MonotonicTime deadline,
                     upstream::UpstreamCall& call)
      : handle_(handle) {
    handle_.SetCancel(deadline, [&call] { call.Cancel(); });
  }
  ~CancelRegistration() { handle_.ClearCancel(); }
  CancelRegistration(const CancelRegistration&) = delete;
  CancelRegistration& operator=(const CancelRegistration&) = delete;

 private:
  ResumeHandle& handle_;
};

// The call, from the worker's executor. `ctx` is touched only while `handle` waits: the
// request may end before this frame first runs, and at any co_await.
io::Awaitable<void> RunCheck(std::shared_ptr<ResumeHandle> handle, RequestContext* ctx,
                             WorkerServices* services, io::Executor executor,
                             std::shared_ptr<const runtime::RuntimeConfig> config,
                             const runtime::Cluster* cluster, const auth::ExtAuthzConfig* ext,
                             upstream::CallRequest request) {
  if (!handle->waiting()) co_return;
  upstream::UpstreamCall call(executor, {services->pool, services->endpoints, services->clock},
                              http::ParserLimits{}, auth::kMaxCheckResponseBytes);
  upstream::CallResponse response;
  error_code ec;
  {
    const CancelRegistration registration(*handle, services->clock.Now() + ext->timeout, call);
    ec = co_await call.Run(*config, *cluster, request, response);
  }
  if (!handle->waiting()) co_return;  // the request ended meanwhile
  PhaseStatus status;
  if (ec) {
    status = Fail(*ctx, *ext,
                  ec == net::error::operation_aborted
                      ? "timed out after " + std::to_string(ext->timeout.count()) + "ms"
                      : ec.message());
  } else {
    // A trailers-only answer (an error status, usually) has its grpc-status in the head.
    const std::string* grpc_status = response.trailers.Get("grpc-status");
    if (grpc_status == nullptr) grpc_status = response.headers.Get("grpc-status");
    status = Decide(*ctx, *ext,
                    auth::ReadCheckResponse(response.status, response.headers.Get("content-type"),
                                            grpc_status, response.body));
  }
  handle->Resume(status);
}

}  // namespace

PhaseStatus StartExtAuthzCheck(RequestContext& ctx, const auth::ExtAuthzConfig& config) {
  const int cluster = ctx.config->FindCluster(config.cluster);
  if (cluster < 0) return Fail(ctx, config, "no such cluster in the snapshot");
  upstream::CallRequest request{.method = "POST",
                                .target = std::string(auth::kCheckPath),
                                .body = auth::BuildCheckCall({
                                    .request_id = ctx.request_id,
                                    .method = ctx.method,
                                    .target = ctx.target,
                                    .host = ctx.authority,
                                    .scheme = ctx.scheme,
                                    .protocol = ctx.protocol,
                                    .headers = &ctx.headers,
                                    .client_ip = ctx.client_ip,
                                    .client_identity = ctx.client_identity,
                                    .config = &config,
                                })};
  request.headers.Add("content-type", "application/grpc");
  request.headers.Add("te", "trailers");
  request.headers.Add("grpc-timeout", http::FormatGrpcTimeout(config.timeout));
  if (!ctx.request_id.empty()) request.headers.Add("x-request-id", ctx.request_id);
  net::co_spawn(
      *ctx.executor,
      RunCheck(Suspend(ctx), &ctx, ctx.services, *ctx.executor, ctx.config,
               &ctx.config->clusters()[static_cast<size_t>(cluster)], &config, std::move(request)),
      net::detached);
  return PhaseStatus::kPending;
}

}  // namespace switchyard::proxy
