#include "dataplane/config/directory_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace switchyard::config {
namespace {

// What changes a directory's files: written, created, replaced by a rename, removed.
constexpr uint32_t kContentEvents =
    IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO;
// The directory itself went away (its watch ends with IN_IGNORED).
constexpr uint32_t kSelfEvents = IN_DELETE_SELF | IN_MOVE_SELF;
// How often directories that are wanted but missing are looked for again.
constexpr int kRetryMs = 2000;

}  // namespace

absl::StatusOr<std::unique_ptr<DirectoryWatcher>> DirectoryWatcher::Start(
    std::function<void()> on_change, absl::Duration settle) {
  const int inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd < 0) {
    return absl::InternalError(absl::StrCat("inotify_init1: ", std::strerror(errno)));
  }
  const int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    const int error = errno;
    ::close(inotify_fd);
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(error)));
  }
  std::unique_ptr<DirectoryWatcher> watcher(
      new DirectoryWatcher(inotify_fd, wake_fd, std::move(on_change), settle));
  watcher->thread_ = std::thread([w = watcher.get()] { w->Run(); });
  return watcher;
}

DirectoryWatcher::DirectoryWatcher(int inotify_fd, int wake_fd, std::function<void()> on_change,
                                   absl::Duration settle)
    : inotify_fd_(inotify_fd),
      wake_fd_(wake_fd),
      on_change_(std::move(on_change)),
      settle_(settle) {}

DirectoryWatcher::~DirectoryWatcher() {
  {
    sync::MutexLock lock(&mu_);
    stopping_ = true;
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  ::close(inotify_fd_);
  ::close(wake_fd_);
}

void DirectoryWatcher::Watch(std::set<std::string> directories) {
  {
    sync::MutexLock lock(&mu_);
    wanted_ = std::move(directories);
  }
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

std::set<std::string> DirectoryWatcher::watched() const {
  sync::MutexLock lock(&mu_);
  std::set<std::string> out;
  for (const auto& [wd, directory] : watches_) out.insert(directory);
  return out;
}

bool DirectoryWatcher::Reconcile() {
  sync::MutexLock lock(&mu_);
  bool appeared = false;
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (wanted_.contains(it->second)) {
      ++it;
      continue;
    }
    ::inotify_rm_watch(inotify_fd_, it->first);
    watches_.erase(it++);
  }
  for (const std::string& directory : wanted_) {
    bool have = false;
    for (const auto& [wd, watched] : watches_) have = have || watched == directory;
    if (have) continue;
    const int wd = ::inotify_add_watch(inotify_fd_, directory.c_str(),
                                       kContentEvents | kSelfEvents | IN_ONLYDIR);
    if (wd < 0) {
      LogDebug("certificate files: cannot watch %s yet: %s", directory.c_str(),
               std::strerror(errno));
      missing_.insert(directory);
      continue;
    }
    watches_[wd] = directory;
    appeared = missing_.erase(directory) > 0 || appeared;
  }
  // Forget directories no longer wanted.
  for (auto it = missing_.begin(); it != missing_.end();) {
    it = wanted_.contains(*it) ? std::next(it) : missing_.erase(it);
  }
  return appeared;
}

bool DirectoryWatcher::DrainEvents() {
  bool changed = false;
  alignas(inotify_event) std::array<char, size_t{16} * 1024> buffer;
  for (;;) {
    const ssize_t n = ::read(inotify_fd_, buffer.data(), buffer.size());
    if (n <= 0) break;  // EAGAIN: all read
    for (ssize_t offset = 0; offset < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + offset);
      offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if ((event->mask & IN_Q_OVERFLOW) != 0) {
        changed = true;  // events were lost: assume the worst
        continue;
      }
      if ((event->mask & IN_IGNORED) != 0) {
        // The directory was deleted or moved away (unless Reconcile removed the watch
        // itself): watched again once it is back, and its files are gone or different.
        sync::MutexLock lock(&mu_);
        if (auto it = watches_.find(event->wd); it != watches_.end()) {
          missing_.insert(it->second);
          watches_.erase(it);
          changed = true;
        }
        continue;
      }
      if ((event->mask & (kContentEvents | kSelfEvents)) != 0) {
        sync::MutexLock lock(&mu_);
        changed = changed || watches_.contains(event->wd);  // not a directory given up
      }
    }
  }
  return changed;
}

void DirectoryWatcher::Run() {
  bool pending = false;
  absl::Time last_event;
  for (;;) {
    int timeout_ms = -1;
    {
      sync::MutexLock lock(&mu_);
      if (stopping_) return;
      if (watches_.size() < wanted_.size()) timeout_ms = kRetryMs;
    }
    if (pending) {
      const absl::Duration left = settle_ - (absl::Now() - last_event);
      const int left_ms =
          static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(left) + 1));
      timeout_ms = timeout_ms < 0 ? left_ms : std::min(timeout_ms, left_ms);
    }
    std::array<pollfd, 2> fds = {pollfd{.fd = inotify_fd_, .events = POLLIN},
                                 pollfd{.fd = wake_fd_, .events = POLLIN}};
    const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0 && errno != EINTR) {
      LogError("certificate files: poll failed: %s; no longer watching", std::strerror(errno));
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      uint64_t count = 0;
      (void)!::read(wake_fd_, &count, sizeof(count));
    }
    // A directory that came back (or appeared late) holds files not loaded yet.
    if (Reconcile()) {
      pending = true;
      last_event = absl::Now();
    }
    if ((fds[0].revents & POLLIN) != 0 && DrainEvents()) {
      pending = true;
      last_event = absl::Now();
    }
    if (pending && absl::Now() - last_event >= settle_) {
      pending = false;
      on_change_();
    }
  }
}

}  // namespace switchyard::config
