// yardctl diff: which resources applying FILE would add, change or remove.
#include <ostream>

#include "absl/strings/str_cat.h"
#include "tools/yardctl/admin_view.h"
#include "tools/yardctl/commands/command_util.h"
#include "tools/yardctl/commands/commands.h"

namespace switchyard::yardctl {
namespace {

ExitCode RunDiff(const ParsedArgs& args, CommandContext& context) {
  absl::StatusOr<std::optional<uint64_t>> against = OptionalVersionFlag(args, "against");
  if (!against.ok()) {
    return Fail(context, ExitCode::kUsage, std::string(against.status().message()));
  }
  LoadedSnapshot loaded =
      LoadAndValidate(context, *args.Get("file"), "Nothing was sent to the control plane.",
                      /*for_the_server=*/true);
  if (loaded.failure != ExitCode::kOk) return loaded.failure;

  v1::DiffRequest request;
  *request.mutable_snapshot() = std::move(loaded.snapshot);
  request.set_against_version(against->value_or(0));
  absl::StatusOr<v1::DiffResponse> diff = context.client().Diff(request);
  if (!diff.ok()) {
    if (diff.status().code() == absl::StatusCode::kNotFound && against->has_value()) {
      return ReportNotFound(context, diff.status(),
                            absl::StrCat("version ", **against, " does not exist"),
                            "Run `yardctl history` to list the stored versions.");
    }
    return ReportRpcError(context, diff.status());
  }
  context.out() << DiffText(*diff);
  return ExitCode::kOk;
}

}  // namespace

Command DiffCommand() {
  return {
      .name = "diff",
      .synopsis = "diff -f FILE [--against VERSION]",
      .summary = "show which resources FILE would add, change or remove",
      .details =
          "Validates FILE locally, then asks the control plane to compare it with the current\n"
          "version (or VERSION) resource by resource: virtual hosts and clusters, by name.\n"
          "Nothing is stored.\n"
          "\n"
          "Output:\n"
          "  against version 7:\n"
          "    +  virtual_host  shop\n"
          "    ~  cluster       blue\n"
          "    -  cluster       legacy\n"
          "  3 changes: 1 added, 1 changed, 1 removed\n"
          "or \"no changes against version 7\". The exit code is 0 either way.\n"
          "\n"
          "Examples:\n"
          "  yardctl diff -f snapshot.yaml\n"
          "  yardctl diff -f snapshot.yaml --against 3\n",
      .flags = {FileFlag("snapshot file to compare (\"-\" reads stdin)"),
                {.name = "against",
                 .value_name = "VERSION",
                 .help = "compare with this stored version (default: the current one)"}},
      .run = RunDiff,
  };
}

}  // namespace switchyard::yardctl
