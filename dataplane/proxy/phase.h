// A phase: one policy step every request passes through (authentication, rate limits,
// header changes, metrics, the access log, ...). Pingora's ProxyHttp hooks in Envoy's
// filter order: each hook defaults to "continue", so a phase overrides only what it needs,
// and the codecs and the router never learn that phases exist.
//
// Hooks run on the worker's thread, in the phases' order, and must not block. Each returns
//   kContinue  the next phase's hook runs;
//   kStop      the request ends with ctx.local_reply, which the phase has set (status,
//              error code, message, and any headers such as WWW-Authenticate);
//   kPending   the phase has called Suspend(ctx) and will call Resume() on the handle
//              later, on the worker's thread, with kContinue or kStop. The stream waits
//              without blocking the worker; the request's deadline still runs, and if the
//              request ends meanwhile Resume() does nothing.
// A hook that answers at once costs one virtual call: no coroutine frame, no allocation.
// Only a phase that really waits pays for the wait (one small handle).
//
// Phases are immutable and shared by all workers; per-request state goes in ctx.slots,
// per-worker state in ctx.services.
#ifndef SWITCHYARD_DATAPLANE_PROXY_PHASE_H_
#define SWITCHYARD_DATAPLANE_PROXY_PHASE_H_

#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include "dataplane/http/header_map.h"
#include "dataplane/proxy/request_context.h"
#include "dataplane/time/clock.h"

namespace switchyard::proxy {

enum class PhaseStatus { kContinue, kStop, kPending };

// The final response head as the upstream sent it; phases may change both.
struct ResponseHead {
  int& status;
  http::HeaderMap& headers;
};

class Phase {
 public:
  virtual ~Phase() = default;
  virtual std::string_view name() const = 0;

  // The request head is decoded; nothing has been sent upstream.
  virtual PhaseStatus OnRequestHeaders(RequestContext& /*ctx*/) const {
    return PhaseStatus::kContinue;
  }
  // A piece of the request body (`end_of_body` on the last one, which may be empty),
  // before it is forwarded. Stopping here abandons the upstream request; a local reply is
  // sent if the response has not begun.
  virtual PhaseStatus OnRequestBody(RequestContext& /*ctx*/, std::string_view /*piece*/,
                                    bool /*end_of_body*/) const {
    return PhaseStatus::kContinue;
  }
  // Trailers after the request body, when there are any (HTTP/1.1 chunked trailers; HTTP/2
  // and gRPC later). Runs once, after the last body piece; trailers are not forwarded.
  virtual PhaseStatus OnRequestTrailers(RequestContext& /*ctx*/,
                                        http::HeaderMap& /*trailers*/) const {
    return PhaseStatus::kContinue;
  }
  // After the request-head phases: sets ctx.cluster (and may rewrite the target). The
  // upstream request then picks an endpoint of that cluster, again for every retry.
  virtual PhaseStatus ChooseUpstream(RequestContext& /*ctx*/) const {
    return PhaseStatus::kContinue;
  }
  // The final response head arrived and nothing has been sent to the client yet.
  // Stopping replaces the upstream's response with ctx.local_reply.
  virtual PhaseStatus OnResponseHeaders(RequestContext& /*ctx*/, ResponseHead& /*head*/) const {
    return PhaseStatus::kContinue;
  }
  // Trailers after the response body, when there are any (HTTP/1.1 chunked trailers), before
  // the body's end goes to the client. The response has begun, so kStop here only cuts it
  // (the request ends as kCutByPhase). Trailers are not forwarded.
  virtual PhaseStatus OnResponseTrailers(RequestContext& /*ctx*/,
                                         http::HeaderMap& /*trailers*/) const {
    return PhaseStatus::kContinue;
  }
  // The gateway is about to send one of its own answers (`reply`, from any phase or the
  // stream) instead of an upstream response: a phase may add headers that every response
  // of the request should carry (CORS adds its own, so that a page can read a 401). Runs
  // on every phase, in order; it cannot stop anything.
  virtual void OnLocalReply(const RequestContext& /*ctx*/, http::LocalReply& /*reply*/) const {}
  // The request ended, however it ended (ctx.record says how). Runs exactly once per
  // request on every phase, including phases whose earlier hooks never ran.
  virtual void OnRequestEnd(const RequestContext& /*ctx*/) const {}
};

class ResumeHandle;

// The receiving end of a phase's Resume: implemented by the stream.
class PhaseWaiter {
 public:
  // A new handle for the phase about to return kPending.
  virtual std::shared_ptr<ResumeHandle> Suspend() = 0;
  virtual void OnPhaseResumed(PhaseStatus status) = 0;

 protected:
  ~PhaseWaiter() = default;
};

// Handed to a phase that returns kPending. Call Resume exactly once, on the worker's
// thread; further calls, and calls after the request ended, do nothing.
class ResumeHandle {
 public:
  explicit ResumeHandle(PhaseWaiter* waiter) : waiter_(waiter) {}

  // kContinue, or kStop with ctx.local_reply set. kPending is treated as kStop.
  void Resume(PhaseStatus status) {
    PhaseWaiter* waiter = waiter_;
    waiter_ = nullptr;
    if (waiter != nullptr) waiter->OnPhaseResumed(status);
  }
  // False once the request has ended (or Resume was called): the phase may drop its work.
  bool waiting() const { return waiter_ != nullptr; }

  // For a phase whose wait is work of its own (a call to another service): how to stop
  // that work. `cancel` runs once, on the worker's thread, when `deadline` (the worker's
  // clock) passes while the request still waits, or when the request stops waiting first
  // (the stream's own deadline, the client gone, the worker stopping). The work then ends
  // and the phase resumes as it decides (a failure mode), or, when the request is gone,
  // just finishes. Call ClearCancel before whatever `cancel` refers to goes away.
  void SetCancel(time::MonotonicTime deadline, std::function<void()> cancel) {
    cancel_deadline_ = deadline;
    cancel_ = std::move(cancel);
  }
  void ClearCancel() { cancel_ = nullptr; }

  // The stream calls these: from its sweep, and at the request's end.
  void Expire(time::MonotonicTime now) {
    if (cancel_ != nullptr && now >= cancel_deadline_) RunCancel();
  }
  void Detach() {
    waiter_ = nullptr;
    RunCancel();
  }

 private:
  void RunCancel() {
    if (cancel_ == nullptr) return;
    std::function<void()> cancel = std::move(cancel_);
    cancel_ = nullptr;
    cancel();
  }

  PhaseWaiter* waiter_;
  time::MonotonicTime cancel_deadline_ = time::MonotonicTime::max();
  std::function<void()> cancel_;
};

// For a hook about to return kPending: the handle to resume the request with. One
// allocation, on this path only.
inline std::shared_ptr<ResumeHandle> Suspend(RequestContext& ctx) { return ctx.waiter->Suspend(); }

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_PHASE_H_
