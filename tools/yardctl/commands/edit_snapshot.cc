#include "tools/yardctl/commands/edit_snapshot.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/yardctl/commands/command_util.h"

namespace switchyard::yardctl {

ExitCode EditCurrentSnapshot(CommandContext& context, const SnapshotEdit& edit,
                             v1::ApplyResponse& applied) {
  for (int attempt = 1; attempt <= kEditAttempts; ++attempt) {
    if (attempt > 1) {
      // The version that beat us is stored already, so the next read sees it; the pause
      // only spreads out several editors that keep colliding.
      absl::SleepFor(absl::Milliseconds(20 * (attempt - 1)));
    }
    absl::StatusOr<v1::GetResponse> current = context.client().Get(v1::GetRequest());
    if (!current.ok()) {
      if (current.status().code() == absl::StatusCode::kNotFound) {
        return Fail(context, ExitCode::kError, "no version has been stored yet",
                    {"Store one with `yardctl apply -f FILE`."});
      }
      return ReportRpcError(context, current.status());
    }
    const uint64_t version = current->info().version();
    v1::Snapshot snapshot = std::move(*current->mutable_snapshot());
    snapshot.clear_version();
    std::string message;
    if (const ExitCode edited = edit(snapshot, version, message); edited != ExitCode::kOk) {
      return edited;
    }

    v1::ApplyRequest request;
    *request.mutable_snapshot() = std::move(snapshot);
    request.set_expected_version(version);
    request.set_author(context.global().author);
    request.set_message(message);
    // The guard against removing routes is for whole files; an edit leaves the routes of
    // `version` as they are, and expected_version makes sure they are the current ones
    // (the guard would otherwise refuse any edit of a snapshot that has no route).
    request.set_allow_mass_delete(true);
    absl::StatusOr<v1::ApplyResponse> response = context.client().Apply(request);
    if (response.ok()) {
      applied = *std::move(response);
      return ExitCode::kOk;
    }
    if (ExitCodeForStatus(response.status()) != ExitCode::kConflict) {
      return ReportRpcError(context, response.status());
    }
  }
  return Fail(context, ExitCode::kConflict,
              absl::StrCat("the current version changed during each of ", kEditAttempts,
                           " attempts (other changes were stored first); nothing was changed"),
              {"Run the command again."});
}

}  // namespace switchyard::yardctl
