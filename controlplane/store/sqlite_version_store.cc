#include "controlplane/store/sqlite_version_store.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"

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
};
static_assert(std::size(kStatementSql) == 7);

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
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("cannot open store ", path, ": ", why));
  }
  std::unique_ptr<SqliteVersionStore> store(new SqliteVersionStore(path, db));
  sqlite3_busy_timeout(db, static_cast<int>(absl::ToInt64Milliseconds(options.busy_timeout)));
  // WAL lets readers (Get, History) proceed while another process writes; synchronous=FULL
  // because an acknowledged Apply must survive a power cut.
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", kSchema}) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string why = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      return absl::UnavailableError(absl::StrCat("cannot initialise store ", path, ": ", why));
    }
  }
  absl::MutexLock lock(&store->mu_);
  if (absl::Status s = store->Prepare(); !s.ok()) return s;
  return store;
}

SqliteVersionStore::SqliteVersionStore(std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db) {}

SqliteVersionStore::~SqliteVersionStore() {
  absl::MutexLock lock(&mu_);
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
  absl::MutexLock lock(&mu_);
  if (absl::Status s = Step(kBegin, "begin transaction"); !s.ok()) return s;
  absl::StatusOr<uint64_t> version =
      InsertLocked(snapshot, author, message, expected_version, rolled_back_from);
  if (version.ok()) {
    if (absl::Status s = Step(kCommit, "commit"); s.ok())
      return version;
    else
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
  absl::MutexLock lock(&mu_);
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
  absl::MutexLock lock(&mu_);
  return MaxVersionLocked();
}

absl::StatusOr<std::vector<VersionRecord>> SqliteVersionStore::History(size_t limit) {
  absl::MutexLock lock(&mu_);
  sqlite3_stmt* s = statements_[kSelectHistory];
  ResetOnExit reset(s);
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(limit));
  std::vector<VersionRecord> out;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) out.push_back(ReadRecord(s));
  if (rc != SQLITE_DONE) return Error("read history");
  return out;
}

}  // namespace switchyard::controlplane
