#include "dataplane/config/directory_watcher.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/time/clock.h"
#include "common/sync/mutex.h"
#include "gtest/gtest.h"

namespace switchyard::config {
namespace {

std::string TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string path = std::string(base != nullptr ? base : "/tmp") + "/watch_XXXXXX";
  EXPECT_NE(::mkdtemp(path.data()), nullptr);
  return path;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// Counts callbacks; waits for them with a generous bound (the suite runs on busy cores).
class WatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = DirectoryWatcher::Start(
        [this] {
          sync::MutexLock lock(&mu_);
          ++calls_;
          cv_.SignalAll();
        },
        absl::Milliseconds(200));
    ASSERT_TRUE(started.ok()) << started.status();
    watcher_ = std::move(*started);
  }
  int Calls() {
    sync::MutexLock lock(&mu_);
    return calls_;
  }
  // Waits until at least `n` callbacks happened (up to 10 s); returns the count.
  int WaitForCalls(int n) {
    sync::MutexLock lock(&mu_);
    cv_.WaitWithTimeout(&mu_, absl::Seconds(10), [&] { return calls_ >= n; });
    return calls_;
  }
  // Waits until `directory` is watched (the thread adds watches asynchronously).
  bool WaitWatched(const std::string& directory) {
    const absl::Time end = absl::Now() + absl::Seconds(10);
    while (absl::Now() < end) {
      if (watcher_->watched().contains(directory)) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  sync::Mutex mu_;
  sync::CondVar cv_;
  int calls_ = 0;
  std::unique_ptr<DirectoryWatcher> watcher_;
};

TEST_F(WatcherTest, AFileWrittenInAWatchedDirectoryIsReportedOnce) {
  const std::string dir = TempDir();
  watcher_->Watch({dir});
  ASSERT_TRUE(WaitWatched(dir));
  // Three writes in quick succession (a certificate, its key, a chain) settle into one.
  Write(dir + "/tls.crt", "cert");
  Write(dir + "/tls.key", "key");
  Write(dir + "/ca.crt", "ca");
  EXPECT_EQ(WaitForCalls(1), 1);
  absl::SleepFor(absl::Milliseconds(600));
  EXPECT_EQ(Calls(), 1);
}

TEST_F(WatcherTest, AKubernetesStyleSymlinkSwapIsReported) {
  // A Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..2026_v1; an update writes
  // ..2026_v2, points ..data_tmp at it and renames ..data_tmp over ..data.
  const std::string dir = TempDir();
  ASSERT_EQ(::mkdir((dir + "/..2026_v1").c_str(), 0755), 0);
  Write(dir + "/..2026_v1/tls.crt", "old");
  ASSERT_EQ(::symlink("..2026_v1", (dir + "/..data").c_str()), 0);
  ASSERT_EQ(::symlink("..data/tls.crt", (dir + "/tls.crt").c_str()), 0);
  watcher_->Watch({dir});
  ASSERT_TRUE(WaitWatched(dir));

  ASSERT_EQ(::mkdir((dir + "/..2026_v2").c_str(), 0755), 0);
  Write(dir + "/..2026_v2/tls.crt", "new");
  ASSERT_EQ(::symlink("..2026_v2", (dir + "/..data_tmp").c_str()), 0);
  ASSERT_EQ(::rename((dir + "/..data_tmp").c_str(), (dir + "/..data").c_str()), 0);
  EXPECT_GE(WaitForCalls(1), 1);
}

TEST_F(WatcherTest, ADirectoryThatAppearsLaterIsWatchedAndReported) {
  const std::string parent = TempDir();
  const std::string dir = parent + "/certs";
  watcher_->Watch({dir});
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(watcher_->watched().contains(dir));
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  Write(dir + "/tls.crt", "cert");
  // Found on the next retry (every 2 s), and reported: its files were never loaded.
  EXPECT_GE(WaitForCalls(1), 1);
  EXPECT_TRUE(watcher_->watched().contains(dir));
}

TEST_F(WatcherTest, DirectoriesNoLongerWantedAreNotReported) {
  const std::string old_dir = TempDir();
  const std::string new_dir = TempDir();
  watcher_->Watch({old_dir});
  ASSERT_TRUE(WaitWatched(old_dir));
  watcher_->Watch({new_dir});
  ASSERT_TRUE(WaitWatched(new_dir));
  EXPECT_FALSE(watcher_->watched().contains(old_dir));
  Write(old_dir + "/tls.crt", "ignored");
  absl::SleepFor(absl::Milliseconds(600));
  EXPECT_EQ(Calls(), 0);
  Write(new_dir + "/tls.crt", "seen");
  EXPECT_EQ(WaitForCalls(1), 1);
}

}  // namespace
}  // namespace switchyard::config
