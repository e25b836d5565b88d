// External authorization (docs/auth.md, "External authorization"): the messages of Envoy's
// envoy.service.auth.v3.Authorization/Check as the gateway sends and reads them over gRPC.
// BuildCheckCall turns a request into the call; ReadCheckResponse turns the service's
// answer into a decision, treating the answer as hostile: a malformed message, a field
// that would smuggle a line break into a header, or a header the gateway owns (framing,
// hop-by-hop) is refused or skipped, never applied. Pure functions; the phase that waits
// for the call is dataplane/proxy/auth_phase.
#ifndef SWITCHYARD_DATAPLANE_AUTH_EXT_AUTHZ_H_
#define SWITCHYARD_DATAPLANE_AUTH_EXT_AUTHZ_H_

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/http/header_map.h"
#include "dataplane/tls/client_identity.h"

namespace switchyard::auth {

// A policy's ext_authz, compiled.
struct ExtAuthzConfig {
  std::string cluster;
  std::chrono::milliseconds timeout{200};
  bool failure_mode_allow = false;
  std::vector<std::pair<std::string, std::string>> context_extensions;
};

// The gRPC method path of the call.
inline constexpr std::string_view kCheckPath = "/envoy.service.auth.v3.Authorization/Check";
// An answer larger than this is an error (a CheckResponse is a few headers).
inline constexpr size_t kMaxCheckResponseBytes = 64 * 1024;
// The longest denied_response body kept for the reply's message.
inline constexpr size_t kMaxDeniedBodyBytes = 4 * 1024;

// What the service is told about the request (AttributeContext).
struct CheckInput {
  std::string_view request_id;
  std::string_view method;
  std::string_view target;  // path and query
  std::string_view host;
  std::string_view scheme;
  std::string_view protocol;  // "HTTP/1.1", "HTTP/2"
  const http::HeaderMap* headers = nullptr;
  std::string_view client_ip;
  // The request body's length when known, else -1.
  int64_t body_size = -1;
  const tls::ClientIdentity* client_identity = nullptr;
  const ExtAuthzConfig* config = nullptr;
};

// The call's gRPC request body: one length-prefixed, uncompressed CheckRequest.
std::string BuildCheckCall(const CheckInput& input);

// A header change the service asked for on an allowed request.
struct HeaderChange {
  enum class Action { kAppend, kAddIfAbsent, kOverwriteOrAdd, kOverwriteIfExists };
  std::string name;  // lower case
  std::string value;
  Action action = Action::kOverwriteOrAdd;
};

struct CheckDecision {
  enum class Outcome {
    kAllowed,
    kDenied,
    // No usable answer: `error` says why, and the policy's failure mode decides.
    kError,
  };
  Outcome outcome = Outcome::kError;
  std::string error;
  // kAllowed: applied to the request in order, then headers_to_remove.
  std::vector<HeaderChange> header_changes;
  std::vector<std::string> headers_to_remove;
  // kDenied: the reply's status (403 unless the service chose a 4xx or 5xx), headers and
  // the service's body (bounded) as its message.
  int status = 403;
  std::vector<std::pair<std::string, std::string>> reply_headers;
  std::string message;
};

// Reads the call's answer: `http_status` and `content_type` of its head, `grpc_status`
// (from its trailers, or its head for a trailers-only answer; null when absent) and
// `body`.
CheckDecision ReadCheckResponse(int http_status, const std::string* content_type,
                                const std::string* grpc_status, std::string_view body);

// Applies an allowed decision's changes to `headers`. Names the gateway owns (framing,
// hop-by-hop, host, x-switchyard-local-reply) were dropped by ReadCheckResponse.
void ApplyHeaderChanges(const CheckDecision& decision, http::HeaderMap& headers);

}  // namespace switchyard::auth

#endif  // SWITCHYARD_DATAPLANE_AUTH_EXT_AUTHZ_H_
