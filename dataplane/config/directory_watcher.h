// Watches directories for changes to the files in them (inotify) and calls back once the
// changes have settled: how the proxy notices certificate files rotated on disk
// (docs/tls.md, "Certificates from files").
//
// Directories rather than files, because certificate managers and Kubernetes replace
// files instead of writing them: a Secret volume swaps a `..data` symlink in the directory
// (the certificate's own path, itself a symlink through `..data`, never changes), and
// most tools write a temporary file and rename it over the old one. A watch on a file
// would follow the old inode and miss both.
//
// Several events arrive for one rotation (certificate, key, symlink): the callback runs
// once they stop for `settle`, so it sees both halves of a pair whenever they arrive
// within that time of each other; a pair written further apart is seen half-changed
// first, and the caller must refuse that (a certificate that does not match its key).
//
// A directory that does not exist (yet) is retried every few seconds; a watched directory
// that is deleted is watched again when it comes back.
//
// Thread-safe. The callback runs on the watcher's own thread, never two at once.
#ifndef SWITCHYARD_DATAPLANE_CONFIG_DIRECTORY_WATCHER_H_
#define SWITCHYARD_DATAPLANE_CONFIG_DIRECTORY_WATCHER_H_

#include <functional>
#include <set>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sync/mutex.h"

namespace switchyard::config {

class DirectoryWatcher {
 public:
  // INTERNAL when inotify is unavailable (its instance limit reached).
  static absl::StatusOr<std::unique_ptr<DirectoryWatcher>> Start(std::function<void()> on_change,
                                                                 absl::Duration settle);
  // Stops the thread (waiting for a callback in progress to return).
  ~DirectoryWatcher();
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

  // Replaces the set of watched directories (absolute paths). Changes from before the
  // call may still be reported once.
  void Watch(std::set<std::string> directories);

  // Directories currently watched (those that exist), for logs and tests.
  std::set<std::string> watched() const;

 private:
  DirectoryWatcher(int inotify_fd, int wake_fd, std::function<void()> on_change,
                   absl::Duration settle);
  void Run();
  // Adds watches for wanted directories that have none and removes unwanted ones; true
  // when a directory that was missing (never there, or deleted) is watched now.
  bool Reconcile();
  // Reads the queued events; true if any concerned a watched directory's contents.
  bool DrainEvents();

  const int inotify_fd_;
  const int wake_fd_;  // eventfd: Watch() and the destructor wake the thread
  const std::function<void()> on_change_;
  const absl::Duration settle_;

  mutable sync::Mutex mu_;
  std::set<std::string> wanted_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Watch descriptor -> directory; the watcher thread's own (watched() copies under mu_).
  absl::flat_hash_map<int, std::string> watches_ ABSL_GUARDED_BY(mu_);
  // Wanted directories that could not be watched, or whose watch ended.
  std::set<std::string> missing_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace switchyard::config

#endif  // SWITCHYARD_DATAPLANE_CONFIG_DIRECTORY_WATCHER_H_
