#include "dataplane/auth/remote_jwks.h"

#include <utility>

namespace switchyard::auth {

std::shared_ptr<const FetchedKeys> RemoteKeySet::keys() const {
  sync::MutexLock lock(&mu_);
  return keys_;
}

void RemoteKeySet::SetKeys(std::shared_ptr<const FetchedKeys> keys) {
  const uint64_t fingerprint = keys != nullptr ? keys->fingerprint : 0;
  {
    sync::MutexLock lock(&mu_);
    keys_ = std::move(keys);
  }
  fingerprint_.store(fingerprint, std::memory_order_release);
}

}  // namespace switchyard::auth
