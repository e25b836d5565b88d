// The --help texts, built from the Command and FlagSpec tables so that help can never
// list a flag the parser does not accept, or miss one it does.
#ifndef SWITCHYARD_TOOLS_YARDCTL_HELP_H_
#define SWITCHYARD_TOOLS_YARDCTL_HELP_H_

#include <string>
#include <vector>

#include "tools/yardctl/command.h"

namespace switchyard::yardctl {

// `yardctl --help`: what yardctl is, the commands, global flags and exit codes.
std::string GlobalHelp(const std::vector<Command>& commands);

// `yardctl COMMAND --help`: usage, details, the command's flags, global flags, exit codes.
std::string CommandHelp(const Command& command);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_HELP_H_
