// A snapshot's consumers and auth policies compiled for the request path (docs/auth.md):
// API keys indexed by their SHA-256, rules with their address ranges parsed. Built once
// per snapshot off the request path, then shared read-only by every worker with the rest
// of the RuntimeConfig, so a route and the policy it was published with swap together.
#ifndef SWITCHYARD_DATAPLANE_AUTH_AUTH_CONFIG_H_
#define SWITCHYARD_DATAPLANE_AUTH_AUTH_CONFIG_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "dataplane/auth/ext_authz.h"
#include "dataplane/auth/jwt.h"
#include "dataplane/auth/token_cache.h"
#include "dataplane/http/header_map.h"
#include "dataplane/tls/client_identity.h"
#include "switchyard/config/ip_range.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::auth {

struct Consumer {
  std::string name;
  std::vector<std::string> groups;
  // The groups as sent upstream in x-switchyard-consumer-groups: "a,b".
  std::string groups_header;
};

struct ClaimRule {
  std::string path;  // dotted
  std::vector<std::string> values;
};

// Holds when every non-empty list holds; a list holds when one of its entries does (but
// `claims`, whose every entry must hold).
struct Condition {
  std::vector<std::string> consumers;
  std::vector<std::string> groups;
  std::vector<std::string> methods;
  std::vector<std::string> path_prefixes;
  std::vector<config::IpRange> client_ips;
  std::vector<ClaimRule> claims;
  std::vector<std::string> client_cert_subjects;
};

struct Rule {
  bool allow = false;
  Condition when;
};

struct ApiKeySource {
  std::string header;  // lower case; empty when the key is a query parameter
  std::string query;
  bool hide_credentials = false;
};

struct Policy {
  std::string name;
  bool has_api_key = false;
  ApiKeySource api_key;
  // Null when the policy takes no JWT.
  std::shared_ptr<const JwtIssuer> jwt;
  // A verified client certificate counts as a credential.
  bool client_certificate = false;
  // ... and must name a consumer (Consumer.certificate_subjects).
  bool certificate_requires_consumer = false;
  std::vector<Rule> rules;
  bool allow_by_default = true;
  // Asked last, about requests the rest allowed; null when the policy has none.
  std::unique_ptr<const ExtAuthzConfig> ext_authz;
  // The WWW-Authenticate values of this policy's 401s, one per credential, e.g.
  // `ApiKey realm="switchyard", header="x-api-key"` and `Bearer realm="switchyard"`.
  std::vector<std::string> challenges;
};

// What a policy looks at.
struct AuthRequest {
  std::string_view method;
  std::string_view target;     // path (normalized) and query
  std::string_view client_ip;  // an address literal
  const http::HeaderMap* headers = nullptr;
  // The client certificate the connection verified, or null.
  const tls::ClientIdentity* client_identity = nullptr;
  // Unix seconds, for a JWT's exp and nbf.
  int64_t now = 0;
  // The worker's verified tokens; null: every token is verified afresh.
  TokenCache* tokens = nullptr;
};

enum class AuthOutcome {
  kAllowed,
  kMissingCredential,  // 401: the policy needs a credential the request does not carry
  kInvalidCredential,  // 401: it carries one that is not valid
  kDenied,             // 403: a rule (or the default) denies it
};

struct AuthResult {
  AuthOutcome outcome = AuthOutcome::kAllowed;
  // For a refusal: the local reply's error code ("invalid_token") and message.
  std::string_view reason;
  std::string_view message;
  // Who the API key (or the client certificate) authenticated; null without one.
  const Consumer* consumer = nullptr;
  // The verified token's claims; null without one.
  std::shared_ptr<const nlohmann::json> claims;
};

class AuthConfig {
 public:
  // Compiles the snapshot's consumers and auth policies; the snapshot has passed
  // validation, so an error here means the two disagree, and names the resource and field.
  // Policies whose JWT keys come from a URL get their key sets from `key_sets` (the
  // proxy's fetcher); without one, such keys are never fetched.
  static absl::StatusOr<std::unique_ptr<const AuthConfig>> Build(
      const v1::Snapshot& snapshot, KeySetRegistry* key_sets = nullptr);

  // The key sets of the policies whose JWT keys come from a URL, each once: what the
  // fetcher keeps fetching while this config is served.
  const std::vector<std::shared_ptr<RemoteKeySet>>& remote_key_sets() const {
    return remote_key_sets_;
  }

  // The index of the policy named `name`, or -1.
  int FindPolicy(std::string_view name) const;
  const Policy& policy(int index) const { return policies_[static_cast<size_t>(index)]; }

  // Runs `policy` on `request`: its credentials, then its rules.
  AuthResult Check(const Policy& policy, const AuthRequest& request) const;

  // The consumer whose API key `key` is, or null. The key is hashed (SHA-256) and the
  // digest looked up, so the time taken does not depend on how much of a stored key the
  // presented one shares (docs/auth.md, "API keys").
  const Consumer* FindByApiKey(std::string_view key) const;

 private:
  AuthConfig() = default;

  std::vector<std::unique_ptr<Consumer>> consumers_;                 // stable addresses
  absl::flat_hash_map<std::string, const Consumer*> by_key_digest_;  // raw 32-byte digests
  absl::flat_hash_map<std::string, const Consumer*> by_certificate_subject_;
  std::vector<Policy> policies_;
  std::vector<std::shared_ptr<RemoteKeySet>> remote_key_sets_;
  absl::flat_hash_map<std::string, int> policy_index_;
};

// The raw value of query parameter `name` in `target` (path and query), not decoded;
// empty when absent. A parameter given several times: the first.
std::string_view FindQueryParameter(std::string_view target, std::string_view name);
// `target` without every occurrence of query parameter `name` (and without the "?" when
// nothing is left).
void RemoveQueryParameter(std::string& target, std::string_view name);
// `target` with the value of every occurrence of `name` replaced by "[redacted]".
std::string RedactQueryParameter(std::string_view target, std::string_view name);

// The token where `issuer` says it is, or empty.
std::string_view FindToken(const JwtIssuer& issuer, const http::HeaderMap& headers);
// Removes the token from the request (hide_credentials).
void RemoveToken(const JwtIssuer& issuer, http::HeaderMap& headers);

}  // namespace switchyard::auth

#endif  // SWITCHYARD_DATAPLANE_AUTH_AUTH_CONFIG_H_
