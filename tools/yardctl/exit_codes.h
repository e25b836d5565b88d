// yardctl's exit codes: the contract scripts rely on (also in `yardctl --help` and
// docs/yardctl.md). Each code names what the caller should do next, not where the
// failure happened: fix the command line (2), fix the file (3), re-read and retry (4),
// find the server (5), fix the credentials (6).
#ifndef SWITCHYARD_TOOLS_YARDCTL_EXIT_CODES_H_
#define SWITCHYARD_TOOLS_YARDCTL_EXIT_CODES_H_

#include <string_view>

#include "absl/status/status.h"

namespace switchyard::yardctl {

enum class ExitCode : int {
  kOk = 0,
  // Anything not below: a server-side failure, a version that does not exist, ...
  kError = 1,
  // The command line itself is wrong: unknown command or flag, missing argument.
  kUsage = 2,
  // The snapshot does not parse or does not validate (locally or on the server), or the
  // file cannot be read.
  kInvalidInput = 3,
  // Optimistic concurrency: the current version is not the --expected-version.
  kConflict = 4,
  // No connection to the control plane.
  kUnavailable = 5,
  // The control plane does not know who you are (UNAUTHENTICATED), or your role may not
  // do this (PERMISSION_DENIED): fix the credentials, not the request.
  kDenied = 6,
};

constexpr int ToInt(ExitCode code) { return static_cast<int>(code); }

// The exit code for an RPC (or local check) that ended with `status`:
// OK -> kOk; INVALID_ARGUMENT -> kInvalidInput; FAILED_PRECONDITION and ABORTED ->
// kConflict; UNAVAILABLE -> kUnavailable; UNAUTHENTICATED and PERMISSION_DENIED ->
// kDenied; everything else -> kError. DEADLINE_EXCEEDED
// maps to kError: the client reports a deadline that passed before any connection was
// made as UNAVAILABLE (see grpc_admin_client.h), so one that reaches here means a
// connected server that answered too slowly.
ExitCode ExitCodeForStatus(const absl::Status& status);

// The exit-code table as printed by `yardctl --help`.
std::string_view ExitCodeHelp();

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_EXIT_CODES_H_
