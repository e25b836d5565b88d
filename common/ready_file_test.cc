#include "common/ready_file.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace switchyard {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(ReadyFileTest, WritesOnePortPerLineAndLeavesNoTemporaryFile) {
  const std::string path = TempPath("ready_two");
  ASSERT_TRUE(WriteReadyFile(path, {8080, 9901}));
  EXPECT_EQ(Read(path), "8080\n9901\n");
  EXPECT_FALSE(Exists(path + ".tmp"));
}

TEST(ReadyFileTest, ReplacesAnEarlierFile) {
  const std::string path = TempPath("ready_again");
  std::ofstream(path) << "1\n2\n3\n";
  ASSERT_TRUE(WriteReadyFile(path, {18000}));
  EXPECT_EQ(Read(path), "18000\n");
}

TEST(ReadyFileTest, FailsInADirectoryThatDoesNotExist) {
  EXPECT_FALSE(WriteReadyFile(TempPath("no/such/dir/ready"), {1}));
}

}  // namespace
}  // namespace switchyard
