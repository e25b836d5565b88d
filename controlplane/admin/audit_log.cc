#include "controlplane/admin/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "nlohmann/json.hpp"

namespace switchyard::controlplane {
namespace {

int OpenForAppend(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  // An existing file keeps its mode on open: make it owner-only as well.
  if (fd >= 0) ::fchmod(fd, 0600);
  return fd;
}

std::string CodeName(absl::StatusCode code) { return absl::StatusCodeToString(code); }

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  const int fd = OpenForAppend(path);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open --audit_log=", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<AuditLog>(new AuditLog(path, fd));
}

AuditLog::~AuditLog() {
  sync::MutexLock lock(&mu_);
  if (fd_ >= 0) ::close(fd_);
}

std::string AuditLog::Format(const AuditRecord& r) {
  // Ordered: the fields read in the order of the header's example, not alphabetically.
  nlohmann::ordered_json line = {
      {"time", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", r.time, absl::UTCTimeZone())},
      {"caller", r.caller},
      {"via", r.via},
      {"role", r.role},
      {"peer", r.peer},
      {"method", r.method},
      {"code", CodeName(r.result.code())},
      {"message", std::string(r.result.message())},
      {"version", r.version},
      {"detail", r.detail},
  };
  // Replace, not throw, on bytes that are not UTF-8 (a client's message field).
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void AuditLog::ReopenIfMoved() {
  struct stat by_path {};
  struct stat open_file {};
  if (::stat(path_.c_str(), &by_path) == 0 && ::fstat(fd_, &open_file) == 0 &&
      by_path.st_ino == open_file.st_ino && by_path.st_dev == open_file.st_dev) {
    return;
  }
  const int fd = OpenForAppend(path_);
  if (fd < 0) {
    LogError("cannot reopen audit log %s: %s", path_.c_str(), std::strerror(errno));
    return;  // keep writing to the old file rather than nowhere
  }
  ::close(fd_);
  fd_ = fd;
}

void AuditLog::Write(const AuditRecord& record) {
  const std::string line = Format(record) + "\n";
  sync::MutexLock lock(&mu_);
  ReopenIfMoved();
  const ssize_t written = ::write(fd_, line.data(), line.size());
  if (written != static_cast<ssize_t>(line.size())) {
    LogError("audit log %s: write failed: %s", path_.c_str(),
             written < 0 ? std::strerror(errno) : "short write");
  }
}

}  // namespace switchyard::controlplane
