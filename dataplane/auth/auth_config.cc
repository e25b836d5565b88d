#include "dataplane/auth/auth_config.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ascii.h"
#include "switchyard/config/duration.h"

namespace switchyard::auth {
namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Digest Sha256(std::string_view bytes) {
  Digest digest;
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
  return digest;
}

// 64 hex digits to 32 bytes; false when they are not that.
bool HexToDigest(std::string_view hex, std::string& out) {
  if (hex.size() != size_t{2} * SHA256_DIGEST_LENGTH) return false;
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int value = 0;
    for (const char c : hex.substr(i, 2)) {
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        value |= c - 'a' + 10;
      } else {
        return false;
      }
    }
    out.push_back(static_cast<char>(value));
  }
  return true;
}

std::vector<std::string> Copy(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return {list.begin(), list.end()};
}

template <typename T, typename Pred>
bool AnyOf(const std::vector<T>& list, Pred&& pred) {
  return std::any_of(list.begin(), list.end(), pred);
}

bool Holds(const Condition& when, const AuthRequest& request, const AuthResult& identity) {
  const Consumer* consumer = identity.consumer;
  if (!when.consumers.empty() &&
      (consumer == nullptr ||
       !AnyOf(when.consumers, [&](const std::string& name) { return name == consumer->name; }))) {
    return false;
  }
  if (!when.groups.empty() &&
      (consumer == nullptr || !AnyOf(when.groups, [&](const std::string& group) {
         return std::find(consumer->groups.begin(), consumer->groups.end(), group) !=
                consumer->groups.end();
       }))) {
    return false;
  }
  if (!when.methods.empty() &&
      !AnyOf(when.methods, [&](const std::string& method) { return method == request.method; })) {
    return false;
  }
  if (!when.path_prefixes.empty()) {
    const std::string_view path = request.target.substr(0, request.target.find('?'));
    if (!AnyOf(when.path_prefixes,
               [&](const std::string& prefix) { return path.starts_with(prefix); })) {
      return false;
    }
  }
  if (!when.client_ips.empty()) {
    const std::optional<config::IpAddress> client = config::IpAddress::Parse(request.client_ip);
    if (!client.has_value() || !AnyOf(when.client_ips, [&](const config::IpRange& range) {
          return range.Contains(*client);
        })) {
      return false;
    }
  }
  if (!when.client_cert_subjects.empty() &&
      (request.client_identity == nullptr ||
       !AnyOf(when.client_cert_subjects, [&](const std::string& subject) {
         return subject == request.client_identity->subject;
       }))) {
    return false;
  }
  for (const ClaimRule& rule : when.claims) {
    const nlohmann::json* claim =
        identity.claims != nullptr ? FindClaim(*identity.claims, rule.path) : nullptr;
    if (claim == nullptr || !ClaimMatches(*claim, rule.values)) return false;
  }
  return true;
}

absl::StatusOr<Condition> CompileCondition(const v1::AuthCondition& source,
                                           const std::string& where) {
  Condition when{.consumers = Copy(source.consumers()),
                 .groups = Copy(source.groups()),
                 .methods = Copy(source.methods()),
                 .path_prefixes = Copy(source.path_prefixes())};
  for (int i = 0; i < source.client_ips_size(); ++i) {
    std::optional<config::IpRange> range = config::IpRange::Parse(source.client_ips(i));
    if (!range.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ".client_ips[", i, "]: not an address range"));
    }
    when.client_ips.push_back(*range);
  }
  for (const v1::ClaimMatch& claim : source.claims()) {
    when.claims.push_back({.path = claim.name(), .values = Copy(claim.values())});
  }
  when.client_cert_subjects = Copy(source.client_cert_subjects());
  return when;
}

// SHA-256 of every setting, each length-prefixed, cut to 64 bits.
uint64_t Fingerprint(const JwtIssuer& issuer, const std::string& jwks) {
  std::string all;
  const auto add = [&](std::string_view part) {
    const uint64_t size = part.size();
    all.append(reinterpret_cast<const char*>(&size), sizeof(size));
    all.append(part);
  };
  add(issuer.issuer);
  for (const std::string& audience : issuer.audiences) add(audience);
  add(std::string(1, static_cast<char>(issuer.algorithms)));
  add(std::to_string(issuer.clock_skew_seconds));
  add(jwks);
  const Digest digest = Sha256(all);
  uint64_t out = 0;
  std::memcpy(&out, digest.data(), sizeof(out));
  return out;
}

