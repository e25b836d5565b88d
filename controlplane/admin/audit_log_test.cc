#include "controlplane/admin/audit_log.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace switchyard::controlplane {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::vector<nlohmann::json> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

AuditRecord Record(const std::string& caller, absl::Status result) {
  return {.time = absl::FromUnixMillis(1'800'000'000'123),
          .caller = caller,
          .via = "token",
          .role = "operator",
          .peer = "ipv4:127.0.0.1:5000",
          .method = "Apply",
          .result = std::move(result),
          .version = 7,
          .detail = "message: \xff bad utf-8"};
}

TEST(AuditLogTest, OneJsonLinePerCallInAnOwnerOnlyFile) {
  const std::string path = TempPath("audit.log");
  {
    std::ofstream(path) << "";  // an existing, world-readable file
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  }
  auto log = AuditLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.status();
  (*log)->Write(Record("ci", absl::OkStatus()));
  (*log)->Write(Record("", absl::UnauthenticatedError("no credentials")));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::vector<nlohmann::json> lines = Lines(path);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["time"], "2027-01-15T08:00:00.123Z");
  EXPECT_EQ(lines[0]["caller"], "ci");
  EXPECT_EQ(lines[0]["method"], "Apply");
  EXPECT_EQ(lines[0]["code"], "OK");
  EXPECT_EQ(lines[0]["version"], 7);
  EXPECT_EQ(lines[1]["code"], "UNAUTHENTICATED");
  EXPECT_EQ(lines[1]["message"], "no credentials");
}

TEST(AuditLogTest, ARotatedFileIsReopened) {
  const std::string path = TempPath("rotated.log");
  auto log = AuditLog::Open(path);
  ASSERT_TRUE(log.ok());
  (*log)->Write(Record("before", absl::OkStatus()));
  ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
  (*log)->Write(Record("after", absl::OkStatus()));
  ASSERT_EQ(Lines(path + ".1").size(), 1u);
  std::vector<nlohmann::json> fresh = Lines(path);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0]["caller"], "after");
}

// Admin calls run on gRPC's threads at once, and a log rotation may come between them:
// every record is one whole line, in the old file or the new one.
TEST(AuditLogTest, ConcurrentWritersAcrossARotationLoseNoLine) {
  const std::string path = TempPath("concurrent.log");
  auto log = AuditLog::Open(path);
  ASSERT_TRUE(log.ok());
  constexpr int kThreads = 4;
  constexpr int kEach = 200;
  std::vector<std::thread> writers;
  writers.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&log, t] {
      for (int i = 0; i < kEach; ++i) {
        (*log)->Write(Record("writer-" + std::to_string(t), absl::OkStatus()));
      }
    });
  }
  ASSERT_EQ(std::rename(path.c_str(), (path + ".1").c_str()), 0);
  for (std::thread& w : writers) w.join();
  (*log)->Write(Record("last", absl::OkStatus()));         // reopens if no writer did yet
  std::vector<nlohmann::json> lines = Lines(path + ".1");  // parse fails on a torn line
  const std::vector<nlohmann::json> fresh = Lines(path);
  lines.insert(lines.end(), fresh.begin(), fresh.end());
  EXPECT_EQ(lines.size(), static_cast<size_t>(kThreads * kEach + 1));
  EXPECT_EQ(fresh.back()["caller"], "last");
}

}  // namespace
}  // namespace switchyard::controlplane
