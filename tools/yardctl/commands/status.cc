// yardctl status: what each proxy runs, and which ones lag or refused a version.
#include <ostream>

#include "tools/yardctl/admin_view.h"
#include "tools/yardctl/commands/command_util.h"
#include "tools/yardctl/commands/commands.h"

namespace switchyard::yardctl {
namespace {

ExitCode RunStatus(const ParsedArgs& args, CommandContext& context) {
  absl::StatusOr<OutputFormat> format =
      ParseOutputFormat(args, {OutputFormat::kTable, OutputFormat::kJson});
  if (!format.ok()) return Fail(context, ExitCode::kUsage, std::string(format.status().message()));
  absl::StatusOr<v1::StatusResponse> status = context.client().Status(v1::StatusRequest());
  if (!status.ok()) return ReportRpcError(context, status.status());
  context.out() << (*format == OutputFormat::kJson ? StatusJson(*status)
                                                   : StatusText(*status, context.now()));
  return ExitCode::kOk;
}

}  // namespace

Command StatusCommand() {
  return {
      .name = "status",
      .synopsis = "status [-o table|json]",
      .summary = "show what every proxy runs, and which are behind",
      .details =
          "Shows the current version, then one row per connected (or recently seen) proxy:\n"
          "  NODE  GROUP  LABELS  CONNECTED  SINCE  LAST SEEN  VERSION  REJECTED\n"
          "SINCE is how long the proxy has been connected, LAST SEEN how long ago it was last\n"
          "heard from; VERSION is the version it runs, marked \"(behind)\" when older than the\n"
          "current one; REJECTED the last version it refused. Below the table, each\n"
          "rejection's error, and how many proxies are behind.\n"
          "-o json prints the same with \"behind\": true|false on each proxy.\n"
          "\n"
          "Examples:\n"
          "  yardctl status\n"
          "  yardctl status -o json | jq '.proxies[] | select(.behind) | .node_id'\n",
      .flags = {OutputFlag({OutputFormat::kTable, OutputFormat::kJson})},
      .run = RunStatus,
  };
}

}  // namespace switchyard::yardctl
