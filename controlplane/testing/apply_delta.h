// Test-only: applies a SnapshotDelta the way the proxy does (dataplane/config/
// snapshot_delta.h), so control-plane tests can check that a delta reproduces the
// snapshot it stands for without depending on data-plane code.
#ifndef SWITCHYARD_CONTROLPLANE_TESTING_APPLY_DELTA_H_
#define SWITCHYARD_CONTROLPLANE_TESTING_APPLY_DELTA_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "switchyard/v1/discovery.pb.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::controlplane::testing {

// Replaces resources of the same name in place, appends new ones in the delta's order,
// drops removed names; the result has version `version`. FAILED_PRECONDITION when the
// base version differs or a removed name is missing.
absl::StatusOr<switchyard::v1::Snapshot> ApplyDelta(const switchyard::v1::Snapshot& base,
                                                    const switchyard::v1::SnapshotDelta& delta,
                                                    uint64_t version);

}  // namespace switchyard::controlplane::testing

#endif  // SWITCHYARD_CONTROLPLANE_TESTING_APPLY_DELTA_H_
