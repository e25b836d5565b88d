// The message for a lost optimistic-concurrency race (exit code 4), shared by apply and
// rollback: it names the version that is current now, so the operator can re-check and
// retry with the right --expected-version in one step.
#ifndef SWITCHYARD_TOOLS_YARDCTL_COMMANDS_CONFLICT_H_
#define SWITCHYARD_TOOLS_YARDCTL_COMMANDS_CONFLICT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "tools/yardctl/context.h"
#include "tools/yardctl/exit_codes.h"

namespace switchyard::yardctl {

// Reports `status` (FAILED_PRECONDITION or ABORTED) for a request that carried
// `expected_version`. Asks the server for its current version (History, limit 1) to
// write "the current version is 8, not 7: <check_step> and <retry_step> 8". When the
// current version cannot be learned, or no expected version was given, prints the
// server's message with the same advice in general terms.
ExitCode ReportConflict(CommandContext& context, const absl::Status& status,
                        std::optional<uint64_t> expected_version, const std::string& check_step,
                        const std::string& retry_step);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_COMMANDS_CONFLICT_H_
