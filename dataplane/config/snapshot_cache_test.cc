#include "dataplane/config/snapshot_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace switchyard::config {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(SnapshotCacheTest, SavedSnapshotLoadsBack) {
  SnapshotCache cache(TempPath("roundtrip.bin"));
  v1::Snapshot snapshot;
  snapshot.set_version(7);
  snapshot.add_clusters()->set_name("c");
  ASSERT_TRUE(cache.Save(snapshot).ok());
  auto loaded = cache.Load(absl::Hours(1), absl::Now());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->version(), 7u);
  EXPECT_EQ(loaded->clusters(0).name(), "c");
}

// A temporary file left by an earlier run keeps its mode through O_CREAT; the cache must
// still end up owner-only (snapshots will carry secrets).
TEST(SnapshotCacheTest, TheCacheIsOwnerOnlyEvenOverALooseTempFile) {
  const std::string path = TempPath("modes.bin");
  const int fd = ::open((path + ".tmp").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ::fchmod(fd, 0644);
  ::close(fd);
  SnapshotCache cache(path);
  v1::Snapshot snapshot;
  snapshot.set_version(1);
  ASSERT_TRUE(cache.Save(snapshot).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(SnapshotCacheTest, MissingCacheIsNotFound) {
  SnapshotCache cache(TempPath("missing.bin"));
  EXPECT_EQ(cache.Load(absl::Hours(1), absl::Now()).status().code(), absl::StatusCode::kNotFound);
}

TEST(SnapshotCacheTest, TooOldCacheIsRefused) {
  SnapshotCache cache(TempPath("old.bin"));
  ASSERT_TRUE(cache.Save(v1::Snapshot()).ok());
  const auto loaded = cache.Load(absl::Minutes(5), absl::Now() + absl::Minutes(10));
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(loaded.status().message().find("old"), absl::string_view::npos);
}

TEST(SnapshotCacheTest, CorruptCacheIsRefused) {
  const std::string path = TempPath("corrupt.bin");
  ASSERT_EQ(std::system(("printf '\\377\\377\\377' > " + path).c_str()), 0);
  SnapshotCache cache(path);
  EXPECT_EQ(cache.Load(absl::Hours(1), absl::Now()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace switchyard::config
