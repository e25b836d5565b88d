// Who is calling the admin API, and whether they may (docs/security.md, "Operators").
//
// A caller authenticates with a bearer token ("authorization: Bearer syt_...") or, when it
// sends none, with a client certificate whose CN has a role in --cert_roles. A token that
// is sent but unknown or expired fails even if a certificate is present: a credential
// that does not work must be noticed, not silently replaced by another. Certificates of
// proxies (those the proxy identity rule names) are never operators.
//
// Tokens come from the TokenStore (made by `yardctl tokens create`) or from the
// bootstrap hash file (--admin_token_hash_file, made by deploy/pki/make-pki.sh), which is
// how the first admin gets in.
//
// On an --insecure control plane every caller is an admin named "unauthenticated".
#ifndef SWITCHYARD_CONTROLPLANE_AUTH_AUTHENTICATOR_H_
#define SWITCHYARD_CONTROLPLANE_AUTH_AUTHENTICATOR_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "controlplane/auth/peer_certificate.h"
#include "controlplane/auth/role.h"
#include "controlplane/store/token_store.h"

namespace switchyard::controlplane {

inline constexpr char kTokenPrefix[] = "syt_";

struct Caller {
  std::string name;  // the token's name, the certificate's CN, or "unauthenticated"
  std::string via;   // "token", "certificate" or "insecure"
  Role role = Role::kViewer;
};

// A token from the bootstrap hash file: always an admin.
struct BootstrapToken {
  std::string sha256_hex;
  std::string name;
};

// A new token: kTokenPrefix and 64 random hex digits.
std::string NewToken();
// Lowercase hex SHA-256 of `token`, as stored.
std::string TokenHash(absl::string_view token);

// Reads lines "SHA256HEX NAME" (blank lines and '#' comments skipped). INVALID_ARGUMENT
// naming the file and line for anything else, and when the file is writable by group or
// others (whoever can write it can make themselves admin).
absl::StatusOr<std::vector<BootstrapToken>> LoadTokenHashFile(const std::string& path);

class Authenticator {
 public:
  struct Options {
    bool insecure = false;
    // Certificates this rule names are proxies': never operators.
    std::optional<CertIdentityRule> proxy_identity;
    // Operators who authenticate by client certificate: CN -> role.
    std::map<std::string, Role, std::less<>> cert_roles;
    std::vector<BootstrapToken> bootstrap_tokens;
  };

  // `tokens` may be null (no stored tokens); it must outlive this object.
  Authenticator(Options options, TokenStore* tokens)
      : options_(std::move(options)), tokens_(tokens) {}

  // `authorization`: the request's authorization header, if any; `cert`: its verified
  // client certificate, if any. UNAUTHENTICATED with what to do next, or UNAVAILABLE when
  // the token store cannot be read.
  absl::StatusOr<Caller> Authenticate(std::optional<absl::string_view> authorization,
                                      const std::optional<PeerCertificate>& cert,
                                      absl::Time now) const;

  bool insecure() const { return options_.insecure; }

 private:
  absl::StatusOr<Caller> ByToken(absl::string_view token, absl::Time now) const;
  absl::StatusOr<Caller> ByCertificate(const PeerCertificate& cert) const;

  const Options options_;
  TokenStore* const tokens_;
};

// OK when `caller` holds `needed`; PERMISSION_DENIED naming the caller, the action and the
// role it needs otherwise.
absl::Status Authorize(const Caller& caller, Role needed, absl::string_view action);

// "--cert_roles=alice=admin,ci=operator" -> map. INVALID_ARGUMENT on a bad pair or role.
absl::StatusOr<std::map<std::string, Role, std::less<>>> ParseCertRoles(absl::string_view text);

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_AUTH_AUTHENTICATOR_H_
