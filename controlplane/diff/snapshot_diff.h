// Resource-level comparison of two snapshots: what `yardctl diff` shows, and the
// SnapshotDelta a proxy gets instead of a whole snapshot once tables are large.
//
// Resources are virtual hosts, clusters, certificates, consumers and auth policies, matched by
// name; a resource is CHANGED when any field differs (compared as deterministic protobuf
// encodings). Routes travel inside their virtual host, so a changed route (its auth_policy or
// skip_auth too) changes its virtual host, as does a changed VirtualHost.auth_policy.
//
// Pure functions: thread-safe, no allocation beyond their results.
#ifndef SWITCHYARD_CONTROLPLANE_DIFF_SNAPSHOT_DIFF_H_
#define SWITCHYARD_CONTROLPLANE_DIFF_SNAPSHOT_DIFF_H_

#include <optional>
#include <string>
#include <vector>

#include "switchyard/v1/discovery.pb.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::controlplane {

// Names per kind of change, each list sorted by name.
struct ResourceChanges {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> changed;
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};

struct SnapshotDiff {
  ResourceChanges virtual_hosts;
  ResourceChanges clusters;
  ResourceChanges certificates;
  ResourceChanges consumers;
  ResourceChanges auth_policies;
  bool empty() const {
    return virtual_hosts.empty() && clusters.empty() && certificates.empty() && consumers.empty() &&
           auth_policies.empty();
  }
};

// True when the two snapshots hold the same resources in the same order; the version
// fields are ignored. Order counts because routes are tried in order and an apply that
// only reorders is still the operator's intent.
bool SameContent(const switchyard::v1::Snapshot& a, const switchyard::v1::Snapshot& b);

// What turns `from` into `to`. Snapshots need not be valid: with repeated names the first
// resource of each name counts. The version fields are ignored.
SnapshotDiff DiffSnapshots(const switchyard::v1::Snapshot& from,
                           const switchyard::v1::Snapshot& to);

// The delta that turns `base` into `target` under the rule a proxy applies
// (proto/switchyard/config/snapshot_delta.h): resources in the delta replace those of the
// same name in place or are appended in the delta's order, removed names are dropped, all
// others keep their order. Returns nullopt when that rule cannot reproduce `target`
// exactly (resources were reordered), so the caller sends the whole snapshot instead.
// base_version is base.version(). Both snapshots must have unique names (validated).
std::optional<switchyard::v1::SnapshotDelta> MakeDelta(const switchyard::v1::Snapshot& base,
                                                       const switchyard::v1::Snapshot& target);

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_DIFF_SNAPSHOT_DIFF_H_
