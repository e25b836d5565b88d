#include "tools/yardctl/help.h"

#include "absl/strings/str_cat.h"
#include "common/ascii.h"
#include "tools/yardctl/context.h"
#include "tools/yardctl/exit_codes.h"
#include "tools/yardctl/table.h"

namespace switchyard::yardctl {
namespace {

std::string FlagTable(const std::vector<FlagSpec>& flags) {
  Table table;
  for (const FlagSpec& flag : flags) {
    table.AddRow({FlagUsage(flag), flag.required ? flag.help + " (required)" : flag.help});
  }
  return table.Render("  ");
}

}  // namespace

std::string GlobalHelp(const std::vector<Command>& commands) {
  Table list;
  for (const Command& command : commands) {
    list.AddRow({std::string(command.name), std::string(command.summary)});
  }
  list.AddRow({"help", "show help for a command (also: yardctl COMMAND --help)"});
  return absl::StrCat(
      "yardctl: the Switchyard operator's CLI. Validates snapshot files offline and drives\n"
      "the control plane's admin API (switchyard-control).\n"
      "\n"
      "Usage:\n"
      "  yardctl [global flags] COMMAND [flags] [arguments]\n"
      "\n"
      "Commands:\n",
      list.Render("  "),
      "\n"
      "Global flags (before or after the command):\n",
      FlagTable(GlobalFlags()), "\n", ToAbsl(ExitCodeHelp()),
      "\n"
      "Run `yardctl COMMAND --help` for a command's flags and examples.\n"
      "Reference: docs/yardctl.md.\n");
}

std::string CommandHelp(const Command& command) {
  // Summaries are written lower-case for the command list; here one starts a sentence.
  std::string summary(command.summary);
  if (!summary.empty() && summary[0] >= 'a' && summary[0] <= 'z') summary[0] -= 'a' - 'A';
  std::string help = absl::StrCat("Usage: yardctl ", ToAbsl(command.synopsis), "\n\n", summary,
                                  ".\n\n", ToAbsl(command.details));
  if (!command.flags.empty()) absl::StrAppend(&help, "\nFlags:\n", FlagTable(command.flags));
  absl::StrAppend(&help, "\nGlobal flags:\n", FlagTable(GlobalFlags()), "\n",
                  ToAbsl(ExitCodeHelp()));
  return help;
}

}  // namespace switchyard::yardctl
