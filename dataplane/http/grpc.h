// The conventions of gRPC over HTTP/2 that the gateway itself applies (gRPC's
// PROTOCOL-HTTP2.md; docs/grpc.md): telling a gRPC call by its content-type, the status
// code its local replies stand for, grpc-message's encoding, and grpc-timeout.
#ifndef SWITCHYARD_DATAPLANE_HTTP_GRPC_H_
#define SWITCHYARD_DATAPLANE_HTTP_GRPC_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/http/header_map.h"

namespace switchyard::http {

// Whether a request with these headers is a gRPC call: its content-type is
// "application/grpc" (any case), alone or followed by "+" or ";". gRPC-Web, which frames
// its status in the body, is not.
bool IsGrpcRequest(const HeaderMap& headers);

// The gRPC status code (grpc/status.h) that stands for a local reply: by its error code
// where that says more than the HTTP status (any timeout is DEADLINE_EXCEEDED), else by
// `http_status` as gRPC's HTTP-to-gRPC mapping has it (404 UNIMPLEMENTED, 502/503
// UNAVAILABLE, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED), and 429 and size limits
// RESOURCE_EXHAUSTED; UNKNOWN otherwise.
int GrpcStatusFor(int http_status, std::string_view error);

// grpc-message's value for `message`: bytes outside 0x20..0x7e, and '%', percent-encoded.
std::string PercentEncodeGrpcMessage(std::string_view message);

// A grpc-timeout value: 1 to 8 ASCII digits and a unit (H, M, S, m, u, n). nullopt when
// malformed (the call then has no deadline of its own, as gRPC servers treat it).
std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(std::string_view value);

// `timeout` as a grpc-timeout value, in the finest unit whose count fits in 8 digits
// (rounded down; negative counts as 0).
std::string FormatGrpcTimeout(std::chrono::nanoseconds timeout);

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_GRPC_H_
