// Command-line parsing for the Switchyard programs that use Abseil flags
// (switchyard-proxy, switchyard-control, sample-backend), so that each behaves the same.
#ifndef SWITCHYARD_COMMON_PROGRAM_FLAGS_H_
#define SWITCHYARD_COMMON_PROGRAM_FLAGS_H_

#include <string_view>
#include <vector>

namespace switchyard {

// True when a flag defined in `filename` (as Abseil reports it: the compiled source path)
// is one of the program's own, false for Abseil's own flags (--flagfile, --helpfull, ...).
// --help and --helpshort list the program's own flags. Abseil's default lists only flags
// defined in a file named after the binary, which no Switchyard main.cc is, so --help
// said "No flags matched".
bool IsProgramFlagFile(std::string_view filename);

// Sets `usage` as the program's usage message and parses argv like
// absl::ParseCommandLine, with two differences: --help lists the program's own flags
// (IsProgramFlagFile), and --help, --helpfull, --helpshort, --helpon, --helpmatch and
// --version exit 0 after printing (Abseil 20220623 exits 1), since the user got what they
// asked for. An unknown or malformed flag still prints an error and exits 1. Returns the
// positional arguments, argv[0] first. Call once, first thing in main().
std::vector<char*> ParseProgramFlags(int argc, char** argv, std::string_view usage);

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_PROGRAM_FLAGS_H_
