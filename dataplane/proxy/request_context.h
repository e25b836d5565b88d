// What the phases know about one request, from its decoded headers to how it ended. The
// codec fills the first block, the phases fill theirs, and the stream records the outcome
// before the request-end hook. One context per request, used on one worker thread; a
// Stream reuses its context from request to request, so a warm one allocates nothing.
#ifndef SWITCHYARD_DATAPLANE_PROXY_REQUEST_CONTEXT_H_
#define SWITCHYARD_DATAPLANE_PROXY_REQUEST_CONTEXT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "dataplane/http/header_map.h"
#include "dataplane/http/local_reply.h"
#include "dataplane/io/io_types.h"
#include "dataplane/proxy/phase_slots.h"
#include "dataplane/proxy/worker_services.h"
#include "dataplane/runtime/runtime_config.h"
#include "dataplane/time/clock.h"

namespace switchyard::tls {
struct ServedCertificate;  // dataplane/tls/certificate_set.h
struct ClientIdentity;     // dataplane/tls/client_identity.h
}  // namespace switchyard::tls

namespace switchyard::auth {
struct Consumer;  // dataplane/auth/auth_config.h
}  // namespace switchyard::auth

namespace switchyard::proxy {

class PhaseWaiter;

// How a request ended. Every request ends exactly one way, recorded at the stream's one
// exit before the request-end hook runs.
enum class StreamEnd {
  kNone,              // still running
  kCompleted,         // the upstream's response was relayed in full
  kLocalReply,        // the gateway answered (a phase stopped it, or a failure before the
                      // response head became a 4xx/5xx)
  kClientGone,        // the client reset or went away before the response was complete
  kUpstreamFailed,    // the upstream failed after the response head: the client saw a cut body
  kCutByPhase,        // a phase stopped at the response trailers: the client saw a cut body
  kDeadlineExceeded,  // a gRPC call's grpc-timeout passed after the response began: cut
};

std::string_view StreamEndName(StreamEnd end);

// What the request-end hook sees: status, sizes and times.
struct RequestRecord {
  StreamEnd end = StreamEnd::kNone;
  // The status sent to the client; 0 if nothing was sent.
  int status = 0;
  // The local reply's error code when the gateway answered, else empty.
  std::string_view local_reply_error;
  // Body bytes received from the client and sent to it (framing not counted).
  uint64_t request_body_bytes = 0;
  uint64_t response_body_bytes = 0;
  // From the worker's timing clock (real time). A stage that was not reached keeps the
  // epoch (zero).
  time::MonotonicTime start{};
  time::MonotonicTime upstream_connected{};
  time::MonotonicTime response_head{};
  time::MonotonicTime finish{};
};

struct RequestContext {
  // Set by the codec before the phases run.
  std::string_view client_ip;
  std::string_view scheme = "http";  // "https" on --listen_tls
  // The certificate the connection's TLS handshake chose; null on plaintext. A request
  // for a host that another certificate covers gets 421 (docs/tls.md).
  const tls::ServedCertificate* tls_certificate = nullptr;
  // The client certificate that connection verified (mTLS; docs/tls.md, "Client
  // certificates"); null when there is none. For policies, and passed upstream when the
  // certificate says forward_identity.
  const tls::ClientIdentity* client_identity = nullptr;
  std::string_view protocol = "HTTP/1.1";
  std::string method;
  std::string target;     // origin-form: path and query, normalized for routing
  std::string authority;  // Host (HTTP/1) as the client sent it, before any rewrite
  int version = 11;
  http::HeaderMap headers;
  // The snapshot this request runs on from start to end, even if a newer one is swapped in.
  std::shared_ptr<const runtime::RuntimeConfig> config;
  // The worker's services; never null while the request runs.
  WorkerServices* services = nullptr;
  // The worker's executor, for a phase that starts work of its own (a call to an external
  // authorization service); never null while the request runs.
  const io::Executor* executor = nullptr;

  // Set by the codec: the client asks to turn the request into a WebSocket tunnel
  // (http::WantsWebSocketUpgrade, and no body). Honoured on routes with `websocket`.
  bool websocket_upgrade = false;
  // Set by the codec: the request means nothing but a tunnel (HTTP/2's CONNECT, RFC 8441's
  // extended CONNECT among them), so it is never served as an ordinary request: only a
  // WebSocket (websocket_upgrade too) on a route with `websocket` is tunnelled, anything
  // else gets a local reply (docs/websocket.md, "Over HTTP/2").
  bool tunnel_only = false;
  // Set by the stream before the phases: the request is a gRPC call (its content-type is
  // application/grpc), so the gateway's own replies are gRPC statuses.
  bool grpc = false;

  // Filled by the phases.
  std::string request_id;
  // The W3C trace id in force (http/trace_context.h): 32 lowercase hex digits.
  std::string trace_id;
  const router::Route* route = nullptr;
  const runtime::Cluster* cluster = nullptr;
  std::string upstream_target;
  // Who the auth phase authenticated; null when the route's policy needs no credential
  // or there is none.
  const auth::Consumer* consumer = nullptr;
  // The target as the access log shows it when it differs from `target`: with a
  // credential in the query redacted. Empty: `target`.
  std::string logged_target;
  // Set by the phase (or the stream) that stops the request.
  http::LocalReply local_reply;
  // Phases' own per-request state.
  PhaseSlots slots;
  // Set by the stream before each hook: who a pending phase resumes (phase.h, Suspend).
  PhaseWaiter* waiter = nullptr;

  // Set by the upstream request: the endpoint it chose last (a retry may choose again).
  const runtime::Endpoint* endpoint = nullptr;
  // Filled by the stream for the request-end hook.
  RequestRecord record;

  // Prepares the context for the next request. Strings, the header map and the slot
  // table keep their storage.
  void Reset() {
    method.clear();
    target.clear();
    authority.clear();
    version = 11;
    headers.clear();
    config.reset();
    grpc = false;
    websocket_upgrade = false;
    tunnel_only = false;
    request_id.clear();
    trace_id.clear();
    route = nullptr;
    cluster = nullptr;
    upstream_target.clear();
    consumer = nullptr;
    logged_target.clear();
    local_reply.status = 0;
    local_reply.error = {};
    local_reply.message.clear();
    local_reply.headers.clear();
    slots.Clear();
    endpoint = nullptr;
    record = {};
  }
};

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_REQUEST_CONTEXT_H_
