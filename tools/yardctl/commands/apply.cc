// yardctl apply: validate FILE locally, then store it as the next version.
#include <ostream>

#include "absl/strings/str_cat.h"
#include "tools/yardctl/commands/command_util.h"
#include "tools/yardctl/commands/commands.h"
#include "tools/yardctl/commands/conflict.h"

namespace switchyard::yardctl {
namespace {

ExitCode RunApply(const ParsedArgs& args, CommandContext& context) {
  absl::StatusOr<std::optional<uint64_t>> expected = OptionalVersionFlag(args, "expected-version");
  if (!expected.ok()) {
    return Fail(context, ExitCode::kUsage, std::string(expected.status().message()));
  }
  const std::string path = *args.Get("file");
  const bool dry_run = args.IsSet("dry-run");
  // Validating first keeps a broken file from costing a round trip, and gives the same
  // complete error list as `yardctl validate` instead of the server's summary.
  LoadedSnapshot loaded = LoadAndValidate(context, path, "Nothing was sent to the control plane.",
                                          /*for_the_server=*/true);
  if (loaded.failure != ExitCode::kOk) return loaded.failure;

  v1::ApplyRequest request;
  *request.mutable_snapshot() = std::move(loaded.snapshot);
  if (expected->has_value()) request.set_expected_version(**expected);
  request.set_dry_run(dry_run);
  request.set_allow_mass_delete(args.IsSet("allow-mass-delete"));
  request.set_author(context.global().author);
  request.set_message(args.Get("message").value_or(""));

  absl::StatusOr<v1::ApplyResponse> response = context.client().Apply(request);
  if (!response.ok()) {
    if (ExitCodeForStatus(response.status()) == ExitCode::kConflict) {
      return ReportConflict(context, response.status(), *expected,
                            absl::StrCat("run `yardctl diff -f ", path, "`"),
                            "apply again with --expected-version");
    }
    return ReportRpcError(context, response.status());
  }
  // For "no change" the server reports the current version, which already holds FILE.
  if (dry_run) {
    if (response->changed()) {
      context.out() << "dry run: valid; would be stored as version " << response->version()
                    << " (nothing was stored)\n";
    } else {
      context.out() << "dry run: no change (version " << response->version()
                    << " already has this content)\n";
    }
  } else if (response->changed()) {
    context.out() << "applied: version " << response->version() << "\n";
  } else {
    context.out() << "no change (version " << response->version() << " already has this content)\n";
  }
  return ExitCode::kOk;
}

}  // namespace

Command ApplyCommand() {
  return {
      .name = "apply",
      .synopsis =
          "apply -f FILE [--dry-run] [--message M] [--expected-version N] [--allow-mass-delete]",
      .summary = "validate FILE and store it as the next version",
      .details =
          "Validates FILE locally (as `yardctl validate` does), then sends it to the control\n"
          "plane, which validates it again and stores it as a new version that every proxy\n"
          "then receives. The `version` field of FILE, if any, is ignored: the control plane\n"
          "numbers versions.\n"
          "\n"
          "Prints \"applied: version N\", or \"no change (version N already has this content)\"\n"
          "when FILE equals the current version (nothing is stored; exit code 0).\n"
          "\n"
          "With --expected-version N the control plane stores nothing unless N is still the\n"
          "current version; otherwise yardctl exits with 4 and says which version is current.\n"
          "Use it when several people or pipelines apply: `yardctl diff`, then apply with the\n"
          "version the diff was made against.\n"
          "\n"
          "The control plane refuses FILE when it has no route at all, or removes more than its\n"
          "--max_route_removal_fraction of the current routes (default half), and stores\n"
          "nothing (exit code 3); --allow-mass-delete says that this is intended.\n"
          "\n"
          "Examples:\n"
          "  yardctl apply -f snapshot.yaml --message \"add the shop routes\"\n"
          "  yardctl apply -f snapshot.yaml --dry-run\n"
          "  yardctl apply -f snapshot.yaml --expected-version 7\n",
      .flags = {FileFlag("snapshot file to store (\"-\" reads stdin)"),
                {.name = "dry-run",
                 .help = "have the control plane check FILE and name its version; store nothing"},
                {.name = "message", .value_name = "M", .help = "why, recorded in the history"},
                {.name = "expected-version",
                 .value_name = "N",
                 .help = "store only if N is the current version (0: only if none is stored)"},
                {.name = "allow-mass-delete",
                 .help = "store even if FILE removes every route or most of them"}},
      .run = RunApply,
  };
}

}  // namespace switchyard::yardctl
