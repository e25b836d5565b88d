// A yardctl subcommand: its help text, its flags and the function that runs it. The
// dispatcher (yardctl.h) parses the command line against `flags` plus the global flags,
// checks the number of positional arguments, and only then calls `run`, so a command
// sees well-formed arguments and does its own checks of their values.
#ifndef SWITCHYARD_TOOLS_YARDCTL_COMMAND_H_
#define SWITCHYARD_TOOLS_YARDCTL_COMMAND_H_

#include <cstddef>
#include <string_view>
#include <vector>

#include "tools/yardctl/args.h"
#include "tools/yardctl/context.h"
#include "tools/yardctl/exit_codes.h"

namespace switchyard::yardctl {

struct Command {
  std::string_view name;
  // The usage line after "yardctl ", e.g. "apply -f FILE [--dry-run]".
  std::string_view synopsis;
  // One line for the command list.
  std::string_view summary;
  // Paragraphs after the usage line: what it does, what it prints, examples.
  std::string_view details;
  std::vector<FlagSpec> flags;
  size_t min_positional = 0;
  size_t max_positional = 0;
  // Works without a control plane (validate): no connection settings are resolved.
  bool offline = false;
  ExitCode (*run)(const ParsedArgs& args, CommandContext& context) = nullptr;
};

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_COMMAND_H_
