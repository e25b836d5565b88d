#include "controlplane/store/sqlite_version_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "controlplane/store/sqlite_file.h"

namespace switchyard::controlplane {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS versions (
  version INTEGER PRIMARY KEY,
  created_unix_micros INTEGER NOT NULL,
  author TEXT NOT NULL,
  message TEXT NOT NULL,
  rolled_back_from INTEGER NOT NULL DEFAULT 0,
  snapshot BLOB NOT NULL
);
-- id is the record order: a rejection recorded again is deleted and inserted anew
-- (INSERT OR REPLACE), so it becomes the node's newest.
CREATE TABLE IF NOT EXISTS rejections (
  id INTEGER PRIMARY KEY,
  node_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  error TEXT NOT NULL,
  rejected_unix_micros INTEGER NOT NULL,
  UNIQUE (node_id, version)
);
CREATE INDEX IF NOT EXISTS rejections_by_node ON rejections (node_id, id);
)sql";

// Indexed by SqliteVersionStore::Statement.
constexpr const char* kStatementSql[] = {
    // IMMEDIATE takes the write lock before the read of the current version, so two
    // processes appending at once are serialized instead of both reading the same number.
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "SELECT COALESCE(MAX(version), 0) FROM versions",
    "INSERT INTO versions (version, created_unix_micros, author, message, rolled_back_from, "
    "snapshot) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    "SELECT version, created_unix_micros, author, message, rolled_back_from, snapshot "
    "FROM versions WHERE version = ?1",
    "SELECT version, created_unix_micros, author, message, rolled_back_from "
    "FROM versions ORDER BY version DESC LIMIT ?1",
    "INSERT OR REPLACE INTO rejections (node_id, version, error, rejected_unix_micros) "
    "VALUES (?1, ?2, ?3, ?4)",
    // All of the node's rows up to its (?2 + 1)-th newest; none when it has no more than ?2
    // (the subquery is NULL).
    "DELETE FROM rejections WHERE node_id = ?1 AND id <= (SELECT id FROM rejections "
    "WHERE node_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    "DELETE FROM rejections WHERE id IN (SELECT id FROM rejections ORDER BY id "
    "LIMIT MAX(0, (SELECT COUNT(*) FROM rejections) - ?1))",
    "SELECT node_id, version, error, rejected_unix_micros FROM rejections "
    "WHERE node_id = ?1 ORDER BY id",
};
static_assert(std::size(kStatementSql) == 11);

// Resets a statement when it goes out of scope, so the next use starts clean and no read
// transaction stays open on the file.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* s) : s_(s) {}
  ~ResetOnExit() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* s_;
};

std::string ColumnText(sqlite3_stmt* s, int column) {
  const auto* text = sqlite3_column_text(s, column);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char*>(text),
                                       static_cast<size_t>(sqlite3_column_bytes(s, column)));
}

