#include "controlplane/store/sqlite_version_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <latch>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::controlplane {
namespace {

std::string TempDbPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/" + name + ".db";
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

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// The store will hold secrets that travel in snapshots (issue 7): only its owner may read
// it, whatever the umask, and its WAL files follow the database's mode.
TEST(SqliteVersionStoreTest, TheStoreAndItsWalAreOwnerOnly) {
  const mode_t old_umask = ::umask(022);
  const std::string path = TempDbPath("modes");
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append(OneCluster("a"), "alice", "first", std::nullopt, 0).ok());
  EXPECT_EQ(ModeOf(path), 0600u);
  EXPECT_EQ(ModeOf(path + "-wal"), 0600u);
  ::umask(old_umask);
}

TEST(SqliteVersionStoreTest, AnExistingStoreReadableByOthersIsTightened) {
  const std::string path = TempDbPath("loose");
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ::fchmod(fd, 0644);
  ::close(fd);
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ModeOf(path), 0600u);
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
    std::latch go(1);
    std::atomic<int> wins{0}, conflicts{0};
    auto racer = [&](SqliteVersionStore* store, const char* who) {
      go.wait();
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
    go.count_down();
    ta.join();
    tb.join();
    ASSERT_EQ(wins.load(), 1) << "round " << round;
    ASSERT_EQ(conflicts.load(), 1) << "round " << round;
  }
  EXPECT_EQ(*a->CurrentVersion(), static_cast<uint64_t>(kRounds));
  EXPECT_EQ(*b->CurrentVersion(), static_cast<uint64_t>(kRounds));
}

Rejection MakeRejection(const std::string& node, uint64_t version, const std::string& error,
                        absl::Time time = absl::FromUnixSeconds(1'700'000'000)) {
  Rejection r;
  r.node_id = node;
  r.version = version;
  r.error = error;
  r.time = time;
  return r;
}

// (version, error) of each, in order.
std::vector<std::pair<uint64_t, std::string>> Summary(const std::vector<Rejection>& rejections) {
  std::vector<std::pair<uint64_t, std::string>> out;
  out.reserve(rejections.size());
  for (const Rejection& r : rejections) out.emplace_back(r.version, r.error);
  return out;
}

using Pairs = std::vector<std::pair<uint64_t, std::string>>;

TEST(SqliteVersionStoreTest, RejectionsAreKeptPerNodeOldestFirst) {
  auto store = OpenOrDie(TempDbPath("rejections"));
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Rejections("p1")->empty());
  const absl::Time t = absl::FromUnixMicros(1'700'000'000'123'456);
  ASSERT_TRUE(store->RecordRejections({MakeRejection("p1", 2, "too many routes", t)}).ok());
  ASSERT_TRUE(
      store->RecordRejections({MakeRejection("p2", 2, "bad cert"), MakeRejection("p1", 3, "again")})
          .ok());
  auto p1 = store->Rejections("p1");
  ASSERT_TRUE(p1.ok()) << p1.status();
  EXPECT_EQ(Summary(*p1), (Pairs{{2, "too many routes"}, {3, "again"}}));
  EXPECT_EQ((*p1)[0].node_id, "p1");
  EXPECT_EQ((*p1)[0].time, t) << "kept to the microsecond";
  EXPECT_EQ(Summary(*store->Rejections("p2")), (Pairs{{2, "bad cert"}}));
  EXPECT_TRUE(store->Rejections("p3")->empty());

  // The same version rejected again replaces the record and becomes the newest.
  ASSERT_TRUE(store->RecordRejections({MakeRejection("p1", 2, "still too many")}).ok());
  EXPECT_EQ(Summary(*store->Rejections("p1")), (Pairs{{3, "again"}, {2, "still too many"}}));

  auto unnamed = store->RecordRejections({MakeRejection("p4", 1, "x"), MakeRejection("", 1, "x")});
  EXPECT_EQ(unnamed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store->Rejections("p4")->empty()) << "all or nothing";
  EXPECT_TRUE(store->RecordRejections({}).ok());
}

TEST(SqliteVersionStoreTest, RejectionsPersistAcrossReopen) {
  const std::string path = TempDbPath("rejections-reopen");
  {
    auto store = OpenOrDie(path);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(OneCluster("a"), "", "", std::nullopt, 0).ok());
    ASSERT_TRUE(store->RecordRejections({MakeRejection("p1", 1, "no")}).ok());
  }
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Summary(*store->Rejections("p1")), (Pairs{{1, "no"}}));
  EXPECT_EQ(*store->CurrentVersion(), 1u);
}

TEST(SqliteVersionStoreTest, RejectionsAreBoundedPerNodeAndInAll) {
  SqliteVersionStore::Options options;
  options.max_rejections_per_node = 2;
  options.max_rejections = 5;
  auto opened = SqliteVersionStore::Open(TempDbPath("rejections-bounded"), options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  SqliteVersionStore& store = **opened;
  for (uint64_t v = 1; v <= 4; ++v) {
    ASSERT_TRUE(store.RecordRejections({MakeRejection("busy", v, "e" + std::to_string(v))}).ok());
  }
  EXPECT_EQ(Summary(*store.Rejections("busy")), (Pairs{{3, "e3"}, {4, "e4"}}))
      << "the newest two of the node";
  // In one batch too: only the newest two of "batch" remain.
  ASSERT_TRUE(
      store
          .RecordRejections({MakeRejection("batch", 1, "b1"), MakeRejection("batch", 2, "b2"),
                             MakeRejection("batch", 3, "b3")})
          .ok());
  EXPECT_EQ(Summary(*store.Rejections("batch")), (Pairs{{2, "b2"}, {3, "b3"}}));
  EXPECT_EQ(store.Rejections("busy")->size(), 2u) << "other nodes are left alone";

  // 4 rows; two more nodes make 6, one over the total: the oldest row (busy's 3) goes.
  ASSERT_TRUE(store.RecordRejections({MakeRejection("x", 9, "x9")}).ok());
  ASSERT_TRUE(store.RecordRejections({MakeRejection("y", 9, "y9")}).ok());
  EXPECT_EQ(Summary(*store.Rejections("busy")), (Pairs{{4, "e4"}}));
  EXPECT_EQ(store.Rejections("batch")->size(), 2u);
  EXPECT_EQ(store.Rejections("x")->size(), 1u);
  EXPECT_EQ(store.Rejections("y")->size(), 1u);
}

// A database written before rejections were stored gains their table when opened, and
// keeps its versions.
TEST(SqliteVersionStoreTest, OlderDatabaseGainsTheRejectionsTable) {
  const std::string path = TempDbPath("older");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    constexpr char kOldSchema[] =
        "CREATE TABLE versions (version INTEGER PRIMARY KEY, created_unix_micros INTEGER NOT "
        "NULL, author TEXT NOT NULL, message TEXT NOT NULL, rolled_back_from INTEGER NOT NULL "
        "DEFAULT 0, snapshot BLOB NOT NULL);"
        "INSERT INTO versions VALUES (1, 0, 'old', 'from before', 0, x'');";
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, kOldSchema, nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_free(err);
    sqlite3_close(db);
  }
  auto store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->CurrentVersion(), 1u);
  EXPECT_EQ(store->Get(1)->record.message, "from before");
  EXPECT_TRUE(store->Rejections("p1")->empty());
  ASSERT_TRUE(store->RecordRejections({MakeRejection("p1", 1, "no")}).ok());
  EXPECT_EQ(store->Rejections("p1")->size(), 1u);
}

}  // namespace
}  // namespace switchyard::controlplane
