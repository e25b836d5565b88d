// Where the control plane keeps its configuration: numbered, immutable versions of the
// whole snapshot (README.md). SQLite is the default implementation
// (sqlite_version_store.h); an etcd one can be added behind the same interface for
// several control-plane replicas.
#ifndef SWITCHYARD_CONTROLPLANE_STORE_VERSION_STORE_H_
#define SWITCHYARD_CONTROLPLANE_STORE_VERSION_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::controlplane {

// What is known about one stored version besides its content.
struct VersionRecord {
  uint64_t version = 0;
  absl::Time created;
  std::string author;
  std::string message;
  // The version whose content this one copies (Rollback); 0 otherwise.
  uint64_t rolled_back_from = 0;
};

struct StoredVersion {
  VersionRecord record;
  // Its `version` field equals record.version.
  switchyard::v1::Snapshot snapshot;
};

// A proxy's refusal (NACK) of a version. Stored so that no control plane offers that proxy
// the version again, also after a restart or on another replica (docs/architecture.md,
// "Configuration flow"), and so that `yardctl status` can still show it.
struct Rejection {
  std::string node_id;
  uint64_t version = 0;
  // The proxy's error detail.
  std::string error;
  absl::Time time;
};

// Versions are numbered 1, 2, 3, ... in the order they were appended; none is ever changed
// or removed. Implementations are thread-safe, and safe against other processes using the
// same storage (two control planes on one SQLite file, or several on one etcd).
//
// Rejections are kept per node id, in the order they were recorded, and bounded: of each
// node only the newest few are kept (at least one, so the last rejection can be shown),
// and the oldest of all go once there are too many; the limits are the implementation's
// options. Only the newest matter: a control plane only offers its current version, and
// versions only grow.
//
// Errors: UNAVAILABLE when the storage fails (disk, lock timeout), with the cause;
// the other codes are named per method.
class VersionStore {
 public:
  virtual ~VersionStore() = default;

  // Stores `snapshot` as the next version and returns its number. The stored copy gets
  // its `version` field set to that number; the caller's snapshot is not validated here.
  // When `expected_version` is set and is not the current version (0 when the store is
  // empty), nothing is stored and the result is FAILED_PRECONDITION
  // "current version is N, you expected M". The check and the write are atomic, also
  // across processes: of two appends expecting the same version, exactly one succeeds.
  virtual absl::StatusOr<uint64_t> Append(const switchyard::v1::Snapshot& snapshot,
                                          const std::string& author, const std::string& message,
                                          std::optional<uint64_t> expected_version,
                                          uint64_t rolled_back_from) = 0;

  // Version `version`, or the current one for 0. NOT_FOUND "version 99 does not exist;
  // latest is 12" (or "no version has been stored yet") when there is none.
  virtual absl::StatusOr<StoredVersion> Get(uint64_t version) = 0;

  // The newest version; 0 when the store is empty.
  virtual absl::StatusOr<uint64_t> CurrentVersion() = 0;

  // At most `limit` records, newest first.
  virtual absl::StatusOr<std::vector<VersionRecord>> History(size_t limit) = 0;

  // Records `rejections` in this order, atomically (a batch costs one durable write when
  // many proxies refuse a version at once). A node's rejection of a version it already
  // rejected replaces the earlier record: new error and time, and it counts as the newest.
  // INVALID_ARGUMENT, and nothing is recorded, when a node id is empty.
  virtual absl::Status RecordRejections(const std::vector<Rejection>& rejections) = 0;

  // The rejections kept for `node_id`, oldest first; empty when there are none.
  virtual absl::StatusOr<std::vector<Rejection>> Rejections(const std::string& node_id) = 0;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_STORE_VERSION_STORE_H_
