// JSON Web Key Sets (RFC 7517) of public signing keys, as auth policies carry them
// (docs/auth.md, "JWT"). Shared by validation (a JWKS that does not parse is refused,
// naming the field) and the proxy (which verifies tokens with the keys).
//
// Keys are built with OpenSSL's EVP_PKEY_fromdata (RSA, EC P-256) and
// EVP_PKEY_new_raw_public_key (Ed25519): Debian's JOSE libraries cover fewer algorithms
// (libjwt 1.10 has no PS256 or EdDSA and no JWK import; cjose has no EdDSA), and these are
// the calls they would make anyway.
#ifndef SWITCHYARD_PROTO_SWITCHYARD_CONFIG_JWKS_H_
#define SWITCHYARD_PROTO_SWITCHYARD_CONFIG_JWKS_H_

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::config {

inline constexpr size_t kMaxJwksBytes = size_t{256} * 1024;
inline constexpr size_t kMaxJwksKeys = 100;

enum class JwkType { kRsa, kEcP256, kEd25519 };

struct Jwk {
  std::string kid;  // may be empty
  std::string alg;  // the key's own "alg", when it names one
  JwkType type = JwkType::kRsa;
  std::shared_ptr<EVP_PKEY> key;
};

// The signing keys of `json`, in order. Keys whose "use" is "enc", and keys of types or
// curves no supported algorithm uses, are skipped. INVALID_ARGUMENT, saying which key and
// why, when the document is not a JWKS, a key of a supported type is malformed (an RSA
// modulus under 2048 bits, a point not on P-256), a key is symmetric ("oct": a secret has
// no place among public keys), or no usable key is left.
absl::StatusOr<std::vector<Jwk>> ParseJwks(std::string_view json);

// The deepest nesting of arrays and objects in `json` (strings skipped), for refusing
// hostile documents before a parser recurses into them.
int JsonNestingDepth(std::string_view json);

}  // namespace switchyard::config

#endif  // SWITCHYARD_PROTO_SWITCHYARD_CONFIG_JWKS_H_
