#include "tools/yardctl/exit_codes.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchyard::yardctl {
namespace {

using ::testing::HasSubstr;

TEST(ExitCodesTest, ValuesAreTheDocumentedContract) {
  EXPECT_EQ(ToInt(ExitCode::kOk), 0);
  EXPECT_EQ(ToInt(ExitCode::kError), 1);
  EXPECT_EQ(ToInt(ExitCode::kUsage), 2);
  EXPECT_EQ(ToInt(ExitCode::kInvalidInput), 3);
  EXPECT_EQ(ToInt(ExitCode::kConflict), 4);
  EXPECT_EQ(ToInt(ExitCode::kUnavailable), 5);
  EXPECT_EQ(ToInt(ExitCode::kDenied), 6);
}

TEST(ExitCodesTest, EveryStatusCodeMapsAsDocumented) {
  struct Case {
    absl::StatusCode code;
    ExitCode exit;
  };
  const Case cases[] = {
      {absl::StatusCode::kOk, ExitCode::kOk},
      {absl::StatusCode::kCancelled, ExitCode::kError},
      {absl::StatusCode::kUnknown, ExitCode::kError},
      {absl::StatusCode::kInvalidArgument, ExitCode::kInvalidInput},
      {absl::StatusCode::kDeadlineExceeded, ExitCode::kError},
      {absl::StatusCode::kNotFound, ExitCode::kError},
      {absl::StatusCode::kAlreadyExists, ExitCode::kError},
      {absl::StatusCode::kPermissionDenied, ExitCode::kDenied},
      {absl::StatusCode::kResourceExhausted, ExitCode::kError},
      {absl::StatusCode::kFailedPrecondition, ExitCode::kConflict},
      {absl::StatusCode::kAborted, ExitCode::kConflict},
      {absl::StatusCode::kOutOfRange, ExitCode::kError},
      {absl::StatusCode::kUnimplemented, ExitCode::kError},
      {absl::StatusCode::kInternal, ExitCode::kError},
      {absl::StatusCode::kUnavailable, ExitCode::kUnavailable},
      {absl::StatusCode::kDataLoss, ExitCode::kError},
      {absl::StatusCode::kUnauthenticated, ExitCode::kDenied},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ExitCodeForStatus(absl::Status(c.code, "x")), c.exit)
        << absl::StatusCodeToString(c.code);
  }
}

TEST(ExitCodesTest, HelpListsEveryCode) {
  const std::string help(ExitCodeHelp());
  for (const char* line : {"0  success", "1  other error", "2  usage error", "3  invalid input",
                           "4  conflict", "5  control plane unreachable"}) {
    EXPECT_THAT(help, HasSubstr(line));
  }
}

}  // namespace
}  // namespace switchyard::yardctl
