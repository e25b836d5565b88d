#include "dataplane/auth/jwt.h"

#include <string>
#include <vector>

#include "dataplane/auth/testing/test_tokens.h"
#include "dataplane/auth/token_cache.h"
#include "gtest/gtest.h"

namespace switchyard::auth {
namespace {

using Json = nlohmann::json;
using testing::MakeKey;
using testing::SignJwt;
using testing::TestKey;

constexpr int64_t kNow = 1'800'000'000;

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = {MakeKey("RS256", "rs"), MakeKey("PS256", "ps"), MakeKey("ES256", "es"),
             MakeKey("EdDSA", "ed")};
    issuer_ = IssuerFor(keys_);
  }

  static JwtIssuer IssuerFor(const std::vector<TestKey>& keys) {
    JwtIssuer issuer;
    issuer.issuer = "https://id.example.com";
    issuer.audiences = {"api", "other"};
    absl::StatusOr<std::vector<config::Jwk>> parsed = config::ParseJwks(testing::Jwks(keys));
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (parsed.ok()) issuer.keys = *parsed;
    return issuer;
  }

  static Json Claims() {
    return {{"iss", "https://id.example.com"},
            {"aud", "api"},
            {"sub", "user-7"},
            {"exp", kNow + 300},
            {"nbf", kNow - 10},
            {"roles", {"admin", "dev"}},
            {"org", {{"tier", "gold"}, {"seats", 12}}}};
  }

  JwtError Verify(const std::string& token, int64_t now = kNow) {
    VerifiedJwt verified;
    const JwtError error = VerifyJwt(issuer_, token, verified);
    if (error != JwtError::kNone) return error;
    return CheckJwtTimes(issuer_, verified, now);
  }

  std::vector<TestKey> keys_;
  JwtIssuer issuer_;
};

TEST_F(JwtTest, EachAlgorithmVerifies) {
  for (const TestKey& key : keys_) {
    SCOPED_TRACE(key.alg);
    const std::string token = SignJwt(key, Claims());
    VerifiedJwt verified;
    ASSERT_EQ(VerifyJwt(issuer_, token, verified), JwtError::kNone);
    EXPECT_EQ((*verified.claims)["sub"], "user-7");
    EXPECT_EQ(verified.expires, kNow + 300);
    EXPECT_EQ(verified.not_before, kNow - 10);
    // A flipped bit in the signature.
    std::string bad = token;
    bad[bad.size() - 3] = bad[bad.size() - 3] == 'A' ? 'B' : 'A';
    EXPECT_EQ(Verify(bad), JwtError::kSignature);
    // The payload changed under the signature.
    Json changed = Claims();
    changed["sub"] = "admin";
    const std::string other = SignJwt(key, changed);
    const std::string spliced = token.substr(0, token.find('.')) +
                                other.substr(other.find('.'), other.rfind('.') - other.find('.')) +
                                token.substr(token.rfind('.'));
    EXPECT_EQ(Verify(spliced), JwtError::kSignature);
  }
}

TEST_F(JwtTest, OnlyAllowedAlgorithmsAndNeverNoneOrHmac) {
  issuer_.algorithms = kEs256;
  EXPECT_EQ(Verify(SignJwt(keys_[0], Claims())), JwtError::kAlgorithm);
  EXPECT_EQ(Verify(SignJwt(keys_[2], Claims())), JwtError::kNone);
  issuer_.algorithms = kAllAlgorithms;
  EXPECT_EQ(Verify(testing::UnsignedJwt(Claims())), JwtError::kAlgorithm);
  // HS256 keyed with the issuer's public key (algorithm confusion).
  EXPECT_EQ(Verify(testing::Hs256Jwt(testing::PublicKeyPem(keys_[0]), "rs", Claims())),
            JwtError::kAlgorithm);
  // A key whose JWK says RS256 is not used for PS256, even when the kid says so.
  const std::string ps_with_rs_kid =
      testing::SignJwtWithHeader(keys_[1], {{"alg", "PS256"}, {"kid", "rs"}}, Claims());
  EXPECT_EQ(Verify(ps_with_rs_kid), JwtError::kUnknownKey);
  // Extensions we do not understand.
  EXPECT_EQ(Verify(testing::SignJwtWithHeader(
                keys_[0], {{"alg", "RS256"}, {"kid", "rs"}, {"crit", {"exp"}}}, Claims())),
            JwtError::kMalformed);
}

TEST_F(JwtTest, KeysByKidAndWithout) {
  EXPECT_EQ(
      Verify(testing::SignJwtWithHeader(keys_[2], {{"alg", "ES256"}, {"kid", "nope"}}, Claims())),
      JwtError::kUnknownKey);
  // No kid: every key of the algorithm's type is tried.
  EXPECT_EQ(Verify(testing::SignJwtWithHeader(keys_[2], {{"alg", "ES256"}}, Claims())),
            JwtError::kNone);
  // Signed by a key the issuer does not have, under a kid it has.
  const TestKey stranger = MakeKey("ES256", "stranger");
  EXPECT_EQ(
      Verify(testing::SignJwtWithHeader(stranger, {{"alg", "ES256"}, {"kid", "es"}}, Claims())),
      JwtError::kSignature);
}

