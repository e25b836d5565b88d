// One stored version as the discovery stream sends it: the snapshot encoded once, and
// deltas from recent versions encoded once each, as refcounted gRPC slices that every
// stream's responses share. A response is a per-stream prefix (version and nonce fields,
// a few bytes) followed by one of these slices: protobuf lets the fields of one message
// be encoded separately and concatenated, so a push to N proxies costs one encode, not N.
#ifndef SWITCHYARD_CONTROLPLANE_DISCOVERY_PUBLISHED_VERSION_H_
#define SWITCHYARD_CONTROLPLANE_DISCOVERY_PUBLISHED_VERSION_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::controlplane {

// How many encodes happened, so tests (and operators) can see that a push is encoded once
// per version rather than once per stream. Thread-safe.
struct EncodeCounters {
  std::atomic<uint64_t> full{0};
  std::atomic<uint64_t> delta{0};
};

// Immutable once built, so any thread may read it without locks; held by shared_ptr for as
// long as a stream may still send it.
class PublishedVersion {
 public:
  // Encodes `snapshot` (its version field set). When it holds at least
  // `delta_min_resources` virtual hosts plus clusters, also encodes a delta from each of
  // `bases` that MakeDelta can express. INVALID_ARGUMENT if the snapshot is too large to
  // encode (over 2 GiB).
  static absl::StatusOr<std::shared_ptr<const PublishedVersion>> Build(
      std::shared_ptr<const switchyard::v1::Snapshot> snapshot,
      const std::vector<std::shared_ptr<const switchyard::v1::Snapshot>>& bases,
      size_t delta_min_resources, EncodeCounters& counters);

  uint64_t version() const { return snapshot_->version(); }
  const std::shared_ptr<const switchyard::v1::Snapshot>& snapshot() const { return snapshot_; }

  // What to send to a proxy that runs `running_version`: a delta against it if one was
  // built, the whole snapshot otherwise. `field` is a DiscoveryResponse field, encoded.
  struct Payload {
    const grpc::Slice* field;
    bool is_delta;
  };
  Payload PayloadFor(uint64_t running_version) const;

  bool HasDeltaFrom(uint64_t base_version) const { return deltas_.contains(base_version); }

 private:
  PublishedVersion() = default;

  std::shared_ptr<const switchyard::v1::Snapshot> snapshot_;
  // DiscoveryResponse.snapshot (field 3), tag and length included.
  grpc::Slice full_;
  // DiscoveryResponse.delta (field 4) by base version.
  absl::flat_hash_map<uint64_t, grpc::Slice> deltas_;
};

// One DiscoveryResponse: `version` and `nonce` encoded for this stream, then `payload`
// shared (referenced, not copied).
grpc::ByteBuffer MakeResponse(uint64_t version, const std::string& nonce,
                              const grpc::Slice& payload);

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_DISCOVERY_PUBLISHED_VERSION_H_
