// Applying a SnapshotDelta (discovery.proto) to the snapshot it is based on. The proxy
// uses it to rebuild the new version; the control plane's tests use it to check that a
// delta it built reproduces its snapshot. One implementation, so the two cannot disagree.
#ifndef SWITCHYARD_PROTO_SWITCHYARD_CONFIG_SNAPSHOT_DELTA_H_
#define SWITCHYARD_PROTO_SWITCHYARD_CONFIG_SNAPSHOT_DELTA_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "switchyard/v1/discovery.pb.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::config {

// The snapshot at `version` made from `base` and `delta`: resources in the delta replace
// those of the same name (or are added at the end), removed names are dropped, everything
// else is kept in its order. FAILED_PRECONDITION when delta.base_version() is not
// base.version(), or when a removed name does not exist (the two sides disagree, and a
// full snapshot is the safe answer).
absl::StatusOr<v1::Snapshot> ApplyDelta(const v1::Snapshot& base, const v1::SnapshotDelta& delta,
                                        uint64_t version);

}  // namespace switchyard::config

#endif  // SWITCHYARD_PROTO_SWITCHYARD_CONFIG_SNAPSHOT_DELTA_H_
