// One proxy's discovery stream (see discovery_service.h for the protocol). Internal to
// DiscoveryService.
//
// Threading: gRPC runs the reactions (OnReadDone, OnWriteDone, OnDone) one at a time per
// operation type but possibly concurrently with each other and with OnPublished (called by
// a publisher thread) and OnRejectionsLoaded (the RejectionRecorder's thread). All state
// is guarded by mu_. gRPC operations (StartRead, StartWrite, Finish) are started with mu_
// released, because gRPC may run the completion inline on the calling thread. Nothing here
// blocks: the only locks taken are this stream's, then the hub's, the registry's or the
// recorder's, briefly; the store is only used on the recorder's thread.
//
// Lifetime: owned by a shared_ptr to itself from Start() until OnDone(), and by the hub's
// publishers for the length of a notification; never used by gRPC after OnDone.
#ifndef SWITCHYARD_CONTROLPLANE_DISCOVERY_DISCOVERY_STREAM_H_
#define SWITCHYARD_CONTROLPLANE_DISCOVERY_DISCOVERY_STREAM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "common/sync/mutex.h"
#include "controlplane/discovery/discovery_counters.h"
#include "controlplane/discovery/proxy_registry.h"
#include "controlplane/discovery/rejection_recorder.h"
#include "controlplane/discovery/snapshot_hub.h"
#include "grpcpp/generic/async_generic_service.h"
#include "switchyard/v1/discovery.pb.h"

namespace switchyard::controlplane::internal {

class DiscoveryStream;

// The live streams of one DiscoveryService, so shutdown can end them at once instead of
// waiting for proxies to hang up. Thread-safe; holds weak references only.
class StreamSet {
 public:
  // False once CloseAll was called: the stream must be refused.
  bool Add(const std::shared_ptr<DiscoveryStream>& stream) ABSL_LOCKS_EXCLUDED(mu_);
  void Remove(const DiscoveryStream* stream) ABSL_LOCKS_EXCLUDED(mu_);
  // Ends every stream with `status` and refuses new ones.
  void CloseAll(const grpc::Status& status) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  sync::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<const DiscoveryStream*, std::weak_ptr<DiscoveryStream>> streams_
      ABSL_GUARDED_BY(mu_);
};

class DiscoveryStream final : public grpc::ServerGenericBidiReactor,
                              public SnapshotHub::Subscriber,
                              public std::enable_shared_from_this<DiscoveryStream> {
 public:
  // `certified_node_id`: the node id the peer's certificate allows (CertIdentityRule), or
  // nullopt on a plaintext server, where the claim is taken as it comes.
  DiscoveryStream(uint64_t id, std::string peer, std::optional<std::string> certified_node_id,
                  size_t max_request_bytes, size_t max_error_bytes, SnapshotHub& hub,
                  ProxyRegistry& registry, RejectionRecorder& rejections,
                  DiscoveryCounters& counters, StreamSet& streams);

  // Takes ownership of itself, joins `streams`, subscribes to the hub and starts reading.
  // Call once, right after construction, before returning the reactor to gRPC.
  void Start();
  // Finishes the stream now, or after the write in flight completes. Idempotent.
  void Close(grpc::Status status) ABSL_LOCKS_EXCLUDED(mu_);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;
  void OnCancel() override {}  // the pending read fails and ends the stream
  void OnPublished() override { MaybeSend(); }

 private:
  // Applies one request; a non-OK status ends the stream with it.
  grpc::Status Handle(const switchyard::v1::DiscoveryRequest& request) ABSL_LOCKS_EXCLUDED(mu_);
  // Sends the current version if this proxy needs it and nothing is outstanding.
  void MaybeSend() ABSL_LOCKS_EXCLUDED(mu_);
  // The node's stored rejections are in the registry: it may be offered a version now.
  void OnRejectionsLoaded() ABSL_LOCKS_EXCLUDED(mu_);

  const uint64_t id_;
  const std::string peer_;
  const std::optional<std::string> certified_node_id_;
  const size_t max_request_bytes_;
  const size_t max_error_bytes_;
  SnapshotHub& hub_;
  ProxyRegistry& registry_;
  RejectionRecorder& rejections_;
  DiscoveryCounters& counters_;
  StreamSet& streams_;

  // Only touched between StartRead and OnReadDone (one read at a time).
  grpc::ByteBuffer read_buffer_;

  sync::Mutex mu_;
  std::shared_ptr<DiscoveryStream> self_ ABSL_GUARDED_BY(mu_);
  // Written under mu_ while no write is in flight; gRPC reads it from StartWrite until
  // OnWriteDone.
  grpc::ByteBuffer write_buffer_;
  bool have_node_ ABSL_GUARDED_BY(mu_) = false;
  std::string node_id_ ABSL_GUARDED_BY(mu_);
  // Nothing is sent before: after a restart, only the store knows what the node rejected.
  bool rejections_loaded_ ABSL_GUARDED_BY(mu_) = false;
  // The version the proxy last said it runs.
  uint64_t running_version_ ABSL_GUARDED_BY(mu_) = 0;
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  // A response was sent and its ACK/NACK has not arrived.
  bool awaiting_reply_ ABSL_GUARDED_BY(mu_) = false;
  std::string outstanding_nonce_ ABSL_GUARDED_BY(mu_);
  uint64_t outstanding_version_ ABSL_GUARDED_BY(mu_) = 0;
  // Close() was called; Finish is called (or due once the write completes).
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> finish_after_write_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchyard::controlplane::internal

#endif  // SWITCHYARD_CONTROLPLANE_DISCOVERY_DISCOVERY_STREAM_H_
