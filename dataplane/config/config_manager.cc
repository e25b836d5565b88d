#include "dataplane/config/config_manager.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "switchyard/config/loader.h"
#include "switchyard/config/redact.h"

namespace switchyard::config {

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

absl::Status ConfigManager::Install(const v1::Snapshot& snapshot, bool from_cache) {
  sync::MutexLock install_lock(&install_mu_);
  const auto refuse = [this](absl::Status status) {
    sync::MutexLock lock(&mu_);
    ++stats_.rejections;
    return status;
  };
  if (absl::Status status = CheckProxyLimits(snapshot); !status.ok()) return refuse(status);
  const absl::Time start = absl::Now();
  auto compiled = runtime::RuntimeConfig::Compile(snapshot);
  if (!compiled.ok()) return refuse(compiled.status());
  const absl::Duration compile_time = absl::Now() - start;

  std::vector<ConfigSink*> sinks;
  {
    sync::MutexLock lock(&mu_);
    current_ = *compiled;
    snapshot_ = std::make_shared<const v1::Snapshot>(snapshot);
    stats_.version = snapshot.version();
    ++stats_.swaps;
    stats_.last_compile_time = compile_time;
    sinks = sinks_;
  }
  for (ConfigSink* sink : sinks) sink->Publish(*compiled);
  LogInfo("serving snapshot version %llu (%d virtual hosts, %d clusters; compiled in %s)",
          static_cast<unsigned long long>(snapshot.version()), snapshot.virtual_hosts_size(),
          snapshot.clusters_size(), absl::FormatDuration(compile_time).c_str());

  if (options_.cache.has_value() && !from_cache) {
    // Serving goes on even if the disk is full; only a boot without control plane suffers.
    if (absl::Status saved = options_.cache->Save(snapshot); !saved.ok()) {
      LogWarning("cannot cache snapshot: %s", std::string(saved.message()).c_str());
    }
  }
  return absl::OkStatus();
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
