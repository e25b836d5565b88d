// JSON Web Tokens (RFC 7519) in compact JWS form (RFC 7515), verified for auth policies
// (docs/auth.md, "JWT"): RS256, PS256, ES256 and EdDSA (Ed25519) with OpenSSL, against the
// issuer's keys (config::ParseJwks). Everything here runs on the request path: no
// exceptions (nlohmann's parser runs with them off, and every member's type is checked
// before it is read), and the token's size and nesting are bounded before it is parsed.
#ifndef SWITCHYARD_DATAPLANE_AUTH_JWT_H_
#define SWITCHYARD_DATAPLANE_AUTH_JWT_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/auth/remote_jwks.h"
#include "switchyard/config/jwks.h"

namespace switchyard::auth {

// Tokens larger than this are refused unread.
inline constexpr size_t kMaxTokenBytes = size_t{8} * 1024;

enum JwtAlgorithm : uint8_t {
  kRs256 = 1,
  kPs256 = 2,
  kEs256 = 4,
  kEdDsa = 8,
  kAllAlgorithms = 15,
};
// The algorithm named `name` ("RS256", "PS256", "ES256", "EdDSA"), or 0.
uint8_t JwtAlgorithmNamed(std::string_view name);

struct ClaimHeader {
  std::string claim;  // dotted path
  std::string header;
};

// A policy's JwtAuth, compiled.
struct JwtIssuer {
  std::string issuer;
  std::vector<std::string> audiences;  // empty: aud not checked
  uint8_t algorithms = kAllAlgorithms;
  // The keys: inline (`keys`), or fetched from a URL (`remote_keys`, then non-null).
  std::vector<config::Jwk> keys;
  std::shared_ptr<RemoteKeySet> remote_keys;
  int64_t clock_skew_seconds = 60;
  std::string header;  // lower case; with `cookie` empty too: Authorization Bearer
  std::string cookie;
  bool hide_credentials = false;
  std::vector<ClaimHeader> forward_claims;
  // Tells issuers apart across config swaps: equal settings and keys, equal fingerprint.
  // Verified tokens are cached under it (token_cache.h).
  uint64_t fingerprint = 0;
};

enum class JwtError {
  kNone,
  kTooLarge,
  kMalformed,
  kAlgorithm,   // "none", HMAC, or an algorithm the issuer does not allow
  kUnknownKey,  // no key with the token's kid (or of its algorithm's type)
  kSignature,
  kIssuer,
  kAudience,
  kExpired,
  kNotYetValid,
  kKeysNotReady,  // the issuer's keys come from a URL and none has been fetched yet
};
// A short sentence for the local reply's message.
std::string_view JwtErrorMessage(JwtError error);

// What a token says once its signature, issuer and audience checked out.
struct VerifiedJwt {
  std::shared_ptr<const nlohmann::json> claims;              // the payload, an object
  int64_t expires = std::numeric_limits<int64_t>::max();     // exp; none: never
  int64_t not_before = std::numeric_limits<int64_t>::min();  // nbf; none: always
};

// Checks `token`'s form, algorithm, signature (against `keys`: the issuer's inline keys, or
// those fetched for it), issuer and audience (not its times).
JwtError VerifyJwt(const JwtIssuer& issuer, const std::vector<config::Jwk>& keys,
                   std::string_view token, VerifiedJwt& out);
// The same against the issuer's inline keys.
inline JwtError VerifyJwt(const JwtIssuer& issuer, std::string_view token, VerifiedJwt& out) {
  return VerifyJwt(issuer, issuer.keys, token, out);
}
// Checks exp and nbf against `now` (Unix seconds), with the issuer's clock skew.
JwtError CheckJwtTimes(const JwtIssuer& issuer, const VerifiedJwt& token, int64_t now);

// The claim at `path` ("a.b.c" walks nested objects), or null.
const nlohmann::json* FindClaim(const nlohmann::json& claims, std::string_view path);
// Whether `claim` is one of `values` (a string as is, other scalars as JSON), or an array
// holding one of them.
bool ClaimMatches(const nlohmann::json& claim, const std::vector<std::string>& values);
// A claim as a header value: a string as is, an array of strings comma-separated, anything
// else as JSON.
std::string ClaimHeaderValue(const nlohmann::json& claim);

}  // namespace switchyard::auth

#endif  // SWITCHYARD_DATAPLANE_AUTH_JWT_H_
