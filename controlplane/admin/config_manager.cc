#include "controlplane/admin/config_manager.h"

#include <algorithm>
#include <cinttypes>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "controlplane/admin/route_removal.h"
#include "controlplane/diff/snapshot_diff.h"
#include "google/protobuf/util/time_util.h"
#include "switchyard/config/redact.h"
#include "switchyard/config/validate.h"

namespace switchyard::controlplane {

namespace {

// Reports the time from its construction to its destruction to `observe`, if set.
class ObserveDuration {
 public:
  explicit ObserveDuration(const std::function<void(absl::Duration)>& observe)
      : observe_(observe), start_(absl::Now()) {}
  ~ObserveDuration() {
    if (observe_) observe_(absl::Now() - start_);
  }
  ObserveDuration(const ObserveDuration&) = delete;
  ObserveDuration& operator=(const ObserveDuration&) = delete;

 private:
  const std::function<void(absl::Duration)>& observe_;
  const absl::Time start_;
};

using switchyard::v1::ResourceChange;

// The store's own NOT_FOUND and FAILED_PRECONDITION messages are meant for people; any
// other failure is the storage's, and the client may retry later.
absl::Status StoreError(const absl::Status& s) {
  if (s.code() == absl::StatusCode::kNotFound ||
      s.code() == absl::StatusCode::kFailedPrecondition ||
      s.code() == absl::StatusCode::kUnavailable) {
    return s;
  }
  return absl::UnavailableError(s.message());
}

absl::Status Conflict(uint64_t current, uint64_t expected) {
  return absl::FailedPreconditionError(absl::StrCat("current version is ", current,
                                                    ", you expected ", expected,
                                                    ": run `yardctl diff` and retry"));
}

switchyard::v1::VersionInfo ToInfo(const VersionRecord& r) {
  switchyard::v1::VersionInfo info;
  info.set_version(r.version);
  info.set_author(r.author);
  info.set_message(r.message);
  *info.mutable_created() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(r.created));
  info.set_rolled_back_from(r.rolled_back_from);
  return info;
}

void AddChanges(const ResourceChanges& changes, const char* type,
                switchyard::v1::DiffResponse& out) {
  std::vector<std::pair<const std::string*, ResourceChange::Kind>> all;
  for (const auto& n : changes.added) all.emplace_back(&n, ResourceChange::ADDED);
  for (const auto& n : changes.removed) all.emplace_back(&n, ResourceChange::REMOVED);
  for (const auto& n : changes.changed) all.emplace_back(&n, ResourceChange::CHANGED);
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
  for (const auto& [name, kind] : all) {
    ResourceChange* c = out.add_changes();
    c->set_kind(kind);
    c->set_resource_type(type);
    c->set_name(*name);
  }
}

}  // namespace

absl::StatusOr<switchyard::v1::ApplyResponse> ConfigManager::Apply(
    const switchyard::v1::ApplyRequest& request, const std::string& author) {
  const ObserveDuration timed(options_.observe_apply);
  switchyard::v1::Snapshot content = request.snapshot();
  content.clear_version();  // assigned by the store
  // "[redacted]" (what Get shows of a secret) means: keep the stored value.
  switchyard::v1::Snapshot current;
  if (absl::Status restored = RestoreFromCurrent(content, current); !restored.ok()) {
    return restored;
  }
  // Against the current version: a certificate it holds that has expired since does not
  // block this change (docs/tls.md).
  if (absl::Status valid = config::ValidateSnapshot(content, {.previous = &current}); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("snapshot is invalid: ", valid.message()));
  }
  std::optional<uint64_t> expected;
  if (request.has_expected_version()) expected = request.expected_version();
  return StoreIfChanged(std::move(content), expected, request.dry_run(),
                        request.allow_mass_delete(), author, request.message(), 0);
}

