// What the admin API does, apart from gRPC: validate, store and publish versions, and
// answer questions about them. AdminService (admin_service.h) adapts it to the wire.
//
// Errors are absl::Status with codes the CLI passes on to a person, and messages that
// say what to do: INVALID_ARGUMENT listing every validation error (resource and field),
// FAILED_PRECONDITION "current version is 7, you expected 5: run `yardctl diff` and
// retry", NOT_FOUND "version 99 does not exist; latest is 12", UNAVAILABLE when the
// store fails.
//
// Thread-safe (the store, hub and registry are); calls block on store I/O, so run them
// off gRPC's callback threads.
#ifndef SWITCHYARD_CONTROLPLANE_ADMIN_CONFIG_MANAGER_H_
#define SWITCHYARD_CONTROLPLANE_ADMIN_CONFIG_MANAGER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "controlplane/discovery/proxy_registry.h"
#include "controlplane/discovery/snapshot_hub.h"
#include "controlplane/store/version_store.h"
#include "switchyard/v1/admin.pb.h"

namespace switchyard::controlplane {

class ConfigManager {
 public:
  struct Options {
    // History page size when the request asks for 0, and the most it may ask for.
    size_t default_history = 50;
    size_t max_history = 1000;
    // How many recent versions SyncFromStore loads into the hub (as delta bases).
    size_t sync_depth = 9;
    // An apply or rollback may remove at most this fraction of the current routes (and
    // never all of them) unless it says allow_mass_delete (route_removal.h).
    double max_route_removal_fraction = 0.5;
    // Told how long each Apply and Rollback took, refused ones included (for /metrics);
    // called on the caller's thread. Unset: nothing.
    std::function<void(absl::Duration)> observe_apply;
  };

  // All three must outlive this object.
  ConfigManager(Options options, VersionStore& store, SnapshotHub& hub, ProxyRegistry& registry)
      : options_(options), store_(store), hub_(hub), registry_(registry) {}

  // `author` is recorded with the version; the request's own author field is not read
  // (AdminService decides who the author is).
  absl::StatusOr<switchyard::v1::ApplyResponse> Apply(const switchyard::v1::ApplyRequest& request,
                                                      const std::string& author);
  absl::StatusOr<switchyard::v1::ApplyResponse> Rollback(
      const switchyard::v1::RollbackRequest& request, const std::string& author);
  absl::StatusOr<switchyard::v1::GetResponse> Get(const switchyard::v1::GetRequest& request);
  switchyard::v1::ValidateResponse Validate(const switchyard::v1::ValidateRequest& request);
  absl::StatusOr<switchyard::v1::DiffResponse> Diff(const switchyard::v1::DiffRequest& request);
  absl::StatusOr<switchyard::v1::HistoryResponse> History(
      const switchyard::v1::HistoryRequest& request);
  switchyard::v1::StatusResponse Status();

  // Publishes to the hub the store's newest versions it does not have yet: at start-up,
  // and periodically to pick up versions another control plane appended to a shared store.
  absl::Status SyncFromStore();

 private:
  // Fills the fields of `content` that hold "[redacted]" from the current version, which
  // it leaves in `current` (empty when nothing is stored yet).
  absl::Status RestoreFromCurrent(switchyard::v1::Snapshot& content,
                                  switchyard::v1::Snapshot& current);
  // Stores `content` unless it equals the current version; publishes what it stores.
  // Refuses (also for a dry run) a mass route removal unless `allow_mass_delete`.
  absl::StatusOr<switchyard::v1::ApplyResponse> StoreIfChanged(
      switchyard::v1::Snapshot content, std::optional<uint64_t> expected_version, bool dry_run,
      bool allow_mass_delete, const std::string& author, const std::string& message,
      uint64_t rolled_back_from);

  const Options options_;
  VersionStore& store_;
  SnapshotHub& hub_;
  ProxyRegistry& registry_;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_ADMIN_CONFIG_MANAGER_H_
