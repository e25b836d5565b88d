#include "dataplane/config/config_manager.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "switchyard/config/loader.h"
#include "switchyard/config/redact.h"

namespace switchyard::config {
namespace {

// Several file events arrive for one rotation (certificate, key, a symlink swap): loading
// waits until they have stopped for this long.
constexpr absl::Duration kCertificateFilesSettle = absl::Milliseconds(500);

// The directories holding the files the snapshot names: certificates' cert_file, key_file
// and client CA ca_file, and clusters' TLS ca_file and client certificate files (not
// resolved: Kubernetes swaps the `..data` symlink in the directory the configured path is
// in).
std::set<std::string> CertificateDirectories(const v1::Snapshot& snapshot) {
  std::set<std::string> directories;
  const auto add = [&directories](const std::string& path) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos) return;  // validation requires absolute paths
    directories.insert(slash == 0 ? "/" : path.substr(0, slash));
  };
  for (const v1::Certificate& certificate : snapshot.certificates()) {
    add(certificate.cert_file());
    add(certificate.key_file());
    add(certificate.ocsp_staple_file());
    add(certificate.client_certificates().ca_file());
  }
  for (const v1::Cluster& cluster : snapshot.clusters()) {
    add(cluster.tls().ca_file());
    add(cluster.tls().client_cert_file());
    add(cluster.tls().client_key_file());
  }
  return directories;
}

}  // namespace

ConfigManager::ConfigManager(ConfigManagerOptions options) : options_(std::move(options)) {
  if (!options_.watch_certificate_files) return;
  auto watcher = DirectoryWatcher::Start(
      [this] {
        if (absl::Status status = ReloadCertificateFiles(); !status.ok()) {
          LogError(
              "certificate files changed but cannot be loaded; the certificates loaded "
              "before keep serving: %s",
              std::string(status.message()).c_str());
        }
      },
      kCertificateFilesSettle);
  if (!watcher.ok()) {
    LogError(
        "cannot watch certificate files (%s): a changed file is loaded only with the "
        "next snapshot",
        std::string(watcher.status().message()).c_str());
    return;
  }
  certificate_watcher_ = std::move(*watcher);
}

absl::Status ConfigManager::CheckProxyLimits(const v1::Snapshot& snapshot) const {
  if (options_.max_routes == 0) return absl::OkStatus();
  size_t routes = 0;
  for (const v1::VirtualHost& vhost : snapshot.virtual_hosts()) routes += vhost.routes_size();
  if (routes > options_.max_routes) {
    return absl::FailedPreconditionError(absl::StrCat("snapshot has ", routes,
                                                      " routes; this proxy accepts at most ",
                                                      options_.max_routes, " (--max_routes)"));
  }
  return absl::OkStatus();
}

void ConfigManager::PrepareKeys(const std::shared_ptr<const runtime::RuntimeConfig>& compiled) {
  // Also for a config without sources: the fetcher then stops fetching the old ones.
  if (options_.jwks_fetcher == nullptr) return;
  if (const size_t without_keys = options_.jwks_fetcher->Prepare(compiled); without_keys > 0) {
    LogWarning(
        "%zu JWKS source(s) have no keys yet: their tokens get 401 jwks_not_ready until a "
        "fetch succeeds",
        without_keys);
  }
}

