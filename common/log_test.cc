#include "common/log.h"

#include "gtest/gtest.h"

namespace switchyard {
namespace {

TEST(LogTest, ParseLogLevelAcceptsTheFourNames) {
  LogLevel level = LogLevel::kInfo;
  ASSERT_TRUE(ParseLogLevel("debug", level));
  EXPECT_EQ(level, LogLevel::kDebug);
  ASSERT_TRUE(ParseLogLevel("error", level));
  EXPECT_EQ(level, LogLevel::kError);
  EXPECT_FALSE(ParseLogLevel("verbose", level));
  EXPECT_EQ(level, LogLevel::kError);  // unchanged on failure
}

TEST(LogTest, LevelsBelowTheThresholdAreDisabled) {
  SetLogLevel(LogLevel::kWarning);
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo));
  EXPECT_TRUE(LogEnabled(LogLevel::kError));
  SetLogLevel(LogLevel::kInfo);
}

}  // namespace
}  // namespace switchyard
