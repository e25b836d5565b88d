// yardctl history: the stored versions, newest first.
#include <ostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tools/yardctl/admin_view.h"
#include "tools/yardctl/commands/command_util.h"
#include "tools/yardctl/commands/commands.h"

namespace switchyard::yardctl {
namespace {

absl::StatusOr<uint32_t> ParseLimit(const ParsedArgs& args) {
  std::optional<std::string> text = args.Get("limit");
  if (!text.has_value()) return 0;
  uint32_t limit = 0;
  bool digits_only = !text->empty();
  for (char c : *text) digits_only = digits_only && c >= '0' && c <= '9';
  if (!digits_only || !absl::SimpleAtoi(*text, &limit) || limit == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--limit must be a positive integer, got \"", *text, "\""));
  }
  return limit;
}

ExitCode RunHistory(const ParsedArgs& args, CommandContext& context) {
  absl::StatusOr<uint32_t> limit = ParseLimit(args);
  if (!limit.ok()) return Fail(context, ExitCode::kUsage, std::string(limit.status().message()));
  absl::StatusOr<OutputFormat> format =
      ParseOutputFormat(args, {OutputFormat::kTable, OutputFormat::kJson});
  if (!format.ok()) return Fail(context, ExitCode::kUsage, std::string(format.status().message()));

  v1::HistoryRequest request;
  request.set_limit(*limit);
  absl::StatusOr<v1::HistoryResponse> history = context.client().History(request);
  if (!history.ok()) return ReportRpcError(context, history.status());
  context.out() << (*format == OutputFormat::kJson ? HistoryJson(*history)
                                                   : HistoryTable(*history));
  return ExitCode::kOk;
}

}  // namespace

Command HistoryCommand() {
  return {
      .name = "history",
      .synopsis = "history [--limit N] [-o table|json]",
      .summary = "list the stored versions, newest first",
      .details =
          "The current version comes first:\n"
          "  VERSION  CREATED               AUTHOR       MESSAGE\n"
          "  9        2026-11-26 07:12:40Z  alice@ops-1  (rollback to 7) bad canary\n"
          "  8        2026-11-26 07:10:02Z  deploy@ci    canary 10%\n"
          "-o json prints {\"versions\": [{\"version\", \"created\", \"author\", \"message\",\n"
          "\"rolled_back_from\"}]} with numbers as numbers and times in RFC 3339 (UTC).\n"
          "\n"
          "Examples:\n"
          "  yardctl history --limit 5\n"
          "  yardctl history -o json | jq '.versions[0].version'\n",
      .flags = {{.name = "limit",
                 .value_name = "N",
                 .help = "at most N versions (default: the control plane's page size)"},
                OutputFlag({OutputFormat::kTable, OutputFormat::kJson})},
      .run = RunHistory,
  };
}

}  // namespace switchyard::yardctl
