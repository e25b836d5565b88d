// `--help` of every program built on Abseil flags: it lists that program's own flags (not
// "No flags matched") and exits 0, so an operator can learn the command line from the
// binary itself.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"

namespace switchyard::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Program {
  const char* runfile;
  // Flags that program defines in its own sources, each of which --help must list.
  std::vector<std::string> own_flags;
};

void PrintTo(const Program& p, std::ostream* os) { *os << p.runfile; }

class HelpTest : public ::testing::TestWithParam<Program> {};

TEST_P(HelpTest, ListsItsOwnFlagsAndExitsZero) {
  const Program& program = GetParam();
  const CommandResult run = RunCommand({RunfilePath(program.runfile), "--help"});
  ASSERT_TRUE(run.started) << run.DebugString();
  EXPECT_FALSE(run.timed_out) << run.DebugString();
  EXPECT_EQ(run.signal, 0) << run.DebugString();
  EXPECT_EQ(run.exit_code, 0) << run.DebugString();
  EXPECT_THAT(run.output, Not(HasSubstr("No flags matched")));
  for (const std::string& flag : program.own_flags) {
    EXPECT_THAT(run.output, HasSubstr("-" + flag + " ")) << "--help does not list --" << flag;
  }
  // Abseil's own flags (--flagfile, --helpfull, ...) stay under --helpfull.
  EXPECT_THAT(run.output, Not(HasSubstr("-flagfile ")));
}

INSTANTIATE_TEST_SUITE_P(
    Programs, HelpTest,
    ::testing::Values(
        Program{"dataplane/switchyard-proxy", {"config", "control_plane", "listen", "ready_file"}},
        Program{"controlplane/switchyard-control", {"db", "delta_bases", "listen", "ready_file"}},
        Program{"tools/sample_backend/sample-backend", {"listen", "name"}}),
    [](const ::testing::TestParamInfo<Program>& info) {
      std::string name = info.param.runfile;
      name = name.substr(name.rfind('/') + 1);
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace switchyard::testing
