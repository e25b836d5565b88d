// SHA-256 for secrets that are stored or compared by hash (bearer tokens).
#ifndef SWITCHYARD_COMMON_SHA256_H_
#define SWITCHYARD_COMMON_SHA256_H_

#include <string>
#include <string_view>

namespace switchyard {

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Equal strings, compared in time that depends only on their lengths (CRYPTO_memcmp).
bool SecretEquals(std::string_view a, std::string_view b);

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_SHA256_H_
