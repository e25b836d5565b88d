// The access log's writer: order and counts, a stalled FIFO reader that drops records
// instead of blocking the producers (and cannot hold shutdown), reopening for rotation,
// and several producers at once (run under ThreadSanitizer too).
#include "dataplane/access_log/access_log_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/poll.h"

namespace switchyard::access_log {
namespace {

using std::chrono::milliseconds;

std::vector<nlohmann::json> Lines(const std::string& text) {
  std::vector<nlohmann::json> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) break;
    lines.push_back(nlohmann::json::parse(text.substr(start, end - start)));
    start = end + 1;
  }
  return lines;
}

// A record of producer `producer`'s request `n`; `storage` keeps its strings alive.
AccessLogRecord Make(std::string& storage, int producer, int n, size_t path_bytes = 8) {
  storage = std::to_string(producer) + "-" + std::to_string(n) + std::string(path_bytes, 'p');
  const size_t id_length = storage.size() - path_bytes;
  return AccessLogRecord{.start = std::chrono::steady_clock::now(),
                         .request_id = std::string_view(storage).substr(0, id_length),
                         .protocol = "HTTP/1.1",
                         .method = "GET",
                         .authority = "example.com",
                         .path = std::string_view(storage).substr(id_length),
                         .status = 200,
                         .route = "r",
                         .cluster = "c",
                         .endpoint = "127.0.0.1:1",
                         .bytes_sent = static_cast<uint64_t>(n),
                         .duration_us = 1,
                         .client_address = "127.0.0.1"};
}

class AccessLogWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("access_log"); }
  std::string dir_;
};

TEST_F(AccessLogWriterTest, EveryRecordOfSeveralProducersIsWrittenInProducerOrder) {
  const std::string path = dir_ + "/access.log";
  constexpr int kProducers = 3;
  constexpr int kEach = 2000;
  {
    auto writer =
        AccessLogWriter::Open({.path = path, .flush_interval = milliseconds(5)}, kProducers);
    ASSERT_TRUE(writer.ok()) << writer.status();
    std::atomic<uint64_t> refusals{0};
    std::vector<std::thread> threads;
    threads.reserve(kProducers);
    for (int p = 0; p < kProducers; ++p) {
      threads.emplace_back([&, p] {
        for (int n = 0; n < kEach;) {
          // A full buffer refuses; this producer waits and tries again, to count exactly.
          std::string storage;
          if ((*writer)->producer(p).Submit(Make(storage, p, n))) {
            ++n;
          } else {
            ++refusals;
            std::this_thread::sleep_for(milliseconds(1));
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    constexpr uint64_t kTotal = uint64_t{kProducers} * kEach;
    ASSERT_TRUE(testing::PollUntil([&] { return (*writer)->stats().written == kTotal; }));
    // Every refusal was counted as a drop.
    EXPECT_EQ((*writer)->stats().dropped, refusals.load());
  }
  const std::vector<nlohmann::json> lines = Lines(testing::ReadFile(path));
  ASSERT_EQ(lines.size(), static_cast<size_t>(kProducers * kEach));
  int next[kProducers] = {};
  for (const nlohmann::json& line : lines) {
    const std::string id = line["request_id"];
    const int p = id[0] - '0';
    EXPECT_EQ(id, std::to_string(p) + "-" + std::to_string(next[p]));
    ++next[p];
  }
  struct stat info;
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0640u);
}

TEST_F(AccessLogWriterTest, AStalledFifoReaderDropsRecordsWithoutBlockingTheProducer) {
  const std::string fifo = dir_ + "/access.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  auto writer = AccessLogWriter::Open({.path = fifo,
                                       .buffer_bytes = AccessLogWriter::kMinBufferBytes,
                                       .flush_interval = milliseconds(5),
                                       .close_timeout = milliseconds(200)},
                                      1);
  ASSERT_TRUE(writer.ok()) << writer.status();
  // Far more than the pipe (64 KiB) and the buffers hold; nobody reads.
  constexpr int kRecords = 5000;
  int accepted = 0;
  for (int n = 0; n < kRecords; ++n) {
    std::string storage;
    accepted += (*writer)->producer(0).Submit(Make(storage, 0, n, 1000));
  }
  const AccessLogWriter::Stats stalled = (*writer)->stats();
  EXPECT_EQ(stalled.dropped, static_cast<uint64_t>(kRecords - accepted));
  EXPECT_GT(stalled.dropped, 0u);
  EXPECT_LT(stalled.written, static_cast<uint64_t>(kRecords));
  // Shutdown with the reader still stalled ends by the close timeout.
  const auto before = std::chrono::steady_clock::now();
  writer->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(10));
  ::close(reader);
}

TEST_F(AccessLogWriterTest, ReopenStartsANewFileAfterRotation) {
  const std::string path = dir_ + "/access.log";
  auto writer = AccessLogWriter::Open({.path = path, .flush_interval = milliseconds(5)}, 1);
  ASSERT_TRUE(writer.ok()) << writer.status();
  std::string storage;
  ASSERT_TRUE((*writer)->producer(0).Submit(Make(storage, 0, 0)));
  ASSERT_TRUE(testing::PollUntil([&] { return (*writer)->stats().written == 1; }));
  ASSERT_EQ(::rename(path.c_str(), (path + ".1").c_str()), 0);
  (*writer)->Reopen();
  ASSERT_TRUE(testing::PollUntil([&] { return (*writer)->stats().reopens == 1; }));
  ASSERT_TRUE((*writer)->producer(0).Submit(Make(storage, 0, 1)));
  ASSERT_TRUE(testing::PollUntil([&] { return (*writer)->stats().written == 2; }));
  writer->reset();
  const std::vector<nlohmann::json> old_lines = Lines(testing::ReadFile(path + ".1"));
  const std::vector<nlohmann::json> new_lines = Lines(testing::ReadFile(path));
  ASSERT_EQ(old_lines.size(), 1u);
  ASSERT_EQ(new_lines.size(), 1u);
  EXPECT_EQ(old_lines[0]["request_id"], "0-0");
  EXPECT_EQ(new_lines[0]["request_id"], "0-1");
}

TEST_F(AccessLogWriterTest, ABufferBelowTheMinimumIsRefused) {
  auto tiny = AccessLogWriter::Open(
      {.path = dir_ + "/access.log", .buffer_bytes = AccessLogWriter::kMinBufferBytes - 1}, 1);
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.status().message().find("--access_log_buffer must be at least 4096 bytes"),
            std::string::npos)
      << tiny.status();
}

TEST_F(AccessLogWriterTest, APathThatCannotBeOpenedIsNamed) {
  auto missing = AccessLogWriter::Open({.path = dir_ + "/no/such/dir/access.log"}, 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("--access_log=" + dir_ +
                                            "/no/such/dir/access.log: "
                                            "No such file or directory"),
            std::string::npos)
      << missing.status();
  const std::string fifo = dir_ + "/unread.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto unread = AccessLogWriter::Open({.path = fifo}, 1);
  ASSERT_FALSE(unread.ok());
  EXPECT_NE(unread.status().message().find("a FIFO needs its reader"), std::string::npos);
}

}  // namespace
}  // namespace switchyard::access_log
