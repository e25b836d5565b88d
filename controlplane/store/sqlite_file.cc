#include "controlplane/store/sqlite_file.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace switchyard::controlplane {
namespace {

// Creates the database file owner-only, or makes an existing one so: snapshots will carry
// secrets (private keys, key hashes). SQLite gives the -wal and -shm files the database
// file's mode.
absl::Status RestrictToOwner(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open store ", path, ": ", std::strerror(errno)));
  }
  struct stat st {};
  absl::Status status;
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
    if (::fchmod(fd, 0600) == 0) {
      LogWarning("store %s was readable by others (mode %03o); it is 0600 now", path.c_str(),
                 static_cast<unsigned>(st.st_mode & 0777));
    } else {
      status = absl::UnavailableError(
          absl::StrCat("cannot make store ", path, " owner-only: ", std::strerror(errno)));
    }
  }
  ::close(fd);
  return status;
}

}  // namespace

absl::StatusOr<sqlite3*> OpenSqliteFile(const std::string& path, absl::Duration busy_timeout,
                                        const char* schema) {
  if (absl::Status owner_only = RestrictToOwner(path); !owner_only.ok()) return owner_only;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("cannot open store ", path, ": ", why));
  }
  sqlite3_busy_timeout(db, static_cast<int>(absl::ToInt64Milliseconds(busy_timeout)));
  // WAL lets readers (Get, History) proceed while another process writes; synchronous=FULL
  // because an acknowledged Apply must survive a power cut.
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", schema}) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string why = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      sqlite3_close(db);
      return absl::UnavailableError(absl::StrCat("cannot initialise store ", path, ": ", why));
    }
  }
  return db;
}

}  // namespace switchyard::controlplane
