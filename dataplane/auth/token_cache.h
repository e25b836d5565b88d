// Tokens a worker has verified, so that a client presenting the same token again costs a
// hash lookup instead of a signature check (docs/auth.md, "JWT"). Per worker, so no lock;
// bounded in entries and bytes. An entry is keyed by the issuer's fingerprint and the
// token, so it outlives config swaps that leave the issuer alone, and is never used for
// an issuer whose keys or settings changed. Expiry is checked on every use, by the caller.
#ifndef SWITCHYARD_DATAPLANE_AUTH_TOKEN_CACHE_H_
#define SWITCHYARD_DATAPLANE_AUTH_TOKEN_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "dataplane/auth/jwt.h"

namespace switchyard::auth {

class TokenCache {
 public:
  explicit TokenCache(size_t max_entries = 4096, size_t max_bytes = size_t{8} << 20)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // The verified token, or null.
  const VerifiedJwt* Find(uint64_t issuer_fingerprint, std::string_view token);
  // Remembers a verified token; when full, an arbitrary entry makes room.
  void Insert(uint64_t issuer_fingerprint, std::string_view token, VerifiedJwt&& verified);

  size_t size() const { return entries_.size(); }

 private:
  std::string& KeyOf(uint64_t issuer_fingerprint, std::string_view token);

  size_t max_entries_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::string key_scratch_;
  absl::flat_hash_map<std::string, VerifiedJwt> entries_;
};

}  // namespace switchyard::auth

#endif  // SWITCHYARD_DATAPLANE_AUTH_TOKEN_CACHE_H_