absl::Status ConfigManager::Install(const v1::Snapshot& snapshot, Source source) {
  sync::MutexLock install_lock(&install_mu_);
  const auto refuse = [this](absl::Status status) {
    sync::MutexLock lock(&mu_);
    ++stats_.rejections;
    return status;
  };
  if (absl::Status status = CheckProxyLimits(snapshot); !status.ok()) return refuse(status);
  const absl::Time start = absl::Now();
  // A certificate that expired after it was accepted (before this proxy restarted, or
  // before it joined) does not keep the rest of the snapshot from serving: the expiry
  // metric tells.
  auto compiled =
      runtime::RuntimeConfig::Compile(snapshot, current().get(),
                                      {.served_before = source == Source::kCache,
                                       .inline_dates_judged = source == Source::kControlPlane},
                                      options_.jwks_fetcher);
  if (!compiled.ok()) return refuse(compiled.status());
  const absl::Duration compile_time = absl::Now() - start;
  Serve(*compiled, std::make_shared<const v1::Snapshot>(snapshot), compile_time);
  {
    sync::MutexLock lock(&mu_);
    ++stats_.swaps;
  }
  if (certificate_watcher_ != nullptr) {
    certificate_watcher_->Watch(CertificateDirectories(snapshot));
  }
  LogInfo("serving snapshot version %llu (%d virtual hosts, %d clusters; compiled in %s)",
          static_cast<unsigned long long>(snapshot.version()), snapshot.virtual_hosts_size(),
          snapshot.clusters_size(), absl::FormatDuration(compile_time).c_str());

  if (options_.cache.has_value() && source != Source::kCache) {
    // Serving goes on even if the disk is full; only a boot without control plane suffers.
    if (absl::Status saved = options_.cache->Save(snapshot); !saved.ok()) {
      LogWarning("cannot cache snapshot: %s", std::string(saved.message()).c_str());
    }
  }
  return absl::OkStatus();
}

absl::Status ConfigManager::ReloadCertificateFiles() {
  sync::MutexLock install_lock(&install_mu_);
  std::shared_ptr<const v1::Snapshot> snapshot;
  std::shared_ptr<const runtime::RuntimeConfig> served;
  {
    sync::MutexLock lock(&mu_);
    snapshot = snapshot_;
    served = current_;
  }
  if (snapshot == nullptr || CertificateDirectories(*snapshot).empty()) return absl::OkStatus();
  const absl::Time start = absl::Now();
  auto compiled =
      runtime::RuntimeConfig::Compile(*snapshot, served.get(), {}, options_.jwks_fetcher);
  if (!compiled.ok()) {
    sync::MutexLock lock(&mu_);
    ++stats_.certificate_reload_failures;
    return compiled.status();
  }
  Serve(*compiled, std::move(snapshot), absl::Now() - start);
  {
    sync::MutexLock lock(&mu_);
    ++stats_.certificate_reloads;
  }
  LogInfo("certificate files reloaded: new TLS handshakes use them");
  return absl::OkStatus();
}

void ConfigManager::Serve(const std::shared_ptr<const runtime::RuntimeConfig>& compiled,
                          std::shared_ptr<const v1::Snapshot> snapshot,
                          absl::Duration compile_time) {
  PrepareKeys(compiled);
  std::vector<ConfigSink*> sinks;
  {
    sync::MutexLock lock(&mu_);
    current_ = compiled;
    stats_.version = snapshot->version();
    stats_.last_compile_time = compile_time;
    snapshot_ = std::move(snapshot);
    sinks = sinks_;
  }
  for (ConfigSink* sink : sinks) sink->Publish(compiled);
}

void ConfigManager::AttachSinks(std::vector<ConfigSink*> sinks) {
  sync::MutexLock lock(&mu_);
  sinks_ = std::move(sinks);
}

std::shared_ptr<const runtime::RuntimeConfig> ConfigManager::current() const {
  sync::MutexLock lock(&mu_);
  return current_;
}

uint64_t ConfigManager::version() const {
  sync::MutexLock lock(&mu_);
  return current_ ? current_->version() : 0;
}

ConfigManager::Stats ConfigManager::stats() const {
  sync::MutexLock lock(&mu_);
  return stats_;
}

std::string ConfigManager::DumpJson() const {
  std::shared_ptr<const v1::Snapshot> snapshot;
  {
    sync::MutexLock lock(&mu_);
    snapshot = snapshot_;
  }
  if (snapshot == nullptr) return "{}";
  v1::Snapshot shown = *snapshot;
  RedactSecrets(shown);
  return SnapshotToJson(shown);
}

}  // namespace switchyard::config
