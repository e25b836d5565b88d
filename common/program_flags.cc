#include "common/program_flags.h"

#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/flags/internal/parse.h"
#include "absl/flags/internal/usage.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"

namespace switchyard {

bool IsProgramFlagFile(std::string_view filename) {
  const absl::string_view name(filename.data(), filename.size());
  return !absl::StartsWith(name, "absl/") && !absl::StrContains(name, "/absl/");
}

std::vector<char*> ParseProgramFlags(int argc, char** argv, std::string_view usage) {
  absl::SetProgramUsageMessage(absl::string_view(usage.data(), usage.size()));
  absl::FlagsUsageConfig config;
  config.contains_helpshort_flags = [](absl::string_view file) {
    return IsProgramFlagFile(std::string_view(file.data(), file.size()));
  };
  config.contains_help_flags = config.contains_helpshort_flags;
  absl::SetFlagsUsageConfig(config);

  // The internal entry point is absl::ParseCommandLine minus its usage handling, which
  // Abseil 20220623 offers no other way to change: its exit code for --help is 1.
  std::vector<char*> positional = absl::flags_internal::ParseCommandLineImpl(
      argc, argv, absl::flags_internal::ArgvListAction::kRemoveParsedArgs,
      absl::flags_internal::UsageFlagsAction::kIgnoreUsage,
      absl::flags_internal::OnUndefinedFlag::kAbortIfUndefined);
  // -1: no usage flag was given. Anything else: help or the version was printed.
  if (absl::flags_internal::HandleUsageFlags(std::cout, absl::ProgramUsageMessage()) != -1) {
    std::cout.flush();
    std::exit(0);
  }
  return positional;
}

}  // namespace switchyard
