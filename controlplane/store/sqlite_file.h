// Opening the control plane's SQLite file, shared by the stores that keep their tables in
// it (versions and rejections: sqlite_version_store.h; API tokens: sqlite_token_store.h),
// each on its own connection.
#ifndef SWITCHYARD_CONTROLPLANE_STORE_SQLITE_FILE_H_
#define SWITCHYARD_CONTROLPLANE_STORE_SQLITE_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct sqlite3;

namespace switchyard::controlplane {

// Opens (creating if needed) the database at `path`: owner-only (0600; an existing file
// readable by others is made so, with a warning), WAL mode, synchronous=FULL, with
// `busy_timeout` for other processes' locks, then runs `schema`. The caller owns the
// handle (sqlite3_close). UNAVAILABLE with SQLite's message on failure.
absl::StatusOr<sqlite3*> OpenSqliteFile(const std::string& path, absl::Duration busy_timeout,
                                        const char* schema);

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_STORE_SQLITE_FILE_H_
