// A read-modify-write of the current version, for commands that change one resource in
// place (`yardctl keys create` and `revoke`) instead of applying a whole file.
//
// Each attempt gets the current version, lets the command change it, and applies the
// result with expected_version set to the version it read, so a change that another
// operator stored in between is never overwritten: the control plane refuses the apply
// (FAILED_PRECONDITION), and the whole read-modify-write starts over on the new current
// version, up to kEditAttempts times.
//
// The snapshot an edit sees is Get's, with every secret shown as "[redacted]" (API key
// hashes, private keys), and it goes back as it is: the control plane puts the stored value
// back for each "[redacted]" of a resource of the same name (switchyard/config/redact.h).
// So nothing secret leaves the control plane, and an edit must not rename a resource that
// holds a redacted value. With expected_version set, the stored values restored are those
// of the very version the edit was made on.
#ifndef SWITCHYARD_TOOLS_YARDCTL_COMMANDS_EDIT_SNAPSHOT_H_
#define SWITCHYARD_TOOLS_YARDCTL_COMMANDS_EDIT_SNAPSHOT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "switchyard/v1/admin.pb.h"
#include "switchyard/v1/snapshot.pb.h"
#include "tools/yardctl/context.h"
#include "tools/yardctl/exit_codes.h"

namespace switchyard::yardctl {

inline constexpr int kEditAttempts = 5;

// Changes `snapshot`, which is version `version`, in place, and sets `message` to what the
// history records for the change. Returns kOk, or reports why it cannot (with Fail) and
// returns that exit code; nothing is applied then. Called once per attempt, each time on a
// fresh copy of the current version.
using SnapshotEdit = std::function<ExitCode(switchyard::v1::Snapshot& snapshot, uint64_t version,
                                            std::string& message)>;

// Runs the read-modify-write; the new version is recorded with the edit's message and the
// global --author. Returns kOk with `applied` set to the control plane's answer, or the
// exit code of the failure it reported: nothing stored yet (1), the edit's own failure, an
// RPC failure (as ReportRpcError), or a race lost kEditAttempts times in a row (4).
ExitCode EditCurrentSnapshot(CommandContext& context, const SnapshotEdit& edit,
                             switchyard::v1::ApplyResponse& applied);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_COMMANDS_EDIT_SNAPSHOT_H_
