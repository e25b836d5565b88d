#include "tools/yardctl/yardctl.h"

#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ascii.h"
#include "tools/yardctl/commands/commands.h"
#include "tools/yardctl/exit_codes.h"
#include "tools/yardctl/help.h"

namespace switchyard::yardctl {
namespace {

const Command* FindCommand(std::string_view name) {
  for (const Command& command : AllCommands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

int UsageError(const Environment& env, absl::string_view message, std::string_view help_command) {
  *env.err << "error: " << message << "\n"
           << "Run `yardctl " << help_command << (help_command.empty() ? "" : " ")
           << "--help` for usage.\n";
  return ToInt(ExitCode::kUsage);
}

// `yardctl help [COMMAND]`.
int RunHelp(const std::vector<std::string>& args, const Environment& env) {
  if (args.empty()) {
    *env.out << GlobalHelp(AllCommands());
    return ToInt(ExitCode::kOk);
  }
  const Command* command = FindCommand(args[0]);
  if (command == nullptr || args.size() > 1) {
    return UsageError(env, absl::StrCat("no help for \"", absl::StrJoin(args, " "), "\""), "");
  }
  *env.out << CommandHelp(*command);
  return ToInt(ExitCode::kOk);
}

// Flags the dispatcher checks for the command, so each command may rely on them.
absl::Status CheckArguments(const Command& command, const ParsedArgs& args) {
  for (const FlagSpec& flag : command.flags) {
    if (flag.required && !args.Has(flag.name)) {
      return absl::InvalidArgumentError(absl::StrCat("missing ", FlagUsage(flag)));
    }
  }
  const size_t given = args.positional().size();
  if (given < command.min_positional) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing argument; usage: yardctl ", ToAbsl(command.synopsis)));
  }
  if (given > command.max_positional) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument \"", args.positional()[command.max_positional], "\""));
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<Command>& AllCommands() {
  static const auto* const kCommands = new std::vector<Command>{
      ValidateCommand(), DiffCommand(),    ApplyCommand(),    GetCommand(),    ConsumersCommand(),
      KeysCommand(),     HistoryCommand(), RollbackCommand(), StatusCommand(), TokensCommand(),
  };
  return *kCommands;
}

int RunYardctl(const std::vector<std::string>& args, const Environment& env) {
  absl::StatusOr<CommandLine> line = SplitCommandLine(args, GlobalFlags());
  if (!line.ok()) return UsageError(env, line.status().message(), "");
  if (line->command.empty()) {
    absl::StatusOr<ParsedArgs> leading = ParseArgs(line->leading, GlobalFlags());
    if (leading.ok() && leading->IsSet("help")) {
      *env.out << GlobalHelp(AllCommands());
      return ToInt(ExitCode::kOk);
    }
    *env.err << GlobalHelp(AllCommands());
    return ToInt(ExitCode::kUsage);
  }
  if (line->command == "help") return RunHelp(line->rest, env);

  const Command* command = FindCommand(line->command);
  if (command == nullptr) {
    return UsageError(env, absl::StrCat("unknown command \"", line->command, "\""), "");
  }
  std::vector<FlagSpec> specs = command->flags;
  specs.insert(specs.end(), GlobalFlags().begin(), GlobalFlags().end());
  std::vector<std::string> command_args = line->leading;
  command_args.insert(command_args.end(), line->rest.begin(), line->rest.end());
  absl::StatusOr<ParsedArgs> parsed = ParseArgs(command_args, specs);
  if (!parsed.ok()) return UsageError(env, parsed.status().message(), command->name);
  // Help wins over missing or extra arguments: it is what a confused user asks for.
  if (parsed->IsSet("help")) {
    *env.out << CommandHelp(*command);
    return ToInt(ExitCode::kOk);
  }
  if (absl::Status checked = CheckArguments(*command, *parsed); !checked.ok()) {
    return UsageError(env, checked.message(), command->name);
  }
  absl::StatusOr<GlobalOptions> global = ResolveGlobalOptions(*parsed, env, !command->offline);
  if (!global.ok()) return UsageError(env, global.status().message(), command->name);

  CommandContext context(env, std::string(command->name), *std::move(global));
  return ToInt(command->run(*parsed, context));
}

}  // namespace switchyard::yardctl
