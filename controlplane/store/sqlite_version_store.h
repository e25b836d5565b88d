// VersionStore on one SQLite file: nothing to install or start, and history survives
// restarts. Several processes may open the same file; appends are serialized by SQLite's
// write lock (BEGIN IMMEDIATE), so the expected-version check cannot race. Rejections live
// in a second table of the same file, created on open (older files gain it then).
#ifndef SWITCHYARD_CONTROLPLANE_STORE_SQLITE_VERSION_STORE_H_
#define SWITCHYARD_CONTROLPLANE_STORE_SQLITE_VERSION_STORE_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/sync/mutex.h"
#include "controlplane/store/version_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace switchyard::controlplane {

class SqliteVersionStore final : public VersionStore {
 public:
  struct Options {
    // How long a statement waits for another process's lock before UNAVAILABLE.
    absl::Duration busy_timeout = absl::Seconds(5);
    // Rejections kept per node (the newest), and in all (the oldest beyond go). At least 1.
    size_t max_rejections_per_node = 16;
    size_t max_rejections = 100'000;
  };

  // Opens (creating if needed) the database at `path` in WAL mode. UNAVAILABLE with
  // SQLite's message when the file cannot be opened or is not a switchyard store.
  static absl::StatusOr<std::unique_ptr<SqliteVersionStore>> Open(const std::string& path,
                                                                  Options options);
  static absl::StatusOr<std::unique_ptr<SqliteVersionStore>> Open(const std::string& path) {
    return Open(path, Options());
  }

  ~SqliteVersionStore() override;
  SqliteVersionStore(const SqliteVersionStore&) = delete;
  SqliteVersionStore& operator=(const SqliteVersionStore&) = delete;

  absl::StatusOr<uint64_t> Append(const switchyard::v1::Snapshot& snapshot,
                                  const std::string& author, const std::string& message,
                                  std::optional<uint64_t> expected_version,
                                  uint64_t rolled_back_from) override;
  absl::StatusOr<StoredVersion> Get(uint64_t version) override;
  absl::StatusOr<uint64_t> CurrentVersion() override;
  absl::StatusOr<std::vector<VersionRecord>> History(size_t limit) override;
  absl::Status RecordRejections(const std::vector<Rejection>& rejections) override;
  absl::StatusOr<std::vector<Rejection>> Rejections(const std::string& node_id) override;

 private:
  // The prepared statements, in the order of kStatementSql in the .cc.
  enum Statement {
    kBegin,
    kCommit,
    kRollback,
    kMaxVersion,
    kInsert,
    kSelectOne,
    kSelectHistory,
    kInsertRejection,
    kPruneNodeRejections,
    kPruneRejections,
    kSelectRejections,
    kStatementCount,
  };

  SqliteVersionStore(std::string path, sqlite3* db, Options options);
  absl::Status Prepare() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // UNAVAILABLE naming the operation and SQLite's last error.
  absl::Status Error(const char* operation) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Step(Statement s, const char* operation) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<uint64_t> MaxVersionLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<uint64_t> InsertLocked(const switchyard::v1::Snapshot& snapshot,
                                        const std::string& author, const std::string& message,
                                        std::optional<uint64_t> expected_version,
                                        uint64_t rolled_back_from)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status NotFound(uint64_t version) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RecordRejectionsLocked(const std::vector<Rejection>& rejections)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const Options options_;
  // One connection; its statements are not thread-safe, so every use holds mu_.
  sync::Mutex mu_;
  sqlite3* const db_;
  sqlite3_stmt* statements_[kStatementCount] ABSL_GUARDED_BY(mu_) = {};
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_STORE_SQLITE_VERSION_STORE_H_
