#include "tools/yardctl/commands/conflict.h"

#include "absl/strings/str_cat.h"
#include "tools/yardctl/commands/command_util.h"

namespace switchyard::yardctl {

ExitCode ReportConflict(CommandContext& context, const absl::Status& status,
                        std::optional<uint64_t> expected_version, const std::string& check_step,
                        const std::string& retry_step) {
  const ExitCode code = ExitCodeForStatus(status);
  if (expected_version.has_value()) {
    v1::HistoryRequest request;
    request.set_limit(1);
    absl::StatusOr<v1::HistoryResponse> history = context.client().History(request);
    if (history.ok()) {
      const uint64_t current = history->versions().empty() ? 0 : history->versions(0).version();
      // Equal would mean the conflict was about something else; then the server's own
      // words are more useful than ours.
      if (current != *expected_version) {
        return Fail(context, code,
                    absl::StrCat("the current version is ", current, ", not ", *expected_version,
                                 ": ", check_step, " and ", retry_step, " ", current));
      }
    }
  }
  return Fail(context, code,
              absl::StrCat("the control plane refused the change: ", status.message()),
              {absl::StrCat(check_step, " and ", retry_step,
                            " set to the current version (`yardctl history --limit 1`).")});
}

}  // namespace switchyard::yardctl
