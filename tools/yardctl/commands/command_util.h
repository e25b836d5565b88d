// What the commands share: reading the snapshot file, reporting failures with what to do
// next, and the -o flag.
//
// Output rule: results go to stdout, everything else (errors, hints) to stderr, so
// `yardctl get -o yaml > file` never captures an error message.
#ifndef SWITCHYARD_TOOLS_YARDCTL_COMMANDS_COMMAND_UTIL_H_
#define SWITCHYARD_TOOLS_YARDCTL_COMMANDS_COMMAND_UTIL_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "switchyard/v1/snapshot.pb.h"
#include "tools/yardctl/args.h"
#include "tools/yardctl/context.h"
#include "tools/yardctl/exit_codes.h"

namespace switchyard::yardctl {

// The (required) file flag every snapshot-reading command takes.
FlagSpec FileFlag(std::string_view help);

// Prints "error: <message>" (and each hint on its own line) to stderr; returns `code`.
// Usage errors end with a pointer to the command's --help.
ExitCode Fail(CommandContext& context, ExitCode code, std::string_view message,
              const std::vector<std::string>& hints = {});

// Loads `path` with the shared loader (config::LoadSnapshotFile; "-" reads stdin with
// config::ParseSnapshot) and validates it with the shared rules (config::ValidationErrors).
// On failure prints every problem and returns kInvalidInput; `offline_note`, when not
// empty, is printed after the problems (e.g. "nothing was sent to the control plane").
// The file's `version` field is cleared: versions are assigned by the control plane, and
// a file saved with `get -o yaml` carries the version it was read from. `for_the_server`:
// the snapshot goes to the control plane next, which puts redacted keys back
// (config::ValidationOptions::redacted_keys_from_server).
struct LoadedSnapshot {
  switchyard::v1::Snapshot snapshot;
  ExitCode failure = ExitCode::kOk;
};
LoadedSnapshot LoadAndValidate(CommandContext& context, const std::string& path,
                               std::string_view offline_note, bool for_the_server);

// Reports a failed admin RPC with what to do next; returns its exit code. Covers the
// failures every command shares: an unreachable server (with the address tried and how
// to change it), a slow one, INVALID_ARGUMENT, and everything else with its code.
// Conflicts and NOT_FOUND get more specific messages from the commands themselves.
ExitCode ReportRpcError(CommandContext& context, const absl::Status& status);

// Reports NOT_FOUND (a version that does not exist): the server's message, which names
// the latest version, or `fallback` if it sent none; then `hint`. Exit code 1.
ExitCode ReportNotFound(CommandContext& context, const absl::Status& status,
                        std::string_view fallback, std::string_view hint);

enum class OutputFormat { kTable, kYaml, kJson };

// Parses -o against the formats the command supports (the first one is the default);
// usage errors list the allowed ones.
absl::StatusOr<OutputFormat> ParseOutputFormat(const ParsedArgs& args,
                                               const std::vector<OutputFormat>& allowed);
FlagSpec OutputFlag(const std::vector<OutputFormat>& allowed);

// Reads `version` (nullopt or 0: the current one) into `response`. A failure is reported
// (NOT_FOUND: that version does not exist, or none has been stored, with what to run) and
// its exit code returned; kOk otherwise.
ExitCode GetVersion(CommandContext& context, std::optional<uint64_t> version,
                    absl::StatusOr<v1::GetResponse>& response);

// The value of an optional version flag ("--version"), or nullopt when absent.
absl::StatusOr<std::optional<uint64_t>> OptionalVersionFlag(const ParsedArgs& args,
                                                            std::string_view flag);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_COMMANDS_COMMAND_UTIL_H_