absl::StatusOr<std::shared_ptr<const JwtIssuer>> CompileJwt(const v1::JwtAuth& source,
                                                            const std::string& where,
                                                            KeySetRegistry* key_sets) {
  auto issuer = std::make_shared<JwtIssuer>();
  issuer->issuer = source.issuer();
  issuer->audiences = Copy(source.audiences());
  if (!source.algorithms().empty()) {
    issuer->algorithms = 0;
    for (const std::string& name : source.algorithms()) {
      issuer->algorithms |= JwtAlgorithmNamed(name);
    }
  }
  std::string key_source = source.jwks();
  if (source.has_remote_jwks()) {
    const v1::RemoteJwks& remote = source.remote_jwks();
    RemoteJwksSource from{
        .cluster = remote.cluster(), .path = remote.path(), .host = remote.host()};
    if (remote.has_refresh_interval()) {
      from.refresh_interval = config::ToMillisRoundedUp(remote.refresh_interval());
    }
    if (remote.has_timeout()) from.timeout = config::ToMillisRoundedUp(remote.timeout());
    key_source = "remote\n" + from.Key();
    // Without a registry (a compile that serves nothing) the keys are never fetched.
    issuer->remote_keys = key_sets != nullptr ? key_sets->KeySetFor(from)
                                              : std::make_shared<RemoteKeySet>(std::move(from));
  } else {
    absl::StatusOr<std::vector<config::Jwk>> keys = config::ParseJwks(source.jwks());
    if (!keys.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".jwks: ", keys.status().message()));
    }
    issuer->keys = *std::move(keys);
  }
  if (source.has_clock_skew()) {
    issuer->clock_skew_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                                     config::ToMillisRoundedUp(source.clock_skew()))
                                     .count();
  }
  issuer->header = absl::AsciiStrToLower(source.header());
  issuer->cookie = source.cookie();
  issuer->hide_credentials = source.hide_credentials();
  for (const v1::ClaimHeader& claim : source.forward_claims()) {
    issuer->forward_claims.push_back(
        {.claim = claim.claim(), .header = absl::AsciiStrToLower(claim.header())});
  }
  issuer->fingerprint = Fingerprint(*issuer, key_source);
  return issuer;
}

absl::StatusOr<Policy> CompilePolicy(const v1::AuthPolicy& source, KeySetRegistry* key_sets) {
  Policy policy;
  policy.name = source.name();
  if (source.has_api_key()) {
    policy.has_api_key = true;
    policy.api_key = {.header = absl::AsciiStrToLower(source.api_key().header()),
                      .query = source.api_key().query(),
                      .hide_credentials = source.api_key().hide_credentials()};
    policy.challenges.push_back(
        policy.api_key.header.empty()
            ? absl::StrCat("ApiKey realm=\"switchyard\", query=\"", policy.api_key.query, "\"")
            : absl::StrCat("ApiKey realm=\"switchyard\", header=\"", policy.api_key.header, "\""));
  }
  if (source.has_jwt()) {
    absl::StatusOr<std::shared_ptr<const JwtIssuer>> jwt =
        CompileJwt(source.jwt(), absl::StrCat("auth_policies[", source.name(), "].jwt"), key_sets);
    if (!jwt.ok()) return jwt.status();
    policy.jwt = *std::move(jwt);
    policy.challenges.push_back("Bearer realm=\"switchyard\"");
  }
  if (source.has_client_certificate()) {
    policy.client_certificate = true;
    policy.certificate_requires_consumer = source.client_certificate().require_consumer();
  }
  for (int i = 0; i < source.rules_size(); ++i) {
    const v1::AuthRule& rule = source.rules(i);
    const std::string where = absl::StrCat("auth_policies[", source.name(), "].rules[", i, "]");
    absl::StatusOr<Condition> when =
        CompileCondition(rule.has_allow() ? rule.allow() : rule.deny(),
                         where + (rule.has_allow() ? ".allow" : ".deny"));
    if (!when.ok()) return when.status();
    policy.rules.push_back({.allow = rule.has_allow(), .when = *std::move(when)});
  }
  if (source.has_ext_authz()) {
    const v1::ExtAuthz& ext = source.ext_authz();
    auto compiled = std::make_unique<ExtAuthzConfig>();
    compiled->cluster = ext.cluster();
    if (ext.has_timeout()) compiled->timeout = config::ToMillisRoundedUp(ext.timeout());
    compiled->failure_mode_allow = ext.failure_mode_allow();
    compiled->context_extensions.assign(ext.context_extensions().begin(),
                                        ext.context_extensions().end());
    std::sort(compiled->context_extensions.begin(), compiled->context_extensions.end());
    policy.ext_authz = std::move(compiled);
  }
  switch (source.default_action()) {
    case v1::AuthPolicy::ALLOW:
      policy.allow_by_default = true;
      break;
    case v1::AuthPolicy::DENY:
      policy.allow_by_default = false;
      break;
    default:
      policy.allow_by_default = source.rules().empty();
      break;
  }
  return policy;
}

}  // namespace

