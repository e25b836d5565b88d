// Signing keys, JWKS documents and JSON Web Tokens made with OpenSSL for the tests of the
// auth policies (docs/auth.md, "JWT"): each supported algorithm, and the ways a token can
// be wrong (alg none, HMAC signed with a public key, a bad signature).
#ifndef SWITCHYARD_DATAPLANE_AUTH_TESTING_TEST_TOKENS_H_
#define SWITCHYARD_DATAPLANE_AUTH_TESTING_TEST_TOKENS_H_

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::auth::testing {

struct TestKey {
  std::string alg;  // RS256, PS256, ES256 or EdDSA
  std::string kid;
  std::shared_ptr<EVP_PKEY> key;  // with its private half
  nlohmann::json jwk;             // the public key as a JWK, with kid and alg
};

// The key of `alg` named `kid` (RSA 2048 for RS256 and PS256): generated on first use, the
// same key for the same two names for the rest of the process.
TestKey MakeKey(const std::string& alg, const std::string& kid);
// The public half of `key` as a JWK (without kid, alg or use), for `alg`'s key type.
nlohmann::json PublicJwk(const std::string& alg, EVP_PKEY* key);
// {"keys": [...]} of the keys' public halves.
std::string Jwks(const std::vector<TestKey>& keys);

// A compact JWS of `claims` signed by `key`, header {"alg", "kid", "typ": "JWT"}.
std::string SignJwt(const TestKey& key, const nlohmann::json& claims);
// The same from a header of the caller's choosing.
std::string SignJwtWithHeader(const TestKey& key, const nlohmann::json& header,
                              const nlohmann::json& claims);
// A token whose header says {"alg": "none"} and whose signature is empty.
std::string UnsignedJwt(const nlohmann::json& claims);
// HS256 with `secret` as the HMAC key (the algorithm-confusion attack: the secret being
// the issuer's public key).
std::string Hs256Jwt(std::string_view secret, const std::string& kid, const nlohmann::json& claims);
// The public key of `key` in PEM (what an HS256 forger would use as the secret).
std::string PublicKeyPem(const TestKey& key);

std::string Base64Url(std::string_view bytes);

}  // namespace switchyard::auth::testing

#endif  // SWITCHYARD_DATAPLANE_AUTH_TESTING_TEST_TOKENS_H_
