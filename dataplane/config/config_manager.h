// Owns the configuration the proxy serves and installs new snapshots, whether they come
// from a file (static mode), the disk cache, or the control plane.
//
// Install() runs off the request path (main or discovery thread): proxy-side checks,
// validation and compilation into an immutable RuntimeConfig, then one pointer posted to
// every worker. Requests in flight keep the snapshot they started with; listening
// sockets, client connections and pooled upstream connections are untouched.
#ifndef SWITCHYARD_DATAPLANE_CONFIG_CONFIG_MANAGER_H_
#define SWITCHYARD_DATAPLANE_CONFIG_CONFIG_MANAGER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/sync/mutex.h"
#include "dataplane/config/config_sink.h"
#include "dataplane/config/snapshot_cache.h"
#include "dataplane/runtime/runtime_config.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::config {

struct ConfigManagerOptions {
  // Refuse snapshots with more routes than this replica is sized for (0: no limit). A
  // proxy-side check the control plane does not make: such a snapshot is NACKed.
  size_t max_routes = 0;
  // Where accepted snapshots are saved for booting without a control plane (optional).
  std::optional<SnapshotCache> cache;
};

class ConfigManager {
 public:
  explicit ConfigManager(ConfigManagerOptions options) : options_(std::move(options)) {}

  // Checks, compiles and publishes `snapshot`; saves it to the cache unless
  // `from_cache`. On error nothing changes and the error names the resource and field.
  // Thread-safe; installs are serialized.
  absl::Status Install(const v1::Snapshot& snapshot, bool from_cache = false);

  // Every later install is published to `sinks` (the workers). Call once, before Install
  // from other threads.
  void AttachSinks(std::vector<ConfigSink*> sinks);

  // The compiled config new requests get; nullptr before the first install.
  std::shared_ptr<const runtime::RuntimeConfig> current() const;
  bool ready() const { return current() != nullptr; }
  uint64_t version() const;
  // Installs and refusals so far, the served version and the last compile's time.
  struct Stats {
    uint64_t version = 0;
    uint64_t swaps = 0;
    uint64_t rejections = 0;
    absl::Duration last_compile_time;
  };
  Stats stats() const;
  // The served snapshot as JSON (proto field names), "{}" before the first install.
  std::string DumpJson() const;

 private:
  absl::Status CheckProxyLimits(const v1::Snapshot& snapshot) const;

  const ConfigManagerOptions options_;
  sync::Mutex install_mu_;  // serializes Install
  mutable sync::Mutex mu_;
  std::vector<ConfigSink*> sinks_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const runtime::RuntimeConfig> current_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const v1::Snapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchyard::config

#endif  // SWITCHYARD_DATAPLANE_CONFIG_CONFIG_MANAGER_H_