absl::StatusOr<switchyard::v1::ApplyResponse> ConfigManager::Rollback(
    const switchyard::v1::RollbackRequest& request, const std::string& author) {
  const ObserveDuration timed(options_.observe_apply);
  if (request.version() == 0) {
    return absl::InvalidArgumentError("name the version to roll back to (version > 0)");
  }
  absl::StatusOr<StoredVersion> old = store_.Get(request.version());
  if (!old.ok()) return StoreError(old.status());
  switchyard::v1::Snapshot content = std::move(old->snapshot);
  content.clear_version();
  // The rules may have tightened since that version was stored; proxies apply today's.
  // Certificates are judged against the current version, as an apply's are.
  absl::StatusOr<StoredVersion> current = store_.Get(0);
  if (!current.ok() && current.status().code() != absl::StatusCode::kNotFound) {
    return StoreError(current.status());
  }
  if (absl::Status valid = config::ValidateSnapshot(
          content, {.previous = current.ok() ? &current->snapshot : nullptr});
      !valid.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "version ", request.version(), " no longer passes validation: ", valid.message()));
  }
  std::optional<uint64_t> expected;
  if (request.has_expected_version()) expected = request.expected_version();
  const std::string message = request.message().empty()
                                  ? absl::StrCat("rollback to version ", request.version())
                                  : request.message();
  return StoreIfChanged(std::move(content), expected, /*dry_run=*/false,
                        request.allow_mass_delete(), author, message, request.version());
}

absl::StatusOr<switchyard::v1::ApplyResponse> ConfigManager::StoreIfChanged(
    switchyard::v1::Snapshot content, std::optional<uint64_t> expected_version, bool dry_run,
    bool allow_mass_delete, const std::string& author, const std::string& message,
    uint64_t rolled_back_from) {
  // Without expected_version, an append that loses a race with another apply is retried
  // against the new current version, so "unchanged" is always judged against the version
  // the new one follows.
  constexpr int kAttempts = 4;
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<StoredVersion> current = store_.Get(0);
    if (!current.ok() && current.status().code() != absl::StatusCode::kNotFound) {
      return StoreError(current.status());
    }
    const uint64_t current_version = current.ok() ? current->record.version : 0;
    if (expected_version.has_value() && *expected_version != current_version) {
      return Conflict(current_version, *expected_version);
    }
    switchyard::v1::ApplyResponse response;
    if (current.ok() && SameContent(content, current->snapshot)) {
      response.set_version(current_version);
      response.set_changed(false);
      return response;
    }
    response.set_changed(true);
    if (!allow_mass_delete) {
      if (absl::Status guard = CheckRouteRemoval(current.ok() ? &current->snapshot : nullptr,
                                                 content, options_.max_route_removal_fraction);
          !guard.ok()) {
        LogWarning("refused a change by '%s': %s", author.c_str(),
                   std::string(guard.message()).c_str());
        return guard;
      }
    }
    if (dry_run) {
      response.set_version(current_version + 1);
      return response;
    }
    absl::StatusOr<uint64_t> version =
        store_.Append(content, author, message, current_version, rolled_back_from);
    if (!version.ok()) {
      if (version.status().code() != absl::StatusCode::kFailedPrecondition) {
        return StoreError(version.status());
      }
      if (expected_version.has_value() || attempt == kAttempts) {
        // Another apply got in between; the caller decides what to do about it.
        absl::StatusOr<uint64_t> now = store_.CurrentVersion();
        return Conflict(now.ok() ? *now : current_version + 1,
                        expected_version.value_or(current_version));
      }
      continue;
    }
    content.set_version(*version);
    LogInfo(
        "applied version %" PRIu64 "%s by '%s': '%s' (%d virtual hosts, %d clusters)", *version,
        rolled_back_from != 0 ? absl::StrCat(" (rollback to ", rolled_back_from, ")").c_str() : "",
        author.c_str(), message.c_str(), content.virtual_hosts_size(), content.clusters_size());
    if (absl::Status published =
            hub_.Publish(std::make_shared<const switchyard::v1::Snapshot>(std::move(content)));
        !published.ok()) {
      // Stored but not servable: say so loudly; proxies keep the previous version.
      LogError("version %" PRIu64 " is stored but cannot be sent to proxies: %s", *version,
               std::string(published.message()).c_str());
    }
    response.set_version(*version);
    return response;
  }
}

absl::StatusOr<switchyard::v1::GetResponse> ConfigManager::Get(
    const switchyard::v1::GetRequest& request) {
  absl::StatusOr<StoredVersion> stored = store_.Get(request.version());
  if (!stored.ok()) return StoreError(stored.status());
  switchyard::v1::GetResponse response;
  *response.mutable_info() = ToInfo(stored->record);
  *response.mutable_snapshot() = std::move(stored->snapshot);
  config::RedactSecrets(*response.mutable_snapshot());
  return response;
}

