// DiscoveryService.StreamSnapshots on gRPC's callback API, as a generic (ByteBuffer)
// service so that responses can be assembled from shared, once-encoded slices
// (published_version.h) instead of being serialized per stream.
//
// Protocol (docs/architecture.md, "Configuration flow"):
// - The first request carries the node and the version the proxy runs; a proxy already
//   running the current version is sent nothing.
// - A stream has at most one response outstanding: the next one is sent only after the
//   proxy's ACK or NACK (matched by nonce), and it is always the newest version, so a
//   slow proxy skips versions instead of queueing them, and a proxy that never answers
//   holds up no one else.
// - A NACK (error_detail set) records the rejection in the ProxyRegistry and, through the
//   RejectionRecorder, in the store; the control plane never offers that node that version
//   again, on this stream or a later one, after a restart, or from another control plane
//   on the same store. So nothing is offered to a node before its stored rejections have
//   been read (RejectionRecorder::Load).
// - On a TLS server the node id is the one the proxy's client certificate names
//   (Options::proxy_identity); a stream without one, or claiming another, is refused with
//   UNAUTHENTICATED or PERMISSION_DENIED. Nonces are random, so an ACK or NACK counts only
//   on the stream its response went to, hence only for the node that stream proved.
// - The response is a delta when the proxy runs a version the hub still holds as a
//   delta base, the whole snapshot otherwise.
#ifndef SWITCHYARD_CONTROLPLANE_DISCOVERY_DISCOVERY_SERVICE_H_
#define SWITCHYARD_CONTROLPLANE_DISCOVERY_DISCOVERY_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <optional>

#include "controlplane/auth/peer_certificate.h"
#include "controlplane/discovery/discovery_counters.h"
#include "controlplane/discovery/discovery_stream.h"
#include "controlplane/discovery/proxy_registry.h"
#include "controlplane/discovery/rejection_recorder.h"
#include "controlplane/discovery/snapshot_hub.h"
#include "grpcpp/generic/async_generic_service.h"
#include "switchyard/v1/discovery_status.h"

namespace switchyard::controlplane {

inline constexpr char kStreamSnapshotsMethod[] = "/switchyard.v1.DiscoveryService/StreamSnapshots";

// Serves every method the server has no other service for: StreamSnapshots, and
// UNIMPLEMENTED for anything else. The server must be shut down before this is destroyed.
class DiscoveryService final : public grpc::CallbackGenericService {
 public:
  struct Options {
    // Streams beyond this are refused with RESOURCE_EXHAUSTED.
    int64_t max_streams = 10'000;
    // A larger DiscoveryRequest ends its stream with RESOURCE_EXHAUSTED.
    size_t max_request_bytes = 1 << 20;
    // A NACK's error detail is kept up to this many bytes (cut on a character boundary).
    size_t max_error_bytes = 4096;
    // Set on a TLS server: a stream needs a verified client certificate, and may only
    // claim the node id this rule reads from it. Unset (--insecure): any claim is taken.
    std::optional<CertIdentityRule> proxy_identity;
  };

  // `hub`, `registry` and `rejections` must outlive the server this is registered with.
  DiscoveryService(Options options, SnapshotHub& hub, ProxyRegistry& registry,
                   RejectionRecorder& rejections)
      : options_(std::move(options)), hub_(hub), registry_(registry), rejections_(rejections) {}

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override;

  // Ends every stream with UNAVAILABLE and refuses new ones, so the server's shutdown
  // need not wait for proxies to hang up. Proxies reconnect to another replica.
  void Stop() {
    streams_.CloseAll(grpc::Status(grpc::StatusCode::UNAVAILABLE, v1::kControlPlaneGoingAway));
  }

  const DiscoveryCounters& counters() const { return counters_; }

 private:
  // The node id the caller's certificate names: UNAUTHENTICATED without a certificate,
  // PERMISSION_DENIED when it names no proxy or several.
  absl::StatusOr<std::string> CertifiedNode(const grpc::GenericCallbackServerContext& ctx) const;

  const Options options_;
  SnapshotHub& hub_;
  ProxyRegistry& registry_;
  RejectionRecorder& rejections_;
  DiscoveryCounters counters_;
  std::atomic<uint64_t> next_stream_id_{1};
  internal::StreamSet streams_;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_DISCOVERY_DISCOVERY_SERVICE_H_
