#include "common/program_flags.h"

#include "gtest/gtest.h"

namespace switchyard {
namespace {

TEST(ProgramFlagsTest, ProgramSourcesAreTheProgramsOwn) {
  EXPECT_TRUE(IsProgramFlagFile("dataplane/main.cc"));
  EXPECT_TRUE(IsProgramFlagFile("controlplane/main.cc"));
  EXPECT_TRUE(IsProgramFlagFile("tools/sample_backend/main.cc"));
}

TEST(ProgramFlagsTest, AbseilsFlagsAreNot) {
  // How Debian's libabsl reports the files of its built-in flags.
  EXPECT_FALSE(IsProgramFlagFile("absl/flags/parse.cc"));
  EXPECT_FALSE(IsProgramFlagFile("./absl/flags/internal/usage.cc"));
  EXPECT_FALSE(IsProgramFlagFile("/build/abseil-cpp-20220623.1/absl/flags/parse.cc"));
}

TEST(ProgramFlagsTest, ReturnsThePositionalArguments) {
  char program[] = "program";
  char positional[] = "file.yaml";
  char* argv[] = {program, positional, nullptr};
  const std::vector<char*> rest = ParseProgramFlags(2, argv, "program FILE");
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_STREQ(rest[0], "program");
  EXPECT_STREQ(rest[1], "file.yaml");
}

}  // namespace
}  // namespace switchyard
