// Where the admin API's bearer tokens are kept: only their SHA-256, never the token. A
// token is 256 random bits, so a plain hash is as good as a slow one here, and lookup by
// hash needs no constant-time comparison (an attacker cannot steer a hash's prefix).
#ifndef SWITCHYARD_CONTROLPLANE_STORE_TOKEN_STORE_H_
#define SWITCHYARD_CONTROLPLANE_STORE_TOKEN_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controlplane/auth/role.h"

namespace switchyard::controlplane {

struct TokenRecord {
  std::string name;  // unique; who the token stands for (audit log, version authors)
  Role role = Role::kViewer;
  std::string sha256_hex;  // of the whole token string
  absl::Time created;
  std::string created_by;
  // absl::InfiniteFuture(): never expires.
  absl::Time expires = absl::InfiniteFuture();
};

// Thread-safe. Errors are UNAVAILABLE (the store cannot be read or written) unless noted.
class TokenStore {
 public:
  virtual ~TokenStore() = default;
  // ALREADY_EXISTS when a token of that name exists.
  virtual absl::Status Create(const TokenRecord& record) = 0;
  virtual absl::StatusOr<std::optional<TokenRecord>> FindByHash(const std::string& sha256_hex) = 0;
  // Ordered by name.
  virtual absl::StatusOr<std::vector<TokenRecord>> List() = 0;
  // False when there was no token of that name.
  virtual absl::StatusOr<bool> Revoke(const std::string& name) = 0;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_STORE_TOKEN_STORE_H_
