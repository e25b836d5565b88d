// DiscoveryService.StreamSnapshots on gRPC's callback API, as a generic (ByteBuffer)
// service so that responses can be assembled from shared, once-encoded slices
// (published_version.h) instead of being serialized per stream.
//
// Protocol (DESIGN.md, "The discovery stream"):
// - The first request carries the node and the version the proxy runs; a proxy already
//   running the current version is sent nothing.
// - A stream has at most one response outstanding: the next one is sent only after the
//   proxy's ACK or NACK (matched by nonce), and it is always the newest version, so a
//   slow proxy skips versions instead of queueing them, and a proxy that never answers
//   holds up no one else.
// - A NACK (error_detail set) records the rejection in the ProxyRegistry; the control plane
//   never offers that node that version again, on this stream or a later one.
// - The response is a delta when the proxy runs a version the hub still holds as a
//   delta base, the whole snapshot otherwise.
#ifndef SWITCHYARD_CONTROLPLANE_DISCOVERY_DISCOVERY_SERVICE_H_
#define SWITCHYARD_CONTROLPLANE_DISCOVERY_DISCOVERY_SERVICE_H_

#include <atomic>
#include <cstdint>

#include "controlplane/discovery/discovery_counters.h"
#include "controlplane/discovery/discovery_stream.h"
#include "controlplane/discovery/proxy_registry.h"
#include "controlplane/discovery/snapshot_hub.h"
#include "grpcpp/generic/async_generic_service.h"

namespace switchyard::controlplane {

inline constexpr char kStreamSnapshotsMethod[] = "/switchyard.v1.DiscoveryService/StreamSnapshots";

// Serves every method the server has no other service for: StreamSnapshots, and
// UNIMPLEMENTED for anything else. `hub` and `registry` must outlive the server this is
// registered with (and the server must be shut down before this is destroyed).
class DiscoveryService final : public grpc::CallbackGenericService {
 public:
  struct Options {
    // Streams beyond this are refused with RESOURCE_EXHAUSTED.
    int64_t max_streams = 10'000;
    // A larger DiscoveryRequest ends its stream with RESOURCE_EXHAUSTED.
    size_t max_request_bytes = 1 << 20;
  };

  DiscoveryService(Options options, SnapshotHub& hub, ProxyRegistry& registry)
      : options_(options), hub_(hub), registry_(registry) {}

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override;

  // Ends every stream with UNAVAILABLE and refuses new ones, so the server's shutdown
  // need not wait for proxies to hang up. Proxies reconnect to another replica.
  void Stop() {
    streams_.CloseAll(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "the control plane is shutting down"));
  }

  const DiscoveryCounters& counters() const { return counters_; }

 private:
  const Options options_;
  SnapshotHub& hub_;
  ProxyRegistry& registry_;
  DiscoveryCounters counters_;
  std::atomic<uint64_t> next_stream_id_{1};
  internal::StreamSet streams_;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_DISCOVERY_DISCOVERY_SERVICE_H_
