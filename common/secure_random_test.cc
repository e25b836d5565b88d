#include "common/secure_random.h"

#include <set>

#include "gtest/gtest.h"

namespace switchyard {
namespace {

TEST(SecureRandomHexTest, LengthAndAlphabet) {
  const std::string hex = SecureRandomHex(16);
  EXPECT_EQ(hex.size(), 32u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(SecureRandomHex(0), "");
}

TEST(SecureRandomHexTest, ValuesDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.insert(SecureRandomHex(16)).second);
}

}  // namespace
}  // namespace switchyard
