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
#include "dataplane/auth/jwks_fetcher.h"
#include "dataplane/config/config_sink.h"
#include "dataplane/config/directory_watcher.h"
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
  // Watch the directories of the served certificates' cert_file/key_file (and client CA
  // ca_file) and load them
  // again when they change (ReloadCertificateFiles).
  bool watch_certificate_files = false;
  // Fetches the JWKS of policies whose keys come from a URL; each new source is fetched
  // before its snapshot is served (JwksFetcher::Prepare). Null: such keys are never
  // fetched (tests that do not need them).
  auth::JwksFetcher* jwks_fetcher = nullptr;
};

class ConfigManager {
 public:
  explicit ConfigManager(ConfigManagerOptions options);

  // Where a snapshot comes from, which decides whose judgement of its certificates'
  // validity periods stands (docs/tls.md, "Expiry"):
  enum class Source {
    // --config: every certificate new to this proxy is judged here.
    kFile,
    // The control plane, whose validation judged the inline certificates already (with
    // its own rule for ones applied before they expired); certificate files, which it
    // cannot read, are judged here.
    kControlPlane,
    // The snapshot cache: served before the restart, so none is judged again.
    kCache,
  };

  // Checks, compiles and publishes `snapshot`; saves it to the cache unless it came from
  // there. On error nothing changes and the error names the resource and field.
  // Thread-safe; installs are serialized.
  absl::Status Install(const v1::Snapshot& snapshot, Source source);

  // Loads the served snapshot's certificate files again (they changed on disk) and
  // publishes the result: new handshakes get the new certificates, open connections keep
  // theirs. On error (a file missing or unreadable, a certificate and a key that do not
  // match yet, an expired certificate) the certificates loaded before keep serving and
  // the error names the certificate and field. Thread-safe; serialized with Install.
  absl::Status ReloadCertificateFiles();

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
    // ReloadCertificateFiles calls that published, and those that kept the old files.
    uint64_t certificate_reloads = 0;
    uint64_t certificate_reload_failures = 0;
  };
  Stats stats() const;
  // The served snapshot as JSON (proto field names), "{}" before the first install.
  std::string DumpJson() const;

 private:
  absl::Status CheckProxyLimits(const v1::Snapshot& snapshot) const;
  // Fetches the JWKS sources of `compiled` that have no keys yet, before it is served
  // (bounded by their timeouts).
  void PrepareKeys(const std::shared_ptr<const runtime::RuntimeConfig>& compiled);
  // Makes `compiled` (of `snapshot`) the served config and publishes it to the sinks.
  void Serve(const std::shared_ptr<const runtime::RuntimeConfig>& compiled,
             std::shared_ptr<const v1::Snapshot> snapshot, absl::Duration compile_time)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(install_mu_);

  const ConfigManagerOptions options_;
  sync::Mutex install_mu_;  // serializes Install
  mutable sync::Mutex mu_;
  std::vector<ConfigSink*> sinks_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const runtime::RuntimeConfig> current_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const v1::Snapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  // Last: stopped (its thread joined) before anything it calls into goes away.
  std::unique_ptr<DirectoryWatcher> certificate_watcher_;
};

}  // namespace switchyard::config

#endif  // SWITCHYARD_DATAPLANE_CONFIG_CONFIG_MANAGER_H_
