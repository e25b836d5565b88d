#include "tools/yardctl/exit_codes.h"

namespace switchyard::yardctl {

ExitCode ExitCodeForStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return ExitCode::kOk;
    case absl::StatusCode::kInvalidArgument:
      return ExitCode::kInvalidInput;
    // The admin API signals a version mismatch with FAILED_PRECONDITION; ABORTED is the
    // other code gRPC servers use for a lost concurrency race, and the remedy is the same.
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return ExitCode::kConflict;
    case absl::StatusCode::kUnavailable:
      return ExitCode::kUnavailable;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return ExitCode::kDenied;
    default:
      return ExitCode::kError;
  }
}

std::string_view ExitCodeHelp() {
  return "Exit codes:\n"
         "  0  success (including \"no change\")\n"
         "  1  other error (server error, version not found, answer too slow)\n"
         "  2  usage error (unknown command or flag, missing or malformed argument)\n"
         "  3  invalid input (file unreadable, parse or validation error, INVALID_ARGUMENT)\n"
         "  4  conflict (the current version is not --expected-version; FAILED_PRECONDITION)\n"
         "  5  control plane unreachable (UNAVAILABLE, or no connection within --timeout)\n"
         "  6  denied: no valid credentials (UNAUTHENTICATED) or role too small "
         "(PERMISSION_DENIED)\n";
}

}  // namespace switchyard::yardctl