absl::StatusOr<std::unique_ptr<const AuthConfig>> AuthConfig::Build(const v1::Snapshot& snapshot,
                                                                    KeySetRegistry* key_sets) {
  std::unique_ptr<AuthConfig> config(new AuthConfig());
  std::string digest;
  for (const v1::Consumer& source : snapshot.consumers()) {
    auto consumer = std::make_unique<Consumer>();
    consumer->name = source.name();
    consumer->groups = Copy(source.groups());
    consumer->groups_header = absl::StrJoin(consumer->groups, ",");
    for (const v1::ApiKey& key : source.api_keys()) {
      if (!HexToDigest(key.sha256(), digest) ||
          !config->by_key_digest_.emplace(digest, consumer.get()).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("consumers[", source.name(), "].api_keys[", key.name(),
                         "].sha256: not 64 lowercase hex digits, or used twice"));
      }
    }
    for (const std::string& subject : source.certificate_subjects()) {
      if (!config->by_certificate_subject_.emplace(subject, consumer.get()).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            "consumers[", source.name(), "].certificate_subjects: a subject used twice"));
      }
    }
    config->consumers_.push_back(std::move(consumer));
  }
  for (const v1::AuthPolicy& source : snapshot.auth_policies()) {
    absl::StatusOr<Policy> policy = CompilePolicy(source, key_sets);
    if (!policy.ok()) return policy.status();
    config->policy_index_[source.name()] = static_cast<int>(config->policies_.size());
    if (policy->jwt != nullptr && policy->jwt->remote_keys != nullptr &&
        std::find(config->remote_key_sets_.begin(), config->remote_key_sets_.end(),
                  policy->jwt->remote_keys) == config->remote_key_sets_.end()) {
      config->remote_key_sets_.push_back(policy->jwt->remote_keys);
    }
    config->policies_.push_back(*std::move(policy));
  }
  return config;
}

int AuthConfig::FindPolicy(std::string_view name) const {
  const auto it = policy_index_.find(absl::string_view(name.data(), name.size()));
  return it == policy_index_.end() ? -1 : it->second;
}