VersionRecord ReadRecord(sqlite3_stmt* s) {
  VersionRecord r;
  r.version = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
  r.created = absl::FromUnixMicros(sqlite3_column_int64(s, 1));
  r.author = ColumnText(s, 2);
  r.message = ColumnText(s, 3);
  r.rolled_back_from = static_cast<uint64_t>(sqlite3_column_int64(s, 4));
  return r;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteVersionStore>> SqliteVersionStore::Open(
    const std::string& path, Options options) {
  absl::StatusOr<sqlite3*> db = OpenSqliteFile(path, options.busy_timeout, kSchema);
  if (!db.ok()) return db.status();
  std::unique_ptr<SqliteVersionStore> store(new SqliteVersionStore(path, *db, options));
  sync::MutexLock lock(&store->mu_);
  if (absl::Status s = store->Prepare(); !s.ok()) return s;
  return store;
}

SqliteVersionStore::SqliteVersionStore(std::string path, sqlite3* db, Options options)
    : path_(std::move(path)), options_(options), db_(db) {}

SqliteVersionStore::~SqliteVersionStore() {
  sync::MutexLock lock(&mu_);
  for (sqlite3_stmt*& s : statements_) {
    sqlite3_finalize(s);
    s = nullptr;
  }
  sqlite3_close(db_);
}

absl::Status SqliteVersionStore::Prepare() {
  for (int i = 0; i < kStatementCount; ++i) {
    if (sqlite3_prepare_v3(db_, kStatementSql[i], -1, SQLITE_PREPARE_PERSISTENT, &statements_[i],
                           nullptr) != SQLITE_OK) {
      return Error("prepare");
    }
  }
  return absl::OkStatus();
}

absl::Status SqliteVersionStore::Error(const char* operation) const {
  return absl::UnavailableError(
      absl::StrCat("store ", path_, ": ", operation, ": ", sqlite3_errmsg(db_)));
}

absl::Status SqliteVersionStore::Step(Statement s, const char* operation) {
  ResetOnExit reset(statements_[s]);
  const int rc = sqlite3_step(statements_[s]);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? absl::OkStatus() : Error(operation);
}

absl::StatusOr<uint64_t> SqliteVersionStore::MaxVersionLocked() {
  sqlite3_stmt* s = statements_[kMaxVersion];
  ResetOnExit reset(s);
  if (sqlite3_step(s) != SQLITE_ROW) return Error("read current version");
  return static_cast<uint64_t>(sqlite3_column_int64(s, 0));
}

absl::StatusOr<uint64_t> SqliteVersionStore::Append(const switchyard::v1::Snapshot& snapshot,
                                                    const std::string& author,
                                                    const std::string& message,
                                                    std::optional<uint64_t> expected_version,
                                                    uint64_t rolled_back_from) {
  sync::MutexLock lock(&mu_);
  if (absl::Status s = Step(kBegin, "begin transaction"); !s.ok()) return s;
  absl::StatusOr<uint64_t> version =
      InsertLocked(snapshot, author, message, expected_version, rolled_back_from);
  if (version.ok()) {
    absl::Status s = Step(kCommit, "commit");
    if (s.ok()) return version;
    version = s;
  }
  // A failed COMMIT may already have rolled back; a second ROLLBACK then fails harmlessly.
  (void)Step(kRollback, "rollback");
  return version;
}

absl::StatusOr<uint64_t> SqliteVersionStore::InsertLocked(const switchyard::v1::Snapshot& snapshot,
                                                          const std::string& author,
                                                          const std::string& message,
                                                          std::optional<uint64_t> expected_version,
                                                          uint64_t rolled_back_from) {
  absl::StatusOr<uint64_t> current = MaxVersionLocked();
  if (!current.ok()) return current.status();
  if (expected_version.has_value() && *expected_version != *current) {
    return absl::FailedPreconditionError(
        absl::StrCat("current version is ", *current, ", you expected ", *expected_version));
  }
  const uint64_t version = *current + 1;
  switchyard::v1::Snapshot stored = snapshot;
  stored.set_version(version);
  std::string blob;
  if (!stored.SerializeToString(&blob)) {
    return absl::InternalError("snapshot cannot be serialized");
  }
  sqlite3_stmt* s = statements_[kInsert];
  ResetOnExit reset(s);
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(version));
  sqlite3_bind_int64(s, 2, absl::ToUnixMicros(absl::Now()));
  sqlite3_bind_text(s, 3, author.data(), static_cast<int>(author.size()), SQLITE_STATIC);
  sqlite3_bind_text(s, 4, message.data(), static_cast<int>(message.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 5, static_cast<sqlite3_int64>(rolled_back_from));
  sqlite3_bind_blob64(s, 6, blob.data(), blob.size(), SQLITE_STATIC);
  if (sqlite3_step(s) != SQLITE_DONE) return Error("insert version");
  return version;
}

absl::Status SqliteVersionStore::NotFound(uint64_t version) {
  absl::StatusOr<uint64_t> latest = MaxVersionLocked();
  if (!latest.ok()) return latest.status();
  if (*latest == 0) return absl::NotFoundError("no version has been stored yet");
  return absl::NotFoundError(
      absl::StrCat("version ", version, " does not exist; latest is ", *latest));
}

absl::StatusOr<StoredVersion> SqliteVersionStore::Get(uint64_t version) {
  sync::MutexLock lock(&mu_);
  if (version == 0) {
    absl::StatusOr<uint64_t> latest = MaxVersionLocked();
    if (!latest.ok()) return latest.status();
    if (*latest == 0) return absl::NotFoundError("no version has been stored yet");
    version = *latest;
  }
  sqlite3_stmt* s = statements_[kSelectOne];
  ResetOnExit reset(s);
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(version));
  const int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return NotFound(version);
  if (rc != SQLITE_ROW) return Error("read version");
  StoredVersion out;
  out.record = ReadRecord(s);
  const void* blob = sqlite3_column_blob(s, 5);
  const int size = sqlite3_column_bytes(s, 5);
  if (!out.snapshot.ParseFromArray(blob, size)) {
    return absl::DataLossError(absl::StrCat("store ", path_, ": version ", version,
                                            " holds a snapshot that does not parse"));
  }
  return out;
}

