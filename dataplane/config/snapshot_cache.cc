#include "dataplane/config/snapshot_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace switchyard::config {
namespace {

// Snapshots are bounded by the loader at 64 MiB of YAML; the binary form is smaller.
constexpr size_t kMaxCacheBytes = 256 << 20;

absl::Status ErrnoStatus(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::Status SnapshotCache::Save(const v1::Snapshot& snapshot) const {
  const std::string tmp = path_ + ".tmp";
  std::string bytes;
  if (!snapshot.SerializeToString(&bytes)) return absl::InternalError("cannot serialize snapshot");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(absl::StrCat("open ", tmp));
  // A file left by an earlier run keeps its own mode through O_CREAT; snapshots will carry
  // secrets, so the cache is owner-only whatever was there.
  if (::fchmod(fd, 0600) != 0) {
    absl::Status status = ErrnoStatus(absl::StrCat("chmod ", tmp));
    ::close(fd);
    return status;
  }
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status status = ErrnoStatus(absl::StrCat("write ", tmp));
      ::close(fd);
      return status;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    absl::Status status = ErrnoStatus(absl::StrCat("fsync ", tmp));
    ::close(fd);
    return status;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    return ErrnoStatus(absl::StrCat("rename ", tmp, " to ", path_));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Snapshot> SnapshotCache::Load(absl::Duration max_age, absl::Time now) const {
  struct stat info;
  if (::stat(path_.c_str(), &info) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no cached snapshot at ", path_));
    return ErrnoStatus(absl::StrCat("stat ", path_));
  }
  const absl::Time saved = absl::FromUnixSeconds(info.st_mtim.tv_sec);
  if (now - saved > max_age) {
    return absl::FailedPreconditionError(
        absl::StrCat("cached snapshot ", path_, " is ", absl::FormatDuration(now - saved),
                     " old, more than the allowed ", absl::FormatDuration(max_age)));
  }
  if (static_cast<size_t>(info.st_size) > kMaxCacheBytes) {
    return absl::FailedPreconditionError(absl::StrCat("cached snapshot ", path_, " is too large"));
  }
  std::ifstream in(path_, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  v1::Snapshot snapshot;
  if (!in || !snapshot.ParseFromString(bytes.str())) {
    return absl::FailedPreconditionError(absl::StrCat("cached snapshot ", path_, " is corrupt"));
  }
  return snapshot;
}

}  // namespace switchyard::config