const Consumer* AuthConfig::FindByApiKey(std::string_view key) const {
  const Digest digest = Sha256(key);
  const auto it = by_key_digest_.find(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  if (it == by_key_digest_.end()) return nullptr;
  // The map found the entry by an equal digest already; compare again in constant time so
  // that no early-exit comparison of secret-derived bytes is the last word.
  if (CRYPTO_memcmp(it->first.data(), digest.data(), digest.size()) != 0) return nullptr;
  return it->second;
}

namespace {

AuthResult Refuse(AuthOutcome outcome, std::string_view reason, std::string_view message) {
  return {.outcome = outcome, .reason = reason, .message = message};
}

// The token's verification, from the worker's cache when it has it.
// Tokens are cached under the issuer's fingerprint, and for fetched keys also theirs, so
// a token verified under keys the provider has since dropped is verified again.
JwtError CheckToken(const JwtIssuer& issuer, std::string_view token, const AuthRequest& request,
                    std::shared_ptr<const nlohmann::json>& claims) {
  RemoteKeySet* const remote = issuer.remote_keys.get();
  uint64_t cache_key = issuer.fingerprint ^ (remote != nullptr ? remote->fingerprint() : 0);
  const VerifiedJwt* verified =
      request.tokens != nullptr ? request.tokens->Find(cache_key, token) : nullptr;
  VerifiedJwt fresh;
  if (verified == nullptr) {
    JwtError error;
    if (remote == nullptr) {
      error = VerifyJwt(issuer, token, fresh);
    } else {
      const std::shared_ptr<const FetchedKeys> fetched = remote->keys();
      if (fetched == nullptr) {
        remote->RequestFetch();
        return JwtError::kKeysNotReady;
      }
      cache_key = issuer.fingerprint ^ fetched->fingerprint;
      error = VerifyJwt(issuer, fetched->keys, token, fresh);
      // The provider may have rotated its keys since the last fetch (rate-limited).
      if (error == JwtError::kUnknownKey) remote->RequestFetch();
    }
    if (error != JwtError::kNone) return error;
    verified = &fresh;
  }
  const JwtError error = CheckJwtTimes(issuer, *verified, request.now);
  if (error != JwtError::kNone) return error;
  claims = verified->claims;
  if (verified == &fresh && request.tokens != nullptr) {
    request.tokens->Insert(cache_key, token, std::move(fresh));
  }
  return JwtError::kNone;
}

}  // namespace

AuthResult AuthConfig::Check(const Policy& policy, const AuthRequest& request) const {
  AuthResult result;
  bool presented = false;
  if (policy.has_api_key) {
    std::string_view key;
    if (!policy.api_key.header.empty()) {
      if (const std::string* value = request.headers->Get(policy.api_key.header)) key = *value;
    } else {
      key = FindQueryParameter(request.target, policy.api_key.query);
    }
    if (!key.empty()) {
      presented = true;
      result.consumer = FindByApiKey(key);
      if (result.consumer == nullptr) {
        return Refuse(AuthOutcome::kInvalidCredential, "invalid_credential",
                      "the API key is not valid");
      }
    }
  }
  if (policy.jwt != nullptr) {
    const std::string_view token = FindToken(*policy.jwt, *request.headers);
    if (!token.empty()) {
      presented = true;
      const JwtError error = CheckToken(*policy.jwt, token, request, result.claims);
      if (error != JwtError::kNone) {
        const std::string_view reason = error == JwtError::kExpired        ? "token_expired"
                                        : error == JwtError::kNotYetValid  ? "token_not_yet_valid"
                                        : error == JwtError::kKeysNotReady ? "jwks_not_ready"
                                                                           : "invalid_token";
        return Refuse(AuthOutcome::kInvalidCredential, reason, JwtErrorMessage(error));
      }
    }
  }
  if (policy.client_certificate && request.client_identity != nullptr) {
    presented = true;
    if (result.consumer == nullptr) {
      const auto it = by_certificate_subject_.find(request.client_identity->subject);
      if (it != by_certificate_subject_.end()) result.consumer = it->second;
    }
    if (result.consumer == nullptr && policy.certificate_requires_consumer) {
      return Refuse(AuthOutcome::kInvalidCredential, "unknown_client_certificate",
                    "the client certificate names no consumer");
    }
  }
  if (!presented && (policy.has_api_key || policy.jwt != nullptr || policy.client_certificate)) {
    return Refuse(AuthOutcome::kMissingCredential, "missing_credential",
                  "this route needs a credential");
  }
  bool allow = policy.allow_by_default;
  for (const Rule& rule : policy.rules) {
    if (Holds(rule.when, request, result)) {
      allow = rule.allow;
      break;
    }
  }
  if (!allow) {
    // Who was denied stays in the result.
    result.outcome = AuthOutcome::kDenied;
    result.reason = "access_denied";
    result.message = "the route's auth policy does not allow this";
  }
  return result;
}

namespace {

// Calls `visit(begin, end, value)` for each parameter of the query named `name`, with the
// parameter's offsets in `target` (without its separator) and its raw value.
template <typename Visit>
void ForEachParameter(std::string_view target, std::string_view name, Visit&& visit) {
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return;
  size_t begin = question + 1;
  while (begin <= target.size()) {
    size_t end = target.find('&', begin);
    if (end == std::string_view::npos) end = target.size();
    const std::string_view parameter = target.substr(begin, end - begin);
    const size_t equals = parameter.find('=');
    if (parameter.substr(0, equals) == name) {
      const std::string_view value =
          equals == std::string_view::npos ? std::string_view() : parameter.substr(equals + 1);
      if (!visit(begin, end, value)) return;
    }
    begin = end + 1;
  }
}

}  // namespace

std::string_view FindQueryParameter(std::string_view target, std::string_view name) {
  std::string_view found;
  ForEachParameter(target, name, [&](size_t, size_t, std::string_view value) {
    found = value;
    return false;
  });
  return found;
}

void RemoveQueryParameter(std::string& target, std::string_view name) {
  std::string out;
  const size_t question = target.find('?');
  if (question == std::string::npos) return;
  size_t kept_from = 0;
  bool removed = false;
  ForEachParameter(target, name, [&](size_t begin, size_t end, std::string_view) {
    out.append(target, kept_from, begin - kept_from);
    kept_from = end + 1;  // the parameter and the '&' after it
    removed = true;
    return true;
  });
  if (!removed) return;
  if (kept_from < target.size()) out.append(target, kept_from, std::string::npos);
  // A '&' or '?' left dangling at the end by the last removal.
  while (!out.empty() && (out.back() == '&' || out.back() == '?')) out.pop_back();
  target = std::move(out);
}

std::string RedactQueryParameter(std::string_view target, std::string_view name) {
  std::string out;
  size_t copied = 0;
  ForEachParameter(target, name, [&](size_t begin, size_t end, std::string_view) {
    out.append(target.substr(copied, begin - copied));
    out.append(name);
    out.append("=[redacted]");
    copied = end;
    return true;
  });
  out.append(target.substr(copied));
  return out;
}

namespace {

// "Bearer <token>" (the scheme case-insensitive), or the whole value when `required` is off.
std::string_view AfterBearer(std::string_view value, bool required) {
  constexpr std::string_view kBearer = "bearer ";
  if (value.size() > kBearer.size() && EqualsIgnoreCase(value.substr(0, kBearer.size()), kBearer)) {
    value.remove_prefix(kBearer.size());
  } else if (required) {
    return {};
  }
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

// Calls `visit(pair)` for each "name=value" pair of every Cookie field; stops when it
// returns false.
template <typename Visit>
void ForEachCookie(const http::HeaderMap& headers, Visit&& visit) {
  for (const http::HeaderField& field : headers) {
    if (!EqualsIgnoreCase(field.name, "cookie")) continue;
    std::string_view rest = field.value;
    while (!rest.empty()) {
      const size_t end = std::min(rest.find(';'), rest.size());
      std::string_view pair = rest.substr(0, end);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      if (!visit(pair)) return;
      rest.remove_prefix(std::min(end + 1, rest.size()));
    }
  }
}

}  // namespace

std::string_view FindToken(const JwtIssuer& issuer, const http::HeaderMap& headers) {
  if (!issuer.cookie.empty()) {
    std::string_view token;
    ForEachCookie(headers, [&](std::string_view pair) {
      const size_t equals = pair.find('=');
      if (equals == std::string_view::npos || pair.substr(0, equals) != issuer.cookie) return true;
      token = pair.substr(equals + 1);
      return false;
    });
    return token;
  }
  const std::string* value = headers.Get(issuer.header.empty() ? "authorization" : issuer.header);
  if (value == nullptr) return {};
  return AfterBearer(*value, /*required=*/issuer.header.empty());
}

void RemoveToken(const JwtIssuer& issuer, http::HeaderMap& headers) {
  if (issuer.cookie.empty()) {
    headers.Remove(issuer.header.empty() ? "authorization" : issuer.header);
    return;
  }
  std::string kept;
  ForEachCookie(headers, [&](std::string_view pair) {
    const size_t equals = pair.find('=');
    if (!pair.empty() && pair.substr(0, equals) != issuer.cookie) {
      if (!kept.empty()) kept += "; ";
      kept.append(pair);
    }
    return true;
  });
  headers.Remove("cookie");
  if (!kept.empty()) headers.Add("cookie", kept);
}

}  // namespace switchyard::auth
