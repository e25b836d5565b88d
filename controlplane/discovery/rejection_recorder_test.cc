#include "controlplane/discovery/rejection_recorder.h"

#include <chrono>
#include <future>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::controlplane {
namespace {

// Rejections in memory; versions are not needed here. Writes and reads can be made to fail.
class FakeStore final : public VersionStore {
 public:
  absl::StatusOr<uint64_t> Append(const switchyard::v1::Snapshot&, const std::string&,
                                  const std::string&, std::optional<uint64_t>, uint64_t) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<StoredVersion> Get(uint64_t) override { return absl::UnimplementedError(""); }
  absl::StatusOr<uint64_t> CurrentVersion() override { return 0; }
  absl::StatusOr<std::vector<VersionRecord>> History(size_t) override {
    return std::vector<VersionRecord>();
  }

  absl::Status RecordRejections(const std::vector<Rejection>& rejections) override {
    sync::MutexLock lock(&mu_);
    ++write_calls_;
    if (failing_writes_) return absl::UnavailableError("disk on fire");
    rows_.insert(rows_.end(), rejections.begin(), rejections.end());
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<Rejection>> Rejections(const std::string& node_id) override {
    sync::MutexLock lock(&mu_);
    if (failing_reads_) return absl::UnavailableError("disk on fire");
    std::vector<Rejection> out;
    for (const Rejection& r : rows_) {
      if (r.node_id == node_id) out.push_back(r);
    }
    return out;
  }

  void SetFailingWrites(bool failing) {
    sync::MutexLock lock(&mu_);
    failing_writes_ = failing;
  }
  void SetFailingReads(bool failing) {
    sync::MutexLock lock(&mu_);
    failing_reads_ = failing;
  }
  // The stored versions, in the order written.
  std::vector<uint64_t> Versions() {
    sync::MutexLock lock(&mu_);
    std::vector<uint64_t> out;
    for (const Rejection& r : rows_) out.push_back(r.version);
    return out;
  }
  int WriteCalls() {
    sync::MutexLock lock(&mu_);
    return write_calls_;
  }

 private:
  sync::Mutex mu_;
  std::vector<Rejection> rows_ ABSL_GUARDED_BY(mu_);
  bool failing_writes_ ABSL_GUARDED_BY(mu_) = false;
  bool failing_reads_ ABSL_GUARDED_BY(mu_) = false;
  int write_calls_ ABSL_GUARDED_BY(mu_) = 0;
};

Rejection MakeRejection(const std::string& node, uint64_t version) {
  Rejection r;
  r.node_id = node;
  r.version = version;
  r.error = "refused " + std::to_string(version);
  r.time = absl::Now();
  return r;
}

switchyard::v1::Node MakeNode(const std::string& id) {
  switchyard::v1::Node node;
  node.set_id(id);
  return node;
}

// Waits up to 10 s for `condition`.
template <typename Condition>
bool Eventually(Condition condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

class RejectionRecorderTest : public ::testing::Test {
 protected:
  RejectionRecorder::Options Options() {
    RejectionRecorder::Options options;
    options.retry_delay = absl::Milliseconds(10);
    return options;
  }
  // Runs a Load of `node` and waits for its `done`.
  void LoadAndWait(RejectionRecorder& recorder, const std::string& node) {
    std::promise<void> done;
    std::future<void> loaded = done.get_future();
    recorder.Load(node, [&done] { done.set_value(); });
    ASSERT_EQ(loaded.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  }

  FakeStore store_;
  ProxyRegistry registry_{ProxyRegistry::Options()};
};

// A read queued after a write sees it: the registry learns of the rejection from the store
// (Record alone does not touch the registry).
TEST_F(RejectionRecorderTest, ReadAfterWriteSeesIt) {
  RejectionRecorder recorder(Options(), store_, registry_);
  registry_.Connected(MakeNode("p1"), 1);
  recorder.Record(MakeRejection("p1", 2));
  recorder.Record(MakeRejection("p2", 2));
  LoadAndWait(recorder, "p1");
  EXPECT_TRUE(registry_.HasRejected("p1", 2));
  EXPECT_EQ(registry_.List()[0].last_rejected_error(), "refused 2");
  EXPECT_EQ(store_.Versions(), (std::vector<uint64_t>{2, 2}));
}

// SIGTERM right after a NACK: Stop writes what is still queued.
TEST_F(RejectionRecorderTest, StopWritesWhatIsQueued) {
  RejectionRecorder recorder(Options(), store_, registry_);
  for (uint64_t v = 1; v <= 50; ++v) recorder.Record(MakeRejection("p" + std::to_string(v), v));
  recorder.Stop();
  EXPECT_EQ(store_.Versions().size(), 50u);

  // After Stop nothing is taken any more.
  recorder.Record(MakeRejection("late", 99));
  bool ran = false;
  recorder.Load("late", [&ran] { ran = true; });
  recorder.Stop();
  EXPECT_FALSE(ran);
  EXPECT_EQ(store_.Versions().size(), 50u);
}

TEST_F(RejectionRecorderTest, FailedWritesAreRetriedInOrder) {
  store_.SetFailingWrites(true);
  RejectionRecorder recorder(Options(), store_, registry_);
  recorder.Record(MakeRejection("p1", 1));
  ASSERT_TRUE(Eventually([&] { return store_.WriteCalls() >= 2; })) << "retried";
  recorder.Record(MakeRejection("p1", 2));
  // Reads are not held up by the failing writes.
  registry_.Connected(MakeNode("p1"), 0);
  LoadAndWait(recorder, "p1");
  store_.SetFailingWrites(false);
  ASSERT_TRUE(Eventually([&] { return store_.Versions().size() == 2; }));
  EXPECT_EQ(store_.Versions(), (std::vector<uint64_t>{1, 2}));
}

// Many proxies refusing a version at once cost one write, not one each. (The first write
// fails and the next waits an hour, so the rest pile up in the queue meanwhile.)
TEST_F(RejectionRecorderTest, QueuedRejectionsAreWrittenTogether) {
  store_.SetFailingWrites(true);
  RejectionRecorder::Options options = Options();
  options.retry_delay = absl::Hours(1);
  RejectionRecorder recorder(options, store_, registry_);
  recorder.Record(MakeRejection("p0", 7));
  ASSERT_TRUE(Eventually([&] { return store_.WriteCalls() == 1; }));
  for (int i = 1; i < 50; ++i) recorder.Record(MakeRejection("p" + std::to_string(i), 7));
  store_.SetFailingWrites(false);
  recorder.Stop();  // the last write does not wait for the retry delay
  EXPECT_EQ(store_.WriteCalls(), 2);
  EXPECT_EQ(store_.Versions().size(), 50u);
}

TEST_F(RejectionRecorderTest, WhileTheStoreFailsTheOldestBeyondTheLimitAreGivenUp) {
  store_.SetFailingWrites(true);
  RejectionRecorder::Options options = Options();
  options.max_pending = 2;
  options.retry_delay = absl::Hours(1);
  RejectionRecorder recorder(options, store_, registry_);
  recorder.Record(MakeRejection("p1", 1));
  ASSERT_TRUE(Eventually([&] { return store_.WriteCalls() == 1; }));
  for (uint64_t v = 2; v <= 5; ++v) recorder.Record(MakeRejection("p1", v));
  store_.SetFailingWrites(false);
  recorder.Stop();
  EXPECT_EQ(store_.Versions(), (std::vector<uint64_t>{4, 5}));
}

// A store that cannot be read must not keep a proxy from being served.
TEST_F(RejectionRecorderTest, ReadFailureStillRunsDone) {
  store_.SetFailingReads(true);
  RejectionRecorder recorder(Options(), store_, registry_);
  registry_.Connected(MakeNode("p1"), 0);
  LoadAndWait(recorder, "p1");
  EXPECT_FALSE(registry_.HasRejected("p1", 1));
}

}  // namespace
}  // namespace switchyard::controlplane
