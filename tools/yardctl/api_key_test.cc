// The keys `yardctl keys create` makes, and the names it gives them.
#include "tools/yardctl/api_key.h"

#include <set>

#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchyard::yardctl {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(ApiKeyTest, PrefixedBase64UrlOf256BitsAndItsHash) {
  absl::StatusOr<GeneratedApiKey> key = GenerateApiKey();
  ASSERT_TRUE(key.ok()) << key.status();
  // 32 bytes are 43 base64url characters without padding.
  EXPECT_THAT(key->key, MatchesRegex("sy_[A-Za-z0-9_-]{43}"));
  EXPECT_EQ(key->sha256, Sha256Hex(key->key));
  EXPECT_THAT(key->sha256, MatchesRegex("[0-9a-f]{64}"));
  EXPECT_EQ(DefaultApiKeyName(*key), "key-" + key->sha256.substr(0, 8));
}

TEST(ApiKeyTest, EveryKeyIsNew) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<GeneratedApiKey> key = GenerateApiKey();
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_TRUE(seen.insert(key->key).second) << key->key;
  }
}

TEST(ApiKeyTest, NameRule) {
  EXPECT_EQ(ApiKeyNameProblem("ci-2026.prod_1"), "");
  EXPECT_EQ(ApiKeyNameProblem(std::string(128, 'a')), "");
  EXPECT_THAT(ApiKeyNameProblem(""), HasSubstr("must not be empty"));
  EXPECT_THAT(ApiKeyNameProblem(std::string(129, 'a')), HasSubstr("at most 128 characters"));
  EXPECT_EQ(ApiKeyNameProblem("a b\n"), "a key name must match [A-Za-z0-9_.-]+, got \"a b\\n\"");
}

}  // namespace
}  // namespace switchyard::yardctl
