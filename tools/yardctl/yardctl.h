// yardctl as a library: main() is one call to RunYardctl, and tests call it in-process
// with their own Environment (string streams, clock, server address).
#ifndef SWITCHYARD_TOOLS_YARDCTL_YARDCTL_H_
#define SWITCHYARD_TOOLS_YARDCTL_YARDCTL_H_

#include <string>
#include <vector>

#include "tools/yardctl/command.h"
#include "tools/yardctl/context.h"

namespace switchyard::yardctl {

// Every command, in the order help lists them.
const std::vector<Command>& AllCommands();

// Runs one command line (`args` excludes the program name) and returns the exit code
// (exit_codes.h). Results go to env.out, errors and hints to env.err.
int RunYardctl(const std::vector<std::string>& args, const Environment& env);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_YARDCTL_H_
