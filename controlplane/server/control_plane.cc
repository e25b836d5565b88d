#include "controlplane/server/control_plane.h"

#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/endpoint.h"
#include "common/log.h"
#include "controlplane/store/timed_version_store.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace switchyard::controlplane {
namespace {

ConfigManager::Options WithApplyObserver(ConfigManager::Options options,
                                         ControlPlaneMetrics* metrics) {
  options.observe_apply = [metrics](absl::Duration duration) { metrics->ObserveApply(duration); };
  return options;
}

}  // namespace

ControlPlane::ControlPlane(ControlPlaneOptions options, std::unique_ptr<VersionStore> store,
                           std::unique_ptr<TokenStore> tokens, std::unique_ptr<AuditLog> audit)
    : options_(std::move(options)),
      store_(std::make_unique<TimedVersionStore>(
          std::move(store),
          [this](std::string_view operation, absl::Duration duration) {
            metrics_.ObserveStore(operation, duration);
          })),
      tokens_(std::move(tokens)),
      audit_(std::move(audit)),
      auth_(options_.auth, tokens_.get()),
      token_admin_(tokens_.get()),
      hub_(options_.hub),
      registry_(options_.registry),
      rejections_(options_.rejections, *store_, registry_),
      manager_(WithApplyObserver(options_.admin, &metrics_), *store_, hub_, registry_),
      admin_queue_(options_.admin_threads, options_.admin_queue),
      discovery_(options_.discovery, hub_, registry_, rejections_),
      admin_(manager_, admin_queue_, auth_, token_admin_, audit_.get()) {}

absl::StatusOr<std::unique_ptr<ControlPlane>> ControlPlane::Start(
    ControlPlaneOptions options, std::unique_ptr<VersionStore> store,
    std::unique_ptr<TokenStore> tokens) {
  if (options.tls.has_value() && !options.discovery.proxy_identity.has_value()) {
    options.discovery.proxy_identity = CertIdentityRule::ProxyDefault();
  }
  options.auth.insecure = !options.tls.has_value();
  options.auth.proxy_identity = options.discovery.proxy_identity;
  std::unique_ptr<AuditLog> audit;
  if (!options.audit_log.empty()) {
    absl::StatusOr<std::unique_ptr<AuditLog>> opened = AuditLog::Open(options.audit_log);
    if (!opened.ok()) return opened.status();
    audit = std::move(*opened);
  }
  if (options.admin.sync_depth < options.hub.delta_bases + 1) {
    options.admin.sync_depth = options.hub.delta_bases + 1;  // fill every delta base
  }
  std::unique_ptr<ControlPlane> cp(
      new ControlPlane(std::move(options), std::move(store), std::move(tokens), std::move(audit)));
  // Proxies that connect first thing must be offered the current version, not nothing.
  if (absl::Status synced = cp->manager_.SyncFromStore(); !synced.ok()) return synced;

  grpc::ServerBuilder builder;
  builder.AddListeningPort(cp->options_.listen,
                           cp->options_.tls.has_value() ? ServerTlsCredentials(*cp->options_.tls)
                                                        : grpc::InsecureServerCredentials(),
                           &cp->port_);
  builder.RegisterService(&cp->admin_);
  builder.RegisterCallbackGenericService(&cp->discovery_);
  builder.SetMaxReceiveMessageSize(cp->options_.max_receive_bytes);
  // Find proxies that vanished without closing their connection, so Status stops calling
  // them connected.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  // Proxies ping every 10 s to notice a vanished control plane; gRPC's default would
  // answer such pings on an idle stream with GOAWAY "too_many_pings".
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5'000);
  cp->server_ = builder.BuildAndStart();
  if (cp->server_ == nullptr || cp->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", cp->options_.listen,
                                               " (address in use, or not a local address?)"));
  }
  if (!cp->options_.metrics_listen.empty()) {
    if (absl::Status started = cp->StartMetricsServer(); !started.ok()) return started;
  }
  if (cp->options_.store_poll_interval > absl::ZeroDuration()) {
    cp->watcher_ = std::thread([raw = cp.get()] { raw->WatchStore(); });
  }
  LogInfo("serving discovery and admin on %s (port %d, %s), version %llu",
          cp->options_.listen.c_str(), cp->port_,
          cp->options_.tls.has_value() ? "TLS" : "PLAINTEXT, NO AUTHENTICATION",
          static_cast<unsigned long long>(cp->hub_.CurrentVersion()));
  return cp;
}

ControlPlane::~ControlPlane() { Shutdown(absl::ZeroDuration()); }

void ControlPlane::Shutdown(absl::Duration grace) {
  {
    sync::MutexLock lock(&watch_mu_);
    if (stopping_) return;
    stopping_ = true;
    watch_cv_.SignalAll();
  }
  if (metrics_server_ != nullptr) metrics_server_->Stop();
  if (watcher_.joinable()) watcher_.join();
  // Streams never end by themselves; end them now so the grace is spent on admin calls.
  discovery_.Stop();
  if (server_ != nullptr) {
    const auto deadline = std::chrono::system_clock::now() +
                          std::chrono::milliseconds(absl::ToInt64Milliseconds(grace));
    // Returns once every call has ended; admin calls still queued run to completion
    // first, as the work queue outlives the server.
    server_->Shutdown(deadline);
    server_.reset();
  }
  // No stream is left to record a NACK: what is queued can be written for good. A SIGTERM
  // right after a NACK must not lose it, or the restarted control plane would re-send.
  rejections_.Stop();
}

absl::Status ControlPlane::StartMetricsServer() {
  const std::string& listen = options_.metrics_listen;
  boost::asio::ip::tcp::endpoint endpoint;
  if (!ParseEndpoint(listen, endpoint)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen=", listen, ": expected IP:PORT, e.g. 127.0.0.1:18001"));
  }
  metrics_server_ = std::make_unique<admin::AdminServer>(admin::AdminHandlers{
      .metrics_text =
          [this] {
            return metrics_.Render(hub_.CurrentVersion(), discovery_.counters(), registry_.List());
          },
      .token_sha256 = options_.metrics_token_sha256,
  });
  boost::system::error_code ec;
  const boost::asio::ip::tcp::endpoint bound = metrics_server_->Start(endpoint, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on --metrics_listen=", listen, ": ", ec.message()));
  }
  metrics_port_ = bound.port();
  LogInfo("serving /metrics on %s (port %d)", listen.c_str(), metrics_port_);
  return absl::OkStatus();
}

void ControlPlane::WatchStore() {
  bool failing = false;
  sync::MutexLock lock(&watch_mu_);
  const auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(watch_mu_) { return stopping_; };
  while (!watch_cv_.WaitWithTimeout(&watch_mu_, options_.store_poll_interval, stopping)) {
    watch_mu_.Unlock();
    const absl::Status synced = manager_.SyncFromStore();
    watch_mu_.Lock();
    // Log changes of state, not every poll of a store that stays down.
    if (!synced.ok() && !failing) {
      LogWarning("cannot read the store: %s", std::string(synced.message()).c_str());
    } else if (synced.ok() && failing) {
      LogInfo("the store is readable again");
    }
    failing = !synced.ok();
  }
}

}  // namespace switchyard::controlplane
