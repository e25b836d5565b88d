// A small command-line parser for yardctl's subcommands.
//
// Each command declares its flags as FlagSpecs; ParseArgs then accepts, in any order:
//   --name=value   --name value   -n value   -n=value     flags with a value
//   --name   --name=true   --name=false                  boolean flags
//   --                                                   the rest is positional
// and collects everything else as positional arguments. A lone "-" is positional (it
// means stdin where a file is expected). Unknown flags, a missing value and a flag given
// twice are errors: a mistyped flag must never be silently ignored by a tool that
// changes production configuration.
//
// absl flags were not used because they are process-global, while yardctl's flags are
// per command and the commands run in-process in tests.
#ifndef SWITCHYARD_TOOLS_YARDCTL_ARGS_H_
#define SWITCHYARD_TOOLS_YARDCTL_ARGS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace switchyard::yardctl {

struct FlagSpec {
  // Long name without dashes, e.g. "expected-version".
  std::string name;
  // One-letter alias ('f' for -f), or 0 for none.
  char short_name = 0;
  // Placeholder shown in help, e.g. "FILE". Empty: a boolean flag that takes no value.
  std::string value_name;
  std::string help;
  // The command refuses to run without it (checked before the command runs).
  bool required = false;

  bool takes_value() const { return !value_name.empty(); }
};

class ParsedArgs {
 public:
  // Positional arguments in order.
  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(std::string_view flag) const { return values_.find(flag) != values_.end(); }
  // The flag's value ("true"/"false" for booleans), if it was given.
  std::optional<std::string> Get(std::string_view flag) const;
  // For boolean flags: given and not "false".
  bool IsSet(std::string_view flag) const;

 private:
  friend absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>&,
                                              const std::vector<FlagSpec>&);
  std::vector<std::string> positional_;
  std::map<std::string, std::string, std::less<>> values_;
};

// Errors are INVALID_ARGUMENT with a message fit for the user ("unknown flag --x").
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& specs);

// Splits a full command line (without the program name) into the leading flags, the
// command name and the arguments after it. Only `leading_specs` (the global flags) may
// come before the command. The command is empty when there is none (e.g. "--help").
struct CommandLine {
  std::vector<std::string> leading;
  std::string command;
  std::vector<std::string> rest;
};
absl::StatusOr<CommandLine> SplitCommandLine(const std::vector<std::string>& args,
                                             const std::vector<FlagSpec>& leading_specs);

// "1", "42": a non-negative decimal integer with no sign, spaces or suffix; `what`
// names the argument in the error ("--expected-version").
absl::StatusOr<uint64_t> ParseVersion(std::string_view text, std::string_view what);

// "ms", "s", "m", "h" units as absl::ParseDuration takes them ("1.5s", "500ms"), or a
// bare number of seconds. Must be positive.
absl::StatusOr<absl::Duration> ParseTimeout(std::string_view text);

// How help shows a flag: "-f, --file FILE", "--dry-run".
std::string FlagUsage(const FlagSpec& spec);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_ARGS_H_
