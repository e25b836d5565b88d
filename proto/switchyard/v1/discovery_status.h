// How a discovery stream ends when its control plane shuts down on purpose (SIGTERM):
// UNAVAILABLE with this exact message. A proxy that sees it connects to its next
// control-plane address at once, without the reconnect backoff that a failure earns
// (docs/operations.md, "Control plane restarts").
#ifndef SWITCHYARD_PROTO_SWITCHYARD_V1_DISCOVERY_STATUS_H_
#define SWITCHYARD_PROTO_SWITCHYARD_V1_DISCOVERY_STATUS_H_

namespace switchyard::v1 {

inline constexpr char kControlPlaneGoingAway[] = "the control plane is shutting down";

}  // namespace switchyard::v1

#endif  // SWITCHYARD_PROTO_SWITCHYARD_V1_DISCOVERY_STATUS_H_
