// The token methods of the admin API (CreateToken, ListTokens, RevokeToken) over a
// TokenStore: request checks, token generation, and the conversion to TokenInfo.
#ifndef SWITCHYARD_CONTROLPLANE_ADMIN_TOKEN_ADMIN_H_
#define SWITCHYARD_CONTROLPLANE_ADMIN_TOKEN_ADMIN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controlplane/store/token_store.h"
#include "switchyard/v1/admin.pb.h"

namespace switchyard::controlplane {

// `store` may be null (a control plane without a token store): every call then fails
// with UNIMPLEMENTED.
class TokenAdmin {
 public:
  explicit TokenAdmin(TokenStore* store) : store_(store) {}

  // INVALID_ARGUMENT for a bad name, role or ttl; ALREADY_EXISTS for a name in use.
  absl::StatusOr<switchyard::v1::CreateTokenResponse> Create(
      const switchyard::v1::CreateTokenRequest& request, const std::string& created_by,
      absl::Time now);
  absl::StatusOr<switchyard::v1::ListTokensResponse> List();
  // NOT_FOUND when there is no such token.
  absl::StatusOr<switchyard::v1::RevokeTokenResponse> Revoke(
      const switchyard::v1::RevokeTokenRequest& request);

 private:
  absl::Status CheckStore() const;

  TokenStore* const store_;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_ADMIN_TOKEN_ADMIN_H_
