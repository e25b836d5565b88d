#include "dataplane/auth/token_cache.h"

#include <cstring>
#include <utility>

namespace switchyard::auth {

std::string& TokenCache::KeyOf(uint64_t issuer_fingerprint, std::string_view token) {
  key_scratch_.resize(sizeof(issuer_fingerprint));
  std::memcpy(key_scratch_.data(), &issuer_fingerprint, sizeof(issuer_fingerprint));
  key_scratch_.append(token);
  return key_scratch_;
}

const VerifiedJwt* TokenCache::Find(uint64_t issuer_fingerprint, std::string_view token) {
  const auto it = entries_.find(KeyOf(issuer_fingerprint, token));
  return it == entries_.end() ? nullptr : &it->second;
}

void TokenCache::Insert(uint64_t issuer_fingerprint, std::string_view token,
                        VerifiedJwt&& verified) {
  const std::string& key = KeyOf(issuer_fingerprint, token);
  if (key.size() > max_bytes_) return;
  while (!entries_.empty() &&
         (entries_.size() >= max_entries_ || bytes_ + key.size() > max_bytes_)) {
    const auto victim = entries_.begin();
    bytes_ -= victim->first.size();
    entries_.erase(victim);
  }
  if (entries_.try_emplace(key, std::move(verified)).second) bytes_ += key.size();
}

}  // namespace switchyard::auth
