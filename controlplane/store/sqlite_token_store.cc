#include "controlplane/store/sqlite_token_store.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "controlplane/store/sqlite_file.h"

namespace switchyard::controlplane {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS tokens (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  sha256 TEXT NOT NULL UNIQUE,
  created_unix_micros INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  expires_unix_micros INTEGER  -- NULL: never
);
)sql";

constexpr char kColumns[] =
    "name, role, sha256, created_unix_micros, created_by, expires_unix_micros";

// A prepared statement finalized at scope exit; statements here are rare (admin calls),
// so they are prepared per use instead of kept.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr);
  }
  ~Statement() { sqlite3_finalize(s_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* Raw() const { return s_; }
  bool Prepared() const { return s_ != nullptr; }
  void Bind(int index, const std::string& text) {
    sqlite3_bind_text(s_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

std::string Text(sqlite3_stmt* s, int column) {
  const auto* text = sqlite3_column_text(s, column);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char*>(text),
                                       static_cast<size_t>(sqlite3_column_bytes(s, column)));
}

TokenRecord ReadRecord(sqlite3_stmt* s) {
  TokenRecord r;
  r.name = Text(s, 0);
  // A role this version does not know grants the least.
  r.role = ParseRole(Text(s, 1)).value_or(Role::kViewer);
  r.sha256_hex = Text(s, 2);
  r.created = absl::FromUnixMicros(sqlite3_column_int64(s, 3));
  r.created_by = Text(s, 4);
  r.expires = sqlite3_column_type(s, 5) == SQLITE_NULL
                  ? absl::InfiniteFuture()
                  : absl::FromUnixMicros(sqlite3_column_int64(s, 5));
  return r;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteTokenStore>> SqliteTokenStore::Open(const std::string& path) {
  absl::StatusOr<sqlite3*> db = OpenSqliteFile(path, absl::Seconds(5), kSchema);
  if (!db.ok()) return db.status();
  return std::unique_ptr<SqliteTokenStore>(new SqliteTokenStore(path, *db));
}

SqliteTokenStore::~SqliteTokenStore() {
  sync::MutexLock lock(&mu_);
  sqlite3_close(db_);
}

absl::Status SqliteTokenStore::Error(const char* operation) const {
  return absl::UnavailableError(
      absl::StrCat("store ", path_, ": ", operation, ": ", sqlite3_errmsg(db_)));
}

absl::Status SqliteTokenStore::Create(const TokenRecord& record) {
  sync::MutexLock lock(&mu_);
  Statement s(db_,
              absl::StrCat("INSERT INTO tokens (", kColumns, ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  if (!s.Prepared()) return Error("prepare token insert");
  s.Bind(1, record.name);
  s.Bind(2, std::string(RoleName(record.role)));
  s.Bind(3, record.sha256_hex);
  sqlite3_bind_int64(s.Raw(), 4, absl::ToUnixMicros(record.created));
  s.Bind(5, record.created_by);
  if (record.expires != absl::InfiniteFuture()) {
    sqlite3_bind_int64(s.Raw(), 6, absl::ToUnixMicros(record.expires));
  }
  const int rc = sqlite3_step(s.Raw());
  if (rc == SQLITE_CONSTRAINT) {
    return absl::AlreadyExistsError(absl::StrCat("a token named '", record.name, "' exists"));
  }
  return rc == SQLITE_DONE ? absl::OkStatus() : Error("store token");
}

absl::StatusOr<std::optional<TokenRecord>> SqliteTokenStore::FindByHash(
    const std::string& sha256_hex) {
  sync::MutexLock lock(&mu_);
  Statement s(db_, absl::StrCat("SELECT ", kColumns, " FROM tokens WHERE sha256 = ?1"));
  if (!s.Prepared()) return Error("prepare token lookup");
  s.Bind(1, sha256_hex);
  const int rc = sqlite3_step(s.Raw());
  if (rc == SQLITE_ROW) return ReadRecord(s.Raw());
  if (rc == SQLITE_DONE) return std::nullopt;
  return Error("look up token");
}

absl::StatusOr<std::vector<TokenRecord>> SqliteTokenStore::List() {
  sync::MutexLock lock(&mu_);
  Statement s(db_, absl::StrCat("SELECT ", kColumns, " FROM tokens ORDER BY name"));
  if (!s.Prepared()) return Error("prepare token list");
  std::vector<TokenRecord> records;
  int rc;
  while ((rc = sqlite3_step(s.Raw())) == SQLITE_ROW) records.push_back(ReadRecord(s.Raw()));
  if (rc != SQLITE_DONE) return Error("list tokens");
  return records;
}

absl::StatusOr<bool> SqliteTokenStore::Revoke(const std::string& name) {
  sync::MutexLock lock(&mu_);
  Statement s(db_, "DELETE FROM tokens WHERE name = ?1");
  if (!s.Prepared()) return Error("prepare token revoke");
  s.Bind(1, name);
  if (sqlite3_step(s.Raw()) != SQLITE_DONE) return Error("revoke token");
  return sqlite3_changes(db_) > 0;
}

}  // namespace switchyard::controlplane