absl::StatusOr<uint64_t> SqliteVersionStore::CurrentVersion() {
  sync::MutexLock lock(&mu_);
  return MaxVersionLocked();
}

absl::StatusOr<std::vector<VersionRecord>> SqliteVersionStore::History(size_t limit) {
  sync::MutexLock lock(&mu_);
  sqlite3_stmt* s = statements_[kSelectHistory];
  ResetOnExit reset(s);
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(limit));
  std::vector<VersionRecord> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) out.push_back(ReadRecord(s));
  if (rc != SQLITE_DONE) return Error("read history");
  return out;
}

absl::Status SqliteVersionStore::RecordRejections(const std::vector<Rejection>& rejections) {
  for (const Rejection& r : rejections) {
    if (r.node_id.empty()) {
      return absl::InvalidArgumentError("a rejection must name the node that rejected");
    }
  }
  if (rejections.empty()) return absl::OkStatus();
  sync::MutexLock lock(&mu_);
  if (absl::Status s = Step(kBegin, "begin transaction"); !s.ok()) return s;
  absl::Status recorded = RecordRejectionsLocked(rejections);
  if (recorded.ok()) {
    recorded = Step(kCommit, "commit");
    if (recorded.ok()) return recorded;
  }
  (void)Step(kRollback, "rollback");  // see Append
  return recorded;
}

absl::Status SqliteVersionStore::RecordRejectionsLocked(const std::vector<Rejection>& rejections) {
  // Never prune a node to nothing: its last rejection is what Status shows.
  const auto per_node =
      static_cast<sqlite3_int64>(std::max<size_t>(options_.max_rejections_per_node, 1));
  for (const Rejection& r : rejections) {
    {
      sqlite3_stmt* s = statements_[kInsertRejection];
      ResetOnExit reset(s);
      sqlite3_bind_text(s, 1, r.node_id.data(), static_cast<int>(r.node_id.size()), SQLITE_STATIC);
      sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(r.version));
      sqlite3_bind_text(s, 3, r.error.data(), static_cast<int>(r.error.size()), SQLITE_STATIC);
      sqlite3_bind_int64(s, 4, absl::ToUnixMicros(r.time));
      if (sqlite3_step(s) != SQLITE_DONE) return Error("insert rejection");
    }
    sqlite3_stmt* s = statements_[kPruneNodeRejections];
    ResetOnExit reset(s);
    sqlite3_bind_text(s, 1, r.node_id.data(), static_cast<int>(r.node_id.size()), SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, per_node);
    if (sqlite3_step(s) != SQLITE_DONE) return Error("prune rejections");
  }
  sqlite3_stmt* s = statements_[kPruneRejections];
  ResetOnExit reset(s);
  sqlite3_bind_int64(s, 1,
                     static_cast<sqlite3_int64>(std::max<size_t>(options_.max_rejections, 1)));
  if (sqlite3_step(s) != SQLITE_DONE) return Error("prune rejections");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Rejection>> SqliteVersionStore::Rejections(const std::string& node_id) {
  sync::MutexLock lock(&mu_);
  sqlite3_stmt* s = statements_[kSelectRejections];
  ResetOnExit reset(s);
  sqlite3_bind_text(s, 1, node_id.data(), static_cast<int>(node_id.size()), SQLITE_STATIC);
  std::vector<Rejection> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    Rejection& r = out.emplace_back();
    r.node_id = ColumnText(s, 0);
    r.version = static_cast<uint64_t>(sqlite3_column_int64(s, 1));
    r.error = ColumnText(s, 2);
    r.time = absl::FromUnixMicros(sqlite3_column_int64(s, 3));
  }
  if (rc != SQLITE_DONE) return Error("read rejections");
  return out;
}

}  // namespace switchyard::controlplane
