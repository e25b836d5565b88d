#include "controlplane/admin/audit_log.h"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
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

}  // namespace
}  // namespace switchyard::controlplane
