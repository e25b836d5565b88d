#include "controlplane/discovery/published_version.h"

#include <climits>

#include "absl/strings/str_cat.h"
#include "controlplane/diff/snapshot_diff.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "switchyard/v1/discovery.pb.h"

namespace switchyard::controlplane {
namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedOutputStream;

// `message` as field `field_number` of an enclosing message (tag, length, bytes), written
// straight into a newly allocated slice: no intermediate string.
absl::StatusOr<grpc::Slice> EncodeField(int field_number, const google::protobuf::MessageLite& m) {
  const size_t body = m.ByteSizeLong();
  if (body > static_cast<size_t>(INT_MAX) - 16) {
    return absl::InvalidArgumentError(absl::StrCat("message of ", body, " bytes is too large"));
  }
  const uint32_t tag =
      WireFormatLite::MakeTag(field_number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
  const size_t total = CodedOutputStream::VarintSize32(tag) +
                       CodedOutputStream::VarintSize32(static_cast<uint32_t>(body)) + body;
  grpc::Slice slice(total);
  // The slice is freshly allocated and not yet shared, so writing into it is safe.
  uint8_t* out = const_cast<uint8_t*>(slice.begin());
  out = CodedOutputStream::WriteVarint32ToArray(tag, out);
  out = CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(body), out);
  m.SerializeWithCachedSizesToArray(out);
  return slice;
}

size_t ResourceCount(const switchyard::v1::Snapshot& s) {
  return static_cast<size_t>(s.virtual_hosts_size()) + static_cast<size_t>(s.clusters_size());
}

}  // namespace

absl::StatusOr<std::shared_ptr<const PublishedVersion>> PublishedVersion::Build(
    std::shared_ptr<const switchyard::v1::Snapshot> snapshot,
    const std::vector<std::shared_ptr<const switchyard::v1::Snapshot>>& bases,
    size_t delta_min_resources, EncodeCounters& counters) {
  std::shared_ptr<PublishedVersion> out(new PublishedVersion());
  absl::StatusOr<grpc::Slice> full =
      EncodeField(switchyard::v1::DiscoveryResponse::kSnapshotFieldNumber, *snapshot);
  if (!full.ok()) return full.status();
  ++counters.full;
  out->full_ = std::move(*full);
  if (ResourceCount(*snapshot) >= delta_min_resources) {
    for (const auto& base : bases) {
      if (base->version() >= snapshot->version()) continue;
      std::optional<switchyard::v1::SnapshotDelta> delta = MakeDelta(*base, *snapshot);
      if (!delta.has_value()) continue;
      absl::StatusOr<grpc::Slice> encoded =
          EncodeField(switchyard::v1::DiscoveryResponse::kDeltaFieldNumber, *delta);
      ++counters.delta;
      // The whole snapshot still works; a delta as large as it would only cost the proxy.
      if (!encoded.ok() || encoded->size() >= out->full_.size()) continue;
      out->deltas_.emplace(base->version(), std::move(*encoded));
    }
  }
  out->snapshot_ = std::move(snapshot);
  return std::shared_ptr<const PublishedVersion>(std::move(out));
}

PublishedVersion::Payload PublishedVersion::PayloadFor(uint64_t running_version) const {
  if (auto it = deltas_.find(running_version); it != deltas_.end()) return {&it->second, true};
  return {&full_, false};
}

grpc::ByteBuffer MakeResponse(uint64_t version, const std::string& nonce,
                              const grpc::Slice& payload) {
  switchyard::v1::DiscoveryResponse head;
  head.set_version(version);
  head.set_nonce(nonce);
  const grpc::Slice slices[2] = {grpc::Slice(head.SerializeAsString()), payload};
  // ByteBuffer takes a reference on each slice; the payload's bytes are not copied.
  return grpc::ByteBuffer(slices, 2);
}

}  // namespace switchyard::controlplane
