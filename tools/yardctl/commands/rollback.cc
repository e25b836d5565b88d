// yardctl rollback: store a new version whose content is an old one's.
#include <ostream>

#include "absl/strings/str_cat.h"
#include "tools/yardctl/commands/command_util.h"
#include "tools/yardctl/commands/commands.h"
#include "tools/yardctl/commands/conflict.h"

namespace switchyard::yardctl {
namespace {

ExitCode RunRollback(const ParsedArgs& args, CommandContext& context) {
  absl::StatusOr<uint64_t> target = ParseVersion(args.positional()[0], "VERSION");
  if (!target.ok()) return Fail(context, ExitCode::kUsage, std::string(target.status().message()));
  if (*target == 0) {
    return Fail(context, ExitCode::kUsage, "VERSION must be a stored version (1 or more)");
  }
  absl::StatusOr<std::optional<uint64_t>> expected = OptionalVersionFlag(args, "expected-version");
  if (!expected.ok()) {
    return Fail(context, ExitCode::kUsage, std::string(expected.status().message()));
  }

  v1::RollbackRequest request;
  request.set_version(*target);
  if (expected->has_value()) request.set_expected_version(**expected);
  request.set_allow_mass_delete(args.IsSet("allow-mass-delete"));
  request.set_author(context.global().author);
  request.set_message(args.Get("message").value_or(""));
  absl::StatusOr<v1::ApplyResponse> response = context.client().Rollback(request);
  if (!response.ok()) {
    const absl::Status& status = response.status();
    if (ExitCodeForStatus(status) == ExitCode::kConflict) {
      return ReportConflict(context, status, *expected, "run `yardctl history` to see what changed",
                            "roll back again with --expected-version");
    }
    if (status.code() == absl::StatusCode::kNotFound) {
      return ReportNotFound(context, status, absl::StrCat("version ", *target, " does not exist"),
                            "Run `yardctl history` to list the stored versions.");
    }
    return ReportRpcError(context, status);
  }
  if (response->changed()) {
    context.out() << "rolled back: version " << response->version()
                  << " has the content of version " << *target << "\n";
  } else {
    context.out() << "no change (the current version " << response->version()
                  << " already has the content of version " << *target << ")\n";
  }
  return ExitCode::kOk;
}

}  // namespace

Command RollbackCommand() {
  return {
      .name = "rollback",
      .synopsis = "rollback VERSION [--message M] [--expected-version N] [--allow-mass-delete]",
      .summary = "store a new version with the content of VERSION",
      .details =
          "Stores a new version whose content equals stored version VERSION; history is never\n"
          "rewritten, so a rollback can itself be rolled back. Proxies receive it like any\n"
          "other version.\n"
          "\n"
          "Prints \"rolled back: version N has the content of version VERSION\", or \"no change\"\n"
          "when the current version already has that content (exit code 0).\n"
          "\n"
          "Like apply, a rollback that would remove most of the current routes is refused\n"
          "(exit code 3) unless --allow-mass-delete says it is intended.\n"
          "\n"
          "Examples:\n"
          "  yardctl rollback 7 --message \"canary returns 500s\"\n"
          "  yardctl rollback 7 --expected-version 9\n",
      .flags = {{.name = "message", .value_name = "M", .help = "why, recorded in the history"},
                {.name = "expected-version",
                 .value_name = "N",
                 .help = "roll back only if N is still the current version"},
                {.name = "allow-mass-delete",
                 .help = "roll back even if that removes most of the current routes"}},
      .min_positional = 1,
      .max_positional = 1,
      .run = RunRollback,
  };
}

}  // namespace switchyard::yardctl
