// API keys of the gateway's consumers (docs/auth.md), as `yardctl keys create` makes them.
//
// A key is "sy_" followed by 256 bits from OpenSSL's CSPRNG in base64url without padding
// (43 characters): the prefix makes a leaked key recognisable to secret scanners, and
// base64url keeps it safe in a header or a query parameter without escaping. The gateway
// knows a key only by the SHA-256 (lowercase hex) of the whole string, prefix included,
// which is what the proxy computes from the key a request presents.
#ifndef SWITCHYARD_TOOLS_YARDCTL_API_KEY_H_
#define SWITCHYARD_TOOLS_YARDCTL_API_KEY_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace switchyard::yardctl {

inline constexpr char kApiKeyPrefix[] = "sy_";
inline constexpr size_t kApiKeyRandomBytes = 32;

struct GeneratedApiKey {
  // Shown to the operator once, never stored.
  std::string key;
  // Sha256Hex(key): what the snapshot stores.
  std::string sha256;
};

// A new key and its hash. INTERNAL when the random generator fails (nothing guessable is
// ever returned).
absl::StatusOr<GeneratedApiKey> GenerateApiKey();

// The name `keys create` gives a key when the operator names none: "key-" and the first 8
// hex digits of its hash. Says nothing about the key that is not in the hash already.
std::string DefaultApiKeyName(const GeneratedApiKey& key);

// Why `name` cannot name an API key (the snapshot's name rule: [A-Za-z0-9_.-]+, at most
// 128 characters), or "" when it can.
std::string ApiKeyNameProblem(std::string_view name);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_API_KEY_H_
