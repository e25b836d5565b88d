#include "controlplane/store/sqlite_version_store.h"

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace switchyard::controlplane {
namespace {

std::string TempDbPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/" + name + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  return path;
}

switchyard::v1::Snapshot OneCluster(const std::string& name) {
  switchyard::v1::Snapshot s;
  auto* c = s.add_clusters();
  c->set_name(name);
  auto* e = c->add_endpoints();
  e->set_address("10.0.0.1");
  e->set_port(80);
  return s;
}

std::unique_ptr<SqliteVersionStore> OpenOrDie(const std::string& path) {
  auto store = SqliteVersionStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

TEST(SqliteVersionStoreTest, EmptyStore) {
  auto store = OpenOrDie(TempDbPath("empty"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->CurrentVersion(), 0u);
  EXPECT_TRUE(store->History(10)->empty());
  auto got = store->Get(0);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(), "no version has been stored yet");
}

TEST(SqliteVersionStoreTest, AppendGetHistory) {
  auto store = OpenOrDie(TempDbPath("append"));
  ASSERT_NE(store, nullptr);
  const absl::Time before = absl::Now() - absl::Seconds(1);
  EXPECT_EQ(*store->Append(OneCluster("a"), "alice", "first", std::nullopt, 0), 1u);
  EXPECT_EQ(*store->Append(OneCluster("b"), "bob", "second", 1, 0), 2u);
  EXPECT_EQ(*store->Append(OneCluster("a"), "carol", "undo", std::nullopt, 1), 3u);
  EXPECT_EQ(*store->CurrentVersion(), 3u);

  auto v2 = store->Get(2);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->record.version, 2u);
  EXPECT_EQ(v2->record.author, "bob");
  EXPECT_EQ(v2->record.message, "second");
  EXPECT_GE(v2->record.created, before);
  EXPECT_EQ(v2->snapshot.version(), 2u) << "the stored snapshot carries its version";
  EXPECT_EQ(v2->snapshot.clusters(0).name(), "b");

  auto current = store->Get(0);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->record.version, 3u);
  EXPECT_EQ(current->record.rolled_back_from, 1u);

  auto missing = store->Get(99);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "version 99 does not exist; latest is 3");

  auto history = store->History(2);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 3u);
  EXPECT_EQ((*history)[1].version, 2u);
  EXPECT_EQ(store->History(100)->size(), 3u);
}

TEST(SqliteVersionStoreTest, ExpectedVersionConflictStoresNothing) {
  auto store = OpenOrDie(TempDbPath("conflict"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->Append(OneCluster("a"), "", "", 0, 0), 1u) << "0 expects an empty store";
  auto stale = store->Append(OneCluster("b"), "", "", 0, 0);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stale.status().message(), "current version is 1, you expected 0");
  EXPECT_EQ(*store->CurrentVersion(), 1u);
  // The failed transaction left nothing behind: the next append works.
  EXPECT_EQ(*store->Append(OneCluster("b"), "", "", 1, 0), 2u);
}

TEST(SqliteVersionStoreTest, PersistsAcrossReopen) {
  const std::string path = TempDbPath("reopen");
  {
    auto store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(OneCluster("a"), "alice", "one", std::nullopt, 0).ok());
    ASSERT_TRUE(store->Append(OneCluster("b"), "alice", "two", std::nullopt, 0).ok());
  }
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->CurrentVersion(), 2u);
  auto v1 = store->Get(1);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->record.message, "one");
  EXPECT_EQ(v1->snapshot.clusters(0).name(), "a");
  EXPECT_EQ(*store->Append(OneCluster("c"), "", "", 2, 0), 3u);
}

TEST(SqliteVersionStoreTest, NotASqliteFileIsUnavailable) {
  const std::string path = TempDbPath("garbage");
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("this is not a database, just text that is long enough to have a header...", f);
  std::fclose(f);
  auto store = SqliteVersionStore::Open(path);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
}

// Two store objects (two connections, as two processes would have) append expecting the
// same version at the same moment: exactly one may win each round.
TEST(SqliteVersionStoreTest, TwoStoresRacingOnOneFileExactlyOneWins) {
  const std::string path = TempDbPath("race");
  auto a = OpenOrDie(path);
  auto b = OpenOrDie(path);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    const uint64_t expected = static_cast<uint64_t>(round);
    absl::Notification go;
    std::atomic<int> wins{0}, conflicts{0};
    auto racer = [&](SqliteVersionStore* store, const char* who) {
      go.WaitForNotification();
      auto v = store->Append(OneCluster(who), who, "race", expected, 0);
      if (v.ok()) {
        EXPECT_EQ(*v, expected + 1);
        ++wins;
      } else {
        EXPECT_EQ(v.status().code(), absl::StatusCode::kFailedPrecondition) << v.status();
        ++conflicts;
      }
    };
    std::thread ta(racer, a.get(), "a");
    std::thread tb(racer, b.get(), "b");
    go.Notify();
    ta.join();
    tb.join();
    ASSERT_EQ(wins.load(), 1) << "round " << round;
    ASSERT_EQ(conflicts.load(), 1) << "round " << round;
  }
  EXPECT_EQ(*a->CurrentVersion(), static_cast<uint64_t>(kRounds));
  EXPECT_EQ(*b->CurrentVersion(), static_cast<uint64_t>(kRounds));
}

}  // namespace
}  // namespace switchyard::controlplane
