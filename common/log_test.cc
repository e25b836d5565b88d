#include "common/log.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

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

TEST(LogTest, TextAndJsonLinesCarryTheSameFacts) {
  const timespec time = {.tv_sec = 1796022062, .tv_nsec = 345000000};  // 2026-11-30T07:01:02.345Z
  EXPECT_EQ(FormatLogLine(LogFormat::kText, LogLevel::kWarning, time, "switchyard-proxy", "hi"),
            "2026-11-30T07:01:02.345Z W switchyard-proxy: hi\n");
  const std::string line = FormatLogLine(LogFormat::kJson, LogLevel::kInfo, time,
                                         "switchyard-control", "a \"quoted\"\nline");
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // one line, whatever the message holds
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["time"], "2026-11-30T07:01:02.345Z");
  EXPECT_EQ(parsed["level"], "info");
  EXPECT_EQ(parsed["program"], "switchyard-control");
  EXPECT_EQ(parsed["message"], "a \"quoted\"\nline");
}

TEST(LogTest, ConfigureLoggingNamesTheFlagItRefuses) {
  std::string error;
  EXPECT_FALSE(ConfigureLogging("info", "xml", "p", error));
  EXPECT_EQ(error, "--log_format must be text or json, got 'xml'");
  EXPECT_FALSE(ConfigureLogging("loud", "text", "p", error));
  EXPECT_EQ(error, "--log_level must be debug, info, warning or error, got 'loud'");
  EXPECT_TRUE(ConfigureLogging("info", "text", "p", error));
}

}  // namespace
}  // namespace switchyard
