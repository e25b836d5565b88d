#include "common/json_escape.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace switchyard {
namespace {

std::string Escaped(std::string_view text) {
  std::string out;
  AppendJsonString(text, out);
  return out;
}

TEST(JsonEscapeTest, EscapesWhatJsonRequires) {
  EXPECT_EQ(Escaped("plain /path?q=1"), "\"plain /path?q=1\"");
  EXPECT_EQ(Escaped("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Escaped("line\nbreak\r\ttab"), "\"line\\nbreak\\r\\ttab\"");
  EXPECT_EQ(Escaped(std::string_view("\0\x1f\x7f", 3)), "\"\\u0000\\u001f\\u007f\"");
}

TEST(JsonEscapeTest, KeepsValidUtf8AndEscapesEveryOtherByte) {
  EXPECT_EQ(Escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(Escaped("\xff"), "\"\\u00ff\"");
  EXPECT_EQ(Escaped("\xc3"), "\"\\u00c3\"");                        // cut sequence
  EXPECT_EQ(Escaped("\xc0\xaf"), "\"\\u00c0\\u00af\"");             // overlong '/'
  EXPECT_EQ(Escaped("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");  // a surrogate
}

TEST(JsonEscapeTest, EveryByteStringBecomesValidJson) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (int c = 0; c < 256; ++c) all += static_cast<char>(255 - c);
  const nlohmann::json parsed = nlohmann::json::parse(Escaped(all), nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_TRUE(parsed.is_string());
}

}  // namespace
}  // namespace switchyard
