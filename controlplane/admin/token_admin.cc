#include "controlplane/admin/token_admin.h"

#include "absl/strings/str_cat.h"
#include "controlplane/auth/authenticator.h"
#include "google/protobuf/util/time_util.h"

namespace switchyard::controlplane {
namespace {

constexpr uint64_t kMaxTtlSeconds = 10ull * 366 * 24 * 3600;

bool ValidName(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         name.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") ==
             std::string::npos;
}

switchyard::v1::TokenInfo ToInfo(const TokenRecord& record) {
  using google::protobuf::util::TimeUtil;
  switchyard::v1::TokenInfo info;
  info.set_name(record.name);
  info.set_role(std::string(RoleName(record.role)));
  *info.mutable_created() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(record.created));
  info.set_created_by(record.created_by);
  if (record.expires != absl::InfiniteFuture()) {
    *info.mutable_expires() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(record.expires));
  }
  return info;
}

}  // namespace

absl::Status TokenAdmin::CheckStore() const {
  if (store_ != nullptr) return absl::OkStatus();
  return absl::UnimplementedError("this control plane keeps no tokens (it runs --insecure)");
}

absl::StatusOr<switchyard::v1::CreateTokenResponse> TokenAdmin::Create(
    const switchyard::v1::CreateTokenRequest& request, const std::string& created_by,
    absl::Time now) {
  if (absl::Status store = CheckStore(); !store.ok()) return store;
  if (!ValidName(request.name())) {
    return absl::InvalidArgumentError(
        "token name: 1-64 characters of letters, digits, '.', '_', '@' and '-'");
  }
  std::optional<Role> role = ParseRole(request.role());
  if (!role.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("token role: '", request.role(), "' is not one of viewer, operator, admin"));
  }
  if (request.ttl_seconds() > kMaxTtlSeconds) {
    return absl::InvalidArgumentError("token ttl: at most 10 years (0: never expires)");
  }
  TokenRecord record{
      .name = request.name(), .role = *role, .created = now, .created_by = created_by};
  if (request.ttl_seconds() > 0) {
    record.expires = now + absl::Seconds(static_cast<int64_t>(request.ttl_seconds()));
  }
  const std::string token = NewToken();
  record.sha256_hex = TokenHash(token);
  if (absl::Status created = store_->Create(record); !created.ok()) return created;
  switchyard::v1::CreateTokenResponse response;
  response.set_token(token);
  *response.mutable_info() = ToInfo(record);
  return response;
}

absl::StatusOr<switchyard::v1::ListTokensResponse> TokenAdmin::List() {
  if (absl::Status store = CheckStore(); !store.ok()) return store;
  absl::StatusOr<std::vector<TokenRecord>> records = store_->List();
  if (!records.ok()) return records.status();
  switchyard::v1::ListTokensResponse response;
  for (const TokenRecord& record : *records) *response.add_tokens() = ToInfo(record);
  return response;
}

absl::StatusOr<switchyard::v1::RevokeTokenResponse> TokenAdmin::Revoke(
    const switchyard::v1::RevokeTokenRequest& request) {
  if (absl::Status store = CheckStore(); !store.ok()) return store;
  absl::StatusOr<bool> revoked = store_->Revoke(request.name());
  if (!revoked.ok()) return revoked.status();
  if (!*revoked) {
    return absl::NotFoundError(absl::StrCat("there is no token named '", request.name(), "'"));
  }
  return switchyard::v1::RevokeTokenResponse();
}

}  // namespace switchyard::controlplane
