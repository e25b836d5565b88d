// The proxy's only disk use: the last snapshot it accepted, so it can boot and serve
// while the control plane is unreachable (docs/architecture.md, "Configuration flow").
#ifndef SWITCHYARD_DATAPLANE_CONFIG_SNAPSHOT_CACHE_H_
#define SWITCHYARD_DATAPLANE_CONFIG_SNAPSHOT_CACHE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::config {

class SnapshotCache {
 public:
  explicit SnapshotCache(std::string path) : path_(std::move(path)) {}

  // Replaces the cached snapshot. Written to a temporary file, flushed and renamed, so a
  // crash leaves either the old or the new snapshot, never half of one.
  absl::Status Save(const v1::Snapshot& snapshot) const;

  // The cached snapshot if it exists and was saved less than `max_age` ago.
  // NOT_FOUND when there is none; FAILED_PRECONDITION when it is too old or unreadable.
  absl::StatusOr<v1::Snapshot> Load(absl::Duration max_age, absl::Time now) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace switchyard::config

#endif  // SWITCHYARD_DATAPLANE_CONFIG_SNAPSHOT_CACHE_H_
