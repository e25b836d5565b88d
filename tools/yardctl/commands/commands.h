// The subcommands, one per file in this folder. Each returns its Command (help, flags,
// run function); yardctl.cc lists them in help order.
#ifndef SWITCHYARD_TOOLS_YARDCTL_COMMANDS_COMMANDS_H_
#define SWITCHYARD_TOOLS_YARDCTL_COMMANDS_COMMANDS_H_

#include "tools/yardctl/command.h"

namespace switchyard::yardctl {

Command ValidateCommand();
Command DiffCommand();
Command ApplyCommand();
Command GetCommand();
Command ConsumersCommand();
Command KeysCommand();
Command HistoryCommand();
Command RollbackCommand();
Command StatusCommand();
Command TokensCommand();

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_COMMANDS_COMMANDS_H_
