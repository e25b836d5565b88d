#include "controlplane/auth/authenticator.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/secure_random.h"
#include "common/sha256.h"

namespace switchyard::controlplane {
namespace {

constexpr size_t kTokenHexDigits = 64;

bool IsLowerHex(absl::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789abcdef") == absl::string_view::npos;
}

absl::Status Unauthenticated(absl::string_view why) {
  return absl::UnauthenticatedError(absl::StrCat(
      why,
      ": send a bearer token (yardctl --token-file, YARDCTL_TOKEN) or a client certificate "
      "with a role in --cert_roles"));
}

}  // namespace

std::string NewToken() { return absl::StrCat(kTokenPrefix, SecureRandomHex(kTokenHexDigits / 2)); }

std::string TokenHash(absl::string_view token) {
  return Sha256Hex(std::string_view(token.data(), token.size()));
}

absl::StatusOr<std::vector<BootstrapToken>> LoadTokenHashFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--admin_token_hash_file=", path, ": ", std::strerror(errno)));
  }
  if ((st.st_mode & 022) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--admin_token_hash_file=", path,
        ": writable by group or others, who could make themselves admin; run: chmod 600 ", path));
  }
  std::ifstream in(path);
  std::vector<BootstrapToken> tokens;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(trimmed, ' ', absl::SkipWhitespace());
    if (fields.size() != 2 || fields[0].size() != 64 || !IsLowerHex(fields[0])) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number,
                       ": expected a lowercase hex SHA-256 and a name, e.g. the output "
                       "of: printf %s \"$token\" | sha256sum"));
    }
    tokens.push_back({.sha256_hex = fields[0], .name = fields[1]});
  }
  if (tokens.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--admin_token_hash_file=", path, ": holds no token hash"));
  }
  return tokens;
}

absl::StatusOr<Caller> Authenticator::Authenticate(std::optional<absl::string_view> authorization,
                                                   const std::optional<PeerCertificate>& cert,
                                                   absl::Time now) const {
  if (options_.insecure)
    return Caller{.name = "unauthenticated", .via = "insecure", .role = Role::kAdmin};
  if (authorization.has_value()) {
    absl::string_view value = absl::StripAsciiWhitespace(*authorization);
    if (!absl::ConsumePrefix(&value, "Bearer ") && !absl::ConsumePrefix(&value, "bearer ")) {
      return Unauthenticated("the authorization header is not \"Bearer TOKEN\"");
    }
    return ByToken(absl::StripAsciiWhitespace(value), now);
  }
  if (cert.has_value()) return ByCertificate(*cert);
  return Unauthenticated("no credentials");
}

absl::StatusOr<Caller> Authenticator::ByToken(absl::string_view token, absl::Time now) const {
  absl::string_view digits = token;
  if (!absl::ConsumePrefix(&digits, kTokenPrefix) || digits.size() != kTokenHexDigits ||
      !IsLowerHex(digits)) {
    return Unauthenticated("malformed token");
  }
  const std::string hash = TokenHash(token);
  for (const BootstrapToken& bootstrap : options_.bootstrap_tokens) {
    if (SecretEquals(bootstrap.sha256_hex, hash)) {
      return Caller{.name = bootstrap.name, .via = "token", .role = Role::kAdmin};
    }
  }
  if (tokens_ != nullptr) {
    absl::StatusOr<std::optional<TokenRecord>> record = tokens_->FindByHash(hash);
    if (!record.ok()) return record.status();
    if (record->has_value()) {
      if ((*record)->expires <= now) {
        return Unauthenticated(absl::StrCat("token '", (*record)->name, "' has expired"));
      }
      return Caller{.name = (*record)->name, .via = "token", .role = (*record)->role};
    }
  }
  return Unauthenticated("unknown or revoked token");
}

absl::StatusOr<Caller> Authenticator::ByCertificate(const PeerCertificate& cert) const {
  // Any certificate the proxy rule has a say on (one name, or several) is a proxy's.
  if (options_.proxy_identity.has_value() &&
      options_.proxy_identity->Apply(cert).status().code() != absl::StatusCode::kNotFound) {
    return Unauthenticated("a proxy's certificate is no operator's");
  }
  auto role = options_.cert_roles.find(cert.common_name);
  if (cert.common_name.empty() || role == options_.cert_roles.end()) {
    return Unauthenticated(
        absl::StrCat("client certificate CN '", cert.common_name, "' has no role in --cert_roles"));
  }
  return Caller{.name = cert.common_name, .via = "certificate", .role = role->second};
}

absl::Status Authorize(const Caller& caller, Role needed, absl::string_view action) {
  if (Includes(caller.role, needed)) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("'", caller.name, "' (", std::string(RoleName(caller.role)), ") may not ",
                   action, ": that needs the ", std::string(RoleName(needed)), " role"));
}

absl::StatusOr<std::map<std::string, Role, std::less<>>> ParseCertRoles(absl::string_view text) {
  std::map<std::string, Role, std::less<>> roles;
  for (absl::string_view pair : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    pair = absl::StripAsciiWhitespace(pair);
    std::vector<std::string> parts = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    std::optional<Role> role = parts.size() == 2 ? ParseRole(parts[1]) : std::nullopt;
    if (parts.size() != 2 || parts[0].empty() || !role.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cert_roles: '", std::string(pair),
                       "' is not CN=ROLE with ROLE viewer, operator or admin"));
    }
    roles[parts[0]] = *role;
  }
  return roles;
}

}  // namespace switchyard::controlplane