TEST_F(JwtTest, IssuerAudienceAndTimes) {
  const TestKey& key = keys_[3];
  Json claims = Claims();
  claims["iss"] = "https://evil.example.com";
  EXPECT_EQ(Verify(SignJwt(key, claims)), JwtError::kIssuer);
  claims = Claims();
  claims["aud"] = {"x", "other"};
  EXPECT_EQ(Verify(SignJwt(key, claims)), JwtError::kNone);
  claims["aud"] = "x";
  EXPECT_EQ(Verify(SignJwt(key, claims)), JwtError::kAudience);
  claims.erase("aud");
  EXPECT_EQ(Verify(SignJwt(key, claims)), JwtError::kAudience);
  issuer_.audiences.clear();
  EXPECT_EQ(Verify(SignJwt(key, claims)), JwtError::kNone);

  // exp and nbf, 60 s of skew either way.
  const std::string token = SignJwt(key, Claims());
  EXPECT_EQ(Verify(token, kNow + 300 + 59), JwtError::kNone);
  EXPECT_EQ(Verify(token, kNow + 300 + 60), JwtError::kExpired);
  EXPECT_EQ(Verify(token, kNow - 10 - 60), JwtError::kNone);
  EXPECT_EQ(Verify(token, kNow - 10 - 61), JwtError::kNotYetValid);
  issuer_.clock_skew_seconds = 0;
  EXPECT_EQ(Verify(token, kNow + 300), JwtError::kExpired);
  claims = Claims();
  claims["exp"] = "tomorrow";
  EXPECT_EQ(Verify(SignJwt(key, claims)), JwtError::kMalformed);
}

TEST_F(JwtTest, MalformedAndHugeTokens) {
  for (const char* bad : {"", "a.b", "a.b.c.d", "!!.e30.AA", "e30.e30.AA", "eyJhbGciOiJSUzI1NiJ9..",
                          "eyJhbGciOiJSUzI1NiJ9.e30=.AA"}) {
    EXPECT_NE(Verify(bad), JwtError::kNone) << bad;
  }
  Json claims = Claims();
  claims["padding"] = std::string(size_t{100} * 1024, 'x');
  EXPECT_EQ(Verify(SignJwt(keys_[0], claims)), JwtError::kTooLarge);
  // A header nested deeper than a token's ever is.
  Json deep = 1;
  for (int i = 0; i < 20; ++i) deep = Json::array({deep});
  EXPECT_EQ(Verify(testing::SignJwtWithHeader(keys_[0], {{"alg", "RS256"}, {"x", deep}}, Claims())),
            JwtError::kMalformed);
}

TEST_F(JwtTest, ClaimsForRulesAndHeaders) {
  const Json claims = Claims();
  ASSERT_NE(FindClaim(claims, "org.tier"), nullptr);
  EXPECT_TRUE(ClaimMatches(*FindClaim(claims, "org.tier"), {"silver", "gold"}));
  EXPECT_TRUE(ClaimMatches(*FindClaim(claims, "org.seats"), {"12"}));
  EXPECT_TRUE(ClaimMatches(*FindClaim(claims, "roles"), {"admin"}));
  EXPECT_FALSE(ClaimMatches(*FindClaim(claims, "roles"), {"root"}));
  EXPECT_FALSE(ClaimMatches(*FindClaim(claims, "org"), {"gold"}));
  EXPECT_EQ(FindClaim(claims, "org.missing"), nullptr);
  EXPECT_EQ(FindClaim(claims, "sub.deeper"), nullptr);
  EXPECT_EQ(ClaimHeaderValue(*FindClaim(claims, "roles")), "admin,dev");
  EXPECT_EQ(ClaimHeaderValue(*FindClaim(claims, "org")), R"({"seats":12,"tier":"gold"})");
  EXPECT_EQ(ClaimHeaderValue(*FindClaim(claims, "sub")), "user-7");
}

TEST(TokenCacheTest, BoundedAndKeyedByIssuer) {
  TokenCache cache(/*max_entries=*/2);
  VerifiedJwt verified;
  verified.expires = 5;
  cache.Insert(1, "a", VerifiedJwt(verified));
  ASSERT_NE(cache.Find(1, "a"), nullptr);
  EXPECT_EQ(cache.Find(1, "a")->expires, 5);
  EXPECT_EQ(cache.Find(2, "a"), nullptr);  // another issuer's (or changed keys')
  cache.Insert(1, "b", VerifiedJwt(verified));
  cache.Insert(1, "c", VerifiedJwt(verified));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.Find(1, "c"), nullptr);
}

}  // namespace
}  // namespace switchyard::auth