absl::Status ConfigManager::RestoreFromCurrent(switchyard::v1::Snapshot& content,
                                               switchyard::v1::Snapshot& current) {
  absl::StatusOr<StoredVersion> stored = store_.Get(0);
  if (!stored.ok() && stored.status().code() != absl::StatusCode::kNotFound) {
    return StoreError(stored.status());
  }
  current = stored.ok() ? std::move(stored->snapshot) : switchyard::v1::Snapshot();
  return config::RestoreRedacted(content, current);
}

switchyard::v1::ValidateResponse ConfigManager::Validate(
    const switchyard::v1::ValidateRequest& request) {
  switchyard::v1::ValidateResponse response;
  for (std::string& e : config::ValidationErrors(request.snapshot())) {
    response.add_errors(std::move(e));
  }
  return response;
}

absl::StatusOr<switchyard::v1::DiffResponse> ConfigManager::Diff(
    const switchyard::v1::DiffRequest& request) {
  switchyard::v1::Snapshot against;
  uint64_t against_version = 0;
  absl::StatusOr<StoredVersion> stored = store_.Get(request.against_version());
  if (stored.ok()) {
    against = std::move(stored->snapshot);
    against_version = stored->record.version;
  } else if (request.against_version() != 0 ||
             stored.status().code() != absl::StatusCode::kNotFound) {
    return StoreError(stored.status());
  }  // else: nothing stored yet, so everything is added
  switchyard::v1::Snapshot candidate = request.snapshot();
  if (absl::Status restored = config::RestoreRedacted(candidate, against); !restored.ok()) {
    return restored;
  }
  const SnapshotDiff diff = DiffSnapshots(against, candidate);
  switchyard::v1::DiffResponse response;
  response.set_against_version(against_version);
  AddChanges(diff.virtual_hosts, "virtual_host", response);
  AddChanges(diff.clusters, "cluster", response);
  AddChanges(diff.certificates, "certificate", response);
  AddChanges(diff.consumers, "consumer", response);
  AddChanges(diff.auth_policies, "auth_policy", response);
  return response;
}

absl::StatusOr<switchyard::v1::HistoryResponse> ConfigManager::History(
    const switchyard::v1::HistoryRequest& request) {
  const size_t limit = request.limit() == 0
                           ? options_.default_history
                           : std::min<size_t>(request.limit(), options_.max_history);
  absl::StatusOr<std::vector<VersionRecord>> records = store_.History(limit);
  if (!records.ok()) return StoreError(records.status());
  switchyard::v1::HistoryResponse response;
  for (const VersionRecord& r : *records) *response.add_versions() = ToInfo(r);
  return response;
}

switchyard::v1::StatusResponse ConfigManager::Status() {
  switchyard::v1::StatusResponse response;
  // What proxies are offered, which can trail the store for a moment (SyncFromStore).
  response.set_current_version(hub_.CurrentVersion());
  for (auto& p : registry_.List()) *response.add_proxies() = std::move(p);
  return response;
}

absl::Status ConfigManager::SyncFromStore() {
  absl::StatusOr<uint64_t> latest = store_.CurrentVersion();
  if (!latest.ok()) return StoreError(latest.status());
  const uint64_t have = hub_.CurrentVersion();
  if (*latest <= have) return absl::OkStatus();
  const uint64_t depth = std::max<uint64_t>(options_.sync_depth, 1);
  const uint64_t first = std::max(have + 1, *latest >= depth ? *latest - depth + 1 : 1);
  std::vector<std::shared_ptr<const switchyard::v1::Snapshot>> versions;
  for (uint64_t v = first; v <= *latest; ++v) {
    absl::StatusOr<StoredVersion> stored = store_.Get(v);
    if (!stored.ok()) return StoreError(stored.status());
    versions.push_back(
        std::make_shared<const switchyard::v1::Snapshot>(std::move(stored->snapshot)));
  }
  LogInfo("serving version %" PRIu64 " from the store", *latest);
  return hub_.Publish(std::move(versions));
}

}  // namespace switchyard::controlplane
