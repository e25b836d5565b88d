// One request, from its decoded head to its end, whatever the protocol (Envoy's active
// stream). The codec fills context() and calls Run with itself as the Downstream; the
// stream pins the snapshot, runs the phases (phase_chain.h), drives the upstream request,
// relays the response, enforces the request's deadlines, and ends at one exit (End),
// which records how the request ended and runs every phase's request-end hook exactly
// once, however the request ended.
//
// Deadlines: the stream keeps one deadline and what it waits for; the connection's sweep
// calls Sweep(now), which on a passed deadline cancels what is pending so the coroutine
// sees the timeout and answers (503, 504, 408) or gives up. A gRPC call with a
// grpc-timeout also has a whole-call deadline, from its headers to the end of its
// response (so streaming calls are bounded too): DEADLINE_EXCEEDED before the response
// began, a cut stream after; upstream it is sent what remains of it (docs/grpc.md). Times come from
// the worker's Clock, so tests drive them with a ManualClock.
//
// A Stream is reused from request to request (its strings, maps and parser keep their
// storage); the worker keeps idle ones in a free list so an idle connection holds none.
// Used on one worker thread.
#ifndef SWITCHYARD_DATAPLANE_PROXY_STREAM_H_
#define SWITCHYARD_DATAPLANE_PROXY_STREAM_H_

#include <chrono>
#include <optional>
#include <string>

#include "dataplane/http/header_map.h"
#include "dataplane/http/message_parser.h"
#include "dataplane/io/io_types.h"
#include "dataplane/proxy/downstream.h"
#include "dataplane/proxy/pending_phase.h"
#include "dataplane/proxy/phase_chain.h"
#include "dataplane/proxy/request_context.h"
#include "dataplane/proxy/worker_services.h"
#include "dataplane/upstream/upstream_request.h"

namespace switchyard::proxy {

struct StreamOptions {
  // Applied to upstream response heads.
  http::ParserLimits limits;
  // A body transfer with no progress in either direction ends after this long.
  time::Duration idle_timeout = std::chrono::seconds(60);
};

// What the stream leaves for the codec to decide about the connection.
struct StreamResult {
  // The connection's state is unknown (a request or response was cut): close it.
  bool close = false;
};

class Stream {
 public:
  Stream(const io::Executor& executor, const PhaseChain& phases, WorkerServices& services,
         const StreamOptions& options);
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // The codec fills the request head here before Run.
  RequestContext& context() { return ctx_; }

  // Serves the request in context() to its end. Returns after the response (or local
  // reply) has been sent and every request-end hook ran.
  io::Awaitable<StreamResult> Run(Downstream& downstream);

  // Enforces the deadline; called by the connection's sweep with the worker's time.
  void Sweep(time::MonotonicTime now);
  // Abandons the request now (worker shutdown): pending operations fail, Run ends.
  void Abort();

  // Prepares for the next request (the context is reset, the snapshot unpinned).
  void Reset();

 private:
  enum class Wait {
    kNothing,
    kPhase,           // a pending phase: 504 phase_timeout
    kConnect,         // 503
    kResponseHeader,  // the route's timeout: 504
    kStreamProgress,  // a body transfer stalled: 408 if no response began, else cut
    kBodyRate,        // the request body is slower than the route's minimum rate: 408
    kCallDeadline,    // a gRPC call's grpc-timeout: DEADLINE_EXCEEDED, or cut if started
  };
  enum class Hook { kRequestHeaders, kChooseUpstream, kResponseHeaders, kResponseTrailers };

  time::MonotonicTime Now() const { return services_.clock.Now(); }
  void Expect(Wait wait, time::Duration within) {
    wait_ = wait;
    deadline_ = Now() + within;
  }
  void ExpectNothing() {
    wait_ = Wait::kNothing;
    deadline_ = time::MonotonicTime::max();
  }
  void OnDeadline();
  // The gRPC call's own deadline passed: everything pending ends now.
  void OnCallDeadline();
  // Starts the call's deadline from its grpc-timeout, for a gRPC request that has one.
  void StartCallDeadline();
  // The route's request body limit; 0 (none) when a phase chose a cluster without a route.
  uint64_t RequestBodyLimit() const {
    return ctx_.route != nullptr ? ctx_.route->max_request_body_bytes : 0;
  }

  PhaseStatus RunHook(Hook hook, size_t from, size_t& at);
  // Waits for the pending phase at `at` and runs the rest of the hook; the common path
  // (no phase pending) never enters here.
  io::Awaitable<PhaseStatus> CompletePending(Hook hook, size_t at);

  io::Awaitable<void> PumpRequestBody();
  // After a 101 to a WebSocket upgrade: relays bytes both ways until both sides ended, an
  // error, or the idle timeout (docs/websocket.md).
  io::Awaitable<StreamResult> RunTunnel();
  // The tunnel's client-to-upstream direction.
  io::Awaitable<void> PumpTunnel();
  // Runs a request-body-side hook (`hook(phase)`) on the phases, waiting on the pump's
  // waiter for pending ones. kStop when one stopped or did not resume.
  template <typename HookFn>
  io::Awaitable<PhaseStatus> RunPumpHook(HookFn hook);
  // Ends a running pump and waits for it. Callers check pump_running_ first: a
  // coroutine frame per request just to learn that there is no pump is measurable.
  io::Awaitable<void> StopPump();
  io::Awaitable<StreamResult> ReplyAndEnd(const http::LocalReply& reply, bool close);
  // The one exit: records the end, runs the request-end hooks.
  StreamResult End(StreamEnd end, bool close);
  http::LocalReply UpstreamFailure(bool upstream_sent_nothing) const;
  // For a WebSocket whose handshake the gateway made (tunnel_only: the client spoke
  // HTTP/2), whether the upstream's 101 carries the Sec-WebSocket-Accept of our key, as
  // RFC 6455 4.1 asks a client to check. Other clients check their own.
  bool UpstreamAcceptedOurKey() const;

  io::Executor executor_;
  const PhaseChain& phases_;
  WorkerServices& services_;
  const StreamOptions& options_;
  RequestContext ctx_;
  http::HeaderMap response_headers_;
  upstream::UpstreamRequest upstream_;
  PendingPhase main_wait_;
  PendingPhase pump_wait_;
  Downstream* downstream_ = nullptr;

  Wait wait_ = Wait::kNothing;
  time::MonotonicTime deadline_ = time::MonotonicTime::max();
  // A gRPC call's whole-call deadline (its grpc-timeout), beside the deadline above, which
  // follows what the stream waits for; max when the call has none.
  time::MonotonicTime call_deadline_ = time::MonotonicTime::max();
  // What the stream was waiting for when its deadline passed; kNothing if it has not.
  Wait timed_out_ = Wait::kNothing;
  time::MonotonicTime next_client_check_{};
  time::Duration route_timeout_{};
  // The route's idle timeout for body transfers (the proxy's unless the route sets one).
  time::Duration stream_idle_{};
  time::MonotonicTime body_start_{};
  bool body_too_large_ = false;
  int response_status_ = 0;
  bool upstream_active_ = false;
  bool client_gone_ = false;
  bool response_started_ = false;
  bool pump_running_ = false;
  bool pump_ok_ = false;
  bool pump_malformed_ = false;
  bool pump_stopped_by_phase_ = false;
  std::optional<io::SteadyTimer> pump_done_;
};

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_STREAM_H_
