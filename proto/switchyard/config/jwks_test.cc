#include "switchyard/config/jwks.h"

#include <string>

#include "dataplane/auth/testing/test_tokens.h"
#include "gtest/gtest.h"

namespace switchyard::config {
namespace {

using auth::testing::Jwks;
using auth::testing::MakeKey;
using Json = nlohmann::json;

std::string ErrorOf(const std::string& json) {
  const absl::StatusOr<std::vector<Jwk>> keys = ParseJwks(json);
  return keys.ok() ? "ok" : std::string(keys.status().message());
}

TEST(JwksTest, EachSupportedKeyType) {
  const absl::StatusOr<std::vector<Jwk>> keys =
      ParseJwks(Jwks({MakeKey("RS256", "r"), MakeKey("ES256", "e"), MakeKey("EdDSA", "d")}));
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].kid, "r");
  EXPECT_EQ((*keys)[0].type, JwkType::kRsa);
  EXPECT_EQ((*keys)[0].alg, "RS256");
  EXPECT_EQ((*keys)[1].type, JwkType::kEcP256);
  EXPECT_EQ((*keys)[2].type, JwkType::kEd25519);
  for (const Jwk& key : *keys) EXPECT_NE(key.key, nullptr);
}

TEST(JwksTest, SkipsEncryptionKeysAndUnknownCurves) {
  Json enc = MakeKey("RS256", "enc").jwk;
  enc["use"] = "enc";
  Json p384 = {{"kty", "EC"}, {"crv", "P-384"}, {"x", "AA"}, {"y", "AA"}};
  const Json document = {{"keys", {enc, p384, MakeKey("ES256", "e").jwk}}};
  const absl::StatusOr<std::vector<Jwk>> keys = ParseJwks(document.dump());
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].kid, "e");
  EXPECT_EQ(ErrorOf(Json{{"keys", {enc}}}.dump()), "no usable signing key (RSA, P-256, Ed25519)");
}

TEST(JwksTest, RefusesWhatIsNotAJwksOfPublicKeys) {
  EXPECT_EQ(ErrorOf("{"), "not JSON");
  EXPECT_EQ(ErrorOf("[]"), "not a JWKS: no \"keys\" array");
  EXPECT_EQ(ErrorOf(R"({"keys": {}})"), "not a JWKS: no \"keys\" array");
  EXPECT_EQ(ErrorOf(R"({"keys": [1]})"), "keys[0]: not an object");
  EXPECT_EQ(ErrorOf(R"({"keys": [{"n": "AQAB"}]})"), "keys[0]: no \"kty\"");
  EXPECT_EQ(ErrorOf(R"({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})"),
            "keys[0]: a symmetric (\"oct\") key: a JWKS here holds public keys only");
  EXPECT_EQ(ErrorOf(R"({"keys": [{"kty": "RSA", "n": "AQAB"}]})"),
            "keys[0]: an RSA key needs base64url \"n\" and \"e\"");
  // A 1024-bit modulus.
  Json weak = MakeKey("RS256", "r").jwk;
  weak["n"] = auth::testing::Base64Url(std::string(128, '\xff'));
  EXPECT_EQ(ErrorOf(Json{{"keys", {weak}}}.dump()),
            "keys[0]: an RSA modulus of 1024 bits; between 2048 and 8192");
  // A point off the curve.
  Json off = MakeKey("ES256", "e").jwk;
  off["y"] = auth::testing::Base64Url(std::string(32, '\x01'));
  EXPECT_EQ(ErrorOf(Json{{"keys", {off}}}.dump()), "keys[0]: the point is not on P-256");
  Json short_x = MakeKey("EdDSA", "d").jwk;
  short_x["x"] = "AAAA";
  EXPECT_EQ(ErrorOf(Json{{"keys", {short_x}}}.dump()),
            "keys[0]: an Ed25519 key needs a 32-byte base64url \"x\"");
  // Bounded before parsing.
  EXPECT_EQ(ErrorOf(std::string(100, '[') + std::string(100, ']')),
            "not a JWKS: nested too deeply");
  EXPECT_EQ(ErrorOf(std::string(kMaxJwksBytes + 1, ' ')), "a JWKS of 262145 bytes; at most 262144");
}

TEST(JwksTest, NestingDepthSkipsStrings) {
  EXPECT_EQ(JsonNestingDepth(R"({"a": [1, {"b": "[[[{{"}]})"), 3);
  EXPECT_EQ(JsonNestingDepth(R"("\"[")"), 0);
  EXPECT_EQ(JsonNestingDepth("1"), 0);
}

}  // namespace
}  // namespace switchyard::config
