// switchyard-control assembled: the store, the hub of published versions, the proxy
// registry, the discovery and admin services on one gRPC server, and a watcher that picks
// up versions appended to the store by another process. main.cc runs one; tests run it
// in-process.
#ifndef SWITCHYARD_CONTROLPLANE_SERVER_CONTROL_PLANE_H_
#define SWITCHYARD_CONTROLPLANE_SERVER_CONTROL_PLANE_H_

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/admin/admin_server.h"
#include "common/grpc_tls/credentials.h"
#include "common/sync/mutex.h"
#include "controlplane/admin/admin_service.h"
#include "controlplane/admin/audit_log.h"
#include "controlplane/admin/config_manager.h"
#include "controlplane/admin/token_admin.h"
#include "controlplane/auth/authenticator.h"
#include "controlplane/discovery/discovery_service.h"
#include "controlplane/discovery/proxy_registry.h"
#include "controlplane/discovery/rejection_recorder.h"
#include "controlplane/discovery/snapshot_hub.h"
#include "controlplane/metrics/control_plane_metrics.h"
#include "controlplane/store/token_store.h"
#include "controlplane/store/version_store.h"
#include "controlplane/util/work_queue.h"
#include "grpcpp/server.h"

namespace switchyard::controlplane {

struct ControlPlaneOptions {
  // host:port; port 0 picks a free one (see ControlPlane::port()).
  std::string listen = "127.0.0.1:18000";
  // TLS with these files, reloaded when they change; proxies then need a client
  // certificate (discovery.proxy_identity, by default CertIdentityRule::ProxyDefault()).
  // Unset: plaintext, for --insecure (main.cc decides where that is allowed).
  std::optional<TlsSettings> tls;
  SnapshotHub::Options hub;
  ProxyRegistry::Options registry;
  RejectionRecorder::Options rejections;
  DiscoveryService::Options discovery;
  ConfigManager::Options admin;
  // Operators' authentication (certificate roles, bootstrap tokens). `insecure` and
  // `proxy_identity` are filled in by Start from `tls` and `discovery`.
  Authenticator::Options auth;
  // JSON lines, one per admin call (AuditLog); empty: none.
  std::string audit_log;
  // Threads and queue length for admin calls (WorkQueue).
  int admin_threads = 2;
  size_t admin_queue = 256;
  // Largest message accepted (an ApplyRequest with a big snapshot).
  int max_receive_bytes = 80 << 20;
  // How often the store is checked for versions appended elsewhere; zero: never.
  absl::Duration store_poll_interval = absl::Seconds(1);
  // host:port of the HTTP port serving /metrics, /ready and /healthz (port 0 picks one,
  // see metrics_port()); empty: none. main.cc requires a token off loopback.
  std::string metrics_listen;
  // SHA-256 (hex) of the bearer token /metrics then needs; empty: none.
  std::string metrics_token_sha256;
};

// Thread-safe accessors; Shutdown may be called from any thread, once.
class ControlPlane {
 public:
  // Publishes the store's current version, then starts serving. UNAVAILABLE when the
  // store cannot be read or the address cannot be bound.
  // `tokens`: where `yardctl tokens` keeps API tokens; may be null (no stored tokens).
  // UNAVAILABLE too when the audit log cannot be opened.
  static absl::StatusOr<std::unique_ptr<ControlPlane>> Start(
      ControlPlaneOptions options, std::unique_ptr<VersionStore> store,
      std::unique_ptr<TokenStore> tokens = nullptr);
  // Shuts down (without grace) if Shutdown was not called.
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  int port() const { return port_; }
  // The bound port of ControlPlaneOptions::metrics_listen; 0 when there is none.
  int metrics_port() const { return metrics_port_; }

  // Stops accepting calls, lets calls in progress end for up to `grace`, then cancels the
  // rest (discovery streams end with CANCELLED; proxies reconnect elsewhere). Rejections
  // not yet in the store are written before it returns.
  void Shutdown(absl::Duration grace);

  VersionStore& store() { return *store_; }
  SnapshotHub& hub() { return hub_; }
  ProxyRegistry& registry() { return registry_; }
  const DiscoveryCounters& discovery_counters() const { return discovery_.counters(); }

 private:
  ControlPlane(ControlPlaneOptions options, std::unique_ptr<VersionStore> store,
               std::unique_ptr<TokenStore> tokens, std::unique_ptr<AuditLog> audit);
  void WatchStore() ABSL_LOCKS_EXCLUDED(watch_mu_);
  // Binds options_.metrics_listen and serves /metrics there.
  absl::Status StartMetricsServer();

  const ControlPlaneOptions options_;
  // Declared in dependency order: each member uses only those above it, and is destroyed
  // before them.
  ControlPlaneMetrics metrics_;
  std::unique_ptr<VersionStore> store_;  // a TimedVersionStore reporting to metrics_
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<AuditLog> audit_;
  Authenticator auth_;
  TokenAdmin token_admin_;
  SnapshotHub hub_;
  ProxyRegistry registry_;
  RejectionRecorder rejections_;
  ConfigManager manager_;
  WorkQueue admin_queue_;
  DiscoveryService discovery_;
  AdminService admin_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<admin::AdminServer> metrics_server_;
  int metrics_port_ = 0;

  sync::Mutex watch_mu_;
  sync::CondVar watch_cv_;  // signalled when stopping_ is set
  bool stopping_ ABSL_GUARDED_BY(watch_mu_) = false;
  std::thread watcher_;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_SERVER_CONTROL_PLANE_H_
