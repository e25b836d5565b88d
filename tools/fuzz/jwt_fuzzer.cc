// Fuzz target: JWT and JWKS parsing (docs/auth.md, "JWT"), what a client's token and an
// operator's (or, later, an identity provider's) key set reach: auth::VerifyJwt with the
// claim helpers of the rules, and config::ParseJwks.
//
// Input: byte 0, bit 0 clear: bytes 1.. are a token, verified against a fixed issuer
// ("https://fuzz.example", audience "api", every algorithm) holding three public keys:
// RSA "rsa" (RS256 and PS256), P-256 "ec" and Ed25519 "ed" (tools/fuzz/jwt_keys, whose
// private halves sign the seeds: tools/fuzz/make_seeds.py). Bit 0 set: bytes 1.. are a
// JWKS document.
//
// Invariants, beyond "no crash, no sanitizer report":
//  - a token over 8 KiB is refused as too large, unread;
//  - verification is deterministic: the same token gives the same answer twice;
//  - an accepted token has the issuer and the audience, and an object of claims whose
//    paths FindClaim walks and whose values ClaimMatches and ClaimHeaderValue render;
//  - a parsed JWKS has 1 to 100 keys, each an OpenSSL key of the type it claims;
//    a refused one says why.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/auth/jwt.h"
#include "dataplane/auth/testing/test_tokens.h"
#include "switchyard/config/jwks.h"
#include "tools/fuzz/fuzz_check.h"

namespace switchyard::auth {
namespace {

using Json = nlohmann::json;

// tools/fuzz/jwt_keys/*.pub.pem
constexpr std::string_view kRsaPublic = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA42ZSCg5NA4b8j1u1f67/
vvQqNjt6JWfbW/EHeksvVYoE/fkF/kJkYr7eiIVMa/tlcNC4U5kb3EKGDmOpDEsb
ruTI2btiw1YRGMW51iCLGfUicnJnGnxMfeUOedOEf9JSggXMYvnfFeqJVkKGHscA
aIZlnUgI+OLs5XtBJpYyeMjZhIzH88TcibTHth5v7aMA9lFd4ZW0C9xLJ0/k1GCU
5KKrlmSPezUcZn3pz/TutjQcXG7GPLAtF1I/HkIpv1ASs9+9otcQavsZQwsO5VHo
5rT+Otf9hcYHbGXvjUp3n8Jw3B/D1dYKN7UwQ3rtUer3ovhzF7boW5MiIa1moyGT
rQIDAQAB
-----END PUBLIC KEY-----
)";
constexpr std::string_view kEcPublic = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEsp+LnhKX31XvUum7rhn+RrvOhji4
t8mHd8ZSFtXJY52lfx0KDhgrOWZDL7UDIqwPKWr4Yb/GmD9aKiNQg7EpNA==
-----END PUBLIC KEY-----
)";
constexpr std::string_view kEd25519Public = R"(-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAhtrhquAdp6kuu5rT8ronH1oR0O5JyYJ+BaruL1SY2SI=
-----END PUBLIC KEY-----
)";

Json JwkFromPem(std::string_view pem, const std::string& alg, const std::string& kid) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  FUZZ_CHECK(key != nullptr);
  Json jwk = testing::PublicJwk(alg, key);
  EVP_PKEY_free(key);
  jwk["kid"] = kid;
  return jwk;
}

const JwtIssuer& Issuer() {
  static const JwtIssuer* issuer = [] {
    auto* built = new JwtIssuer();
    built->issuer = "https://fuzz.example";
    built->audiences = {"api"};
    const Json jwks = {
        {"keys",
         {JwkFromPem(kRsaPublic, "RS256", "rsa"), JwkFromPem(kEcPublic, "ES256", "ec"),
          JwkFromPem(kEd25519Public, "EdDSA", "ed")}}};
    absl::StatusOr<std::vector<config::Jwk>> keys = config::ParseJwks(jwks.dump());
    FUZZ_CHECK(keys.ok() && keys->size() == 3);
    built->keys = *keys;
    return built;
  }();
  return *issuer;
}

void CheckClaims(const Json& claims) {
  FUZZ_CHECK(claims.is_object());
  for (const auto& [name, value] : claims.items()) {
    const Json* found = FindClaim(claims, name);
    // A name holding a dot is a path, and may lead elsewhere or nowhere.
    if (name.find('.') == std::string::npos) FUZZ_CHECK(found == &value);
    (void)ClaimHeaderValue(value);
    if (value.is_string()) FUZZ_CHECK(ClaimMatches(value, {value.get<std::string>()}));
    if (value.is_object()) {
      for (const auto& [inner, unused] : value.items()) {
        std::string path = name;
        path.append(".").append(inner);
        (void)FindClaim(claims, path);
      }
    }
  }
}

void FuzzToken(std::string_view token) {
  const JwtIssuer& issuer = Issuer();
  VerifiedJwt first;
  VerifiedJwt second;
  const JwtError error = VerifyJwt(issuer, token, first);
  FUZZ_CHECK(VerifyJwt(issuer, token, second) == error);
  if (token.size() > kMaxTokenBytes) FUZZ_CHECK(error == JwtError::kTooLarge);
  FUZZ_CHECK(!JwtErrorMessage(error).empty());
  if (error != JwtError::kNone) return;
  FUZZ_CHECK(first.claims != nullptr && *first.claims == *second.claims);
  const Json& claims = *first.claims;
  FUZZ_CHECK(claims.value("iss", Json()) == "https://fuzz.example");
  const Json* aud = FindClaim(claims, "aud");
  FUZZ_CHECK(aud != nullptr && ClaimMatches(*aud, {"api"}));
  const JwtError times = CheckJwtTimes(issuer, first, 1'800'000'000);
  FUZZ_CHECK(times == JwtError::kNone || times == JwtError::kExpired ||
             times == JwtError::kNotYetValid);
  CheckClaims(claims);
}

void FuzzJwks(std::string_view json) {
  const absl::StatusOr<std::vector<config::Jwk>> keys = config::ParseJwks(json);
  if (!keys.ok()) {
    FUZZ_CHECK(!keys.status().message().empty());
    return;
  }
  FUZZ_CHECK(!keys->empty() && keys->size() <= config::kMaxJwksKeys);
  for (const config::Jwk& key : *keys) {
    FUZZ_CHECK(key.key != nullptr);
    const int id = EVP_PKEY_get_base_id(key.key.get());
    switch (key.type) {
      case config::JwkType::kRsa:
        FUZZ_CHECK(id == EVP_PKEY_RSA && EVP_PKEY_get_bits(key.key.get()) >= 2048);
        break;
      case config::JwkType::kEcP256:
        FUZZ_CHECK(id == EVP_PKEY_EC);
        break;
      case config::JwkType::kEd25519:
        FUZZ_CHECK(id == EVP_PKEY_ED25519);
        break;
    }
  }
}

}  // namespace
}  // namespace switchyard::auth

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    switchyard::auth::FuzzToken(rest);
  } else {
    switchyard::auth::FuzzJwks(rest);
  }
  return 0;
}
