// Whole-snapshot validation, the one set of rules that the control plane (before it
// stores a version), the proxy (before it swaps one in) and `yardctl validate` share, so
// they never disagree (README.md, "Concepts").
//
// Every error is one line "<path>: <problem>", where the path names the resource and the
// field, e.g.
//   virtual_hosts[api].routes[users].match.regex: invalid RE2 "(": missing )
//   clusters[backend].endpoints[2].port: must be 1..65535, got 0
// Resources are named by their name when it is valid and not a repeat of an earlier one,
// otherwise by their index; list elements without names (domains, endpoints, header
// matchers, ...) by their index. Values quoted in messages are C-escaped and cut at 64
// bytes.
//
// The rules, beyond what each field's comment in snapshot.proto says:
// - names match [A-Za-z0-9_.-]+, at most 128 characters, unique among virtual hosts,
//   among clusters, and among the routes of one virtual host;
// - a domain is "*", "*.suffix", a host name, an IPv4 literal or "[IPv6]", without port;
//   domains compare case-insensitively and belong to one virtual host only;
// - prefix, path and prefix_rewrite start with "/" and contain no control characters,
//   space, '?' or '#' (a request path never does, so such a route could never match);
// - regexes (path and header) compile with RE2 and are at most 4096 characters;
// - methods are upper-case tokens; header names are tokens;
// - route timeout 0s..1h; cluster connect_timeout, when set, > 0s and <= 60s;
// - endpoint address is an IPv4 or IPv6 literal (inet_pton), port 1..65535, weight
//   0..10000; max_idle_connections <= 10000;
// - certificates (docs/tls.md, "Certificates"): names as above, unique among
//   certificates; at least one domain, each with the virtual host syntax and in one
//   certificate only; at most one default_certificate; either cert_pem and key_pem or
//   cert_file and key_file, never a mix. Files are absolute paths that only the proxy
//   reads. Inline PEM: the chain parses (leaf first, at most kMaxCertificateChainLength
//   certificates), the key parses, is unencrypted and matches the leaf, and each field is
//   at most kMaxCertificatePemBytes (certificate_pem.h); the leaf is within its
//   notBefore..notAfter at `now`, unless the certificate was applied already (see
//   ValidationOptions::previous), so that a certificate that expires later does not
//   block other changes; client_certificates: mode OFF sets nothing else, OPTIONAL and
//   REQUIRED set exactly one of ca_pem (parses, at most kMaxClientCaCertificates
//   certificates) and ca_file (an absolute path, like cert_file);
// - consumers (docs/auth.md): names as above, unique among consumers; groups have the
//   name syntax and appear once per consumer; metadata keys are not empty; api_keys have
//   names as above, unique within their consumer, and a sha256 of exactly 64 lowercase
//   hex digits that no other key of the snapshot has. A sha256 is a secret: messages
//   never quote it. certificate_subjects are not empty and name one consumer each;
// - auth policies: names as above, unique among policies; a credential (api_key, jwt,
//   client_certificate), rules, or both; api_key sets exactly one of header (a token) and
//   query (unreserved URL characters: ALPHA DIGIT - . _ ~); jwt has an issuer, algorithms
//   among RS256, PS256, ES256 and EdDSA, a JWKS that parses (jwks.h), at most one of
//   header and cookie (tokens), a clock_skew of 0 to 600 s, and forward_claims whose
//   headers start with x-switchyard-; each rule sets exactly one of allow and deny; in a
//   condition, consumers name consumers of the snapshot, groups have the name syntax,
//   methods are upper-case tokens, path_prefixes are paths as above, client_ips are IPv4
//   or IPv6 addresses or CIDR ranges with no bits set after the prefix, claims have a
//   name and values (and only in a policy with jwt), client_cert_subjects are not empty.
//   The auth_policy of a virtual host or route names a policy of the snapshot; a route
//   does not set both auth_policy and skip_auth;
// - cors (docs/cors.md): origins are "*" or scheme://host[:port] (a "*." label allowed),
//   "*" never with allow_credentials; methods and headers are tokens; max_age 0..86400 s;
// - the size limits below, so that a hostile or runaway config cannot exhaust the memory
//   or CPU of every proxy it reaches. A list over its limit is reported once and its
//   elements are not checked further.
// Validation stops after kMaxErrors errors, ending the list with a line saying so.
//
// Thread-safe; throws nothing.
#ifndef SWITCHYARD_CONFIG_VALIDATE_H_
#define SWITCHYARD_CONFIG_VALIDATE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::config {

inline constexpr size_t kMaxVirtualHosts = 10'000;
inline constexpr size_t kMaxDomainsPerVirtualHost = 1'000;
inline constexpr size_t kMaxRoutesPerVirtualHost = 100'000;
inline constexpr size_t kMaxRoutesTotal = 1'000'000;
inline constexpr size_t kMaxMethodsPerRoute = 32;
inline constexpr size_t kMaxHeaderMatchersPerRoute = 32;
inline constexpr size_t kMaxWeightedClusters = 100;
inline constexpr size_t kMaxClusters = 100'000;
inline constexpr size_t kMaxEndpointsPerCluster = 10'000;
inline constexpr size_t kMaxPathLength = 4'096;
inline constexpr size_t kMaxRegexLength = 4'096;
inline constexpr size_t kMaxHeaderNameLength = 256;
inline constexpr size_t kMaxHeaderValueLength = 8'192;
inline constexpr size_t kMaxCertificates = 1'000;
inline constexpr size_t kMaxDomainsPerCertificate = 1'000;
inline constexpr size_t kMaxCertificatePathLength = 4'096;
inline constexpr size_t kMaxConsumers = 100'000;
inline constexpr size_t kMaxGroupsPerConsumer = 100;
inline constexpr size_t kMaxApiKeysPerConsumer = 100;
inline constexpr size_t kMaxAuthPolicies = 10'000;
inline constexpr size_t kMaxRulesPerAuthPolicy = 1'000;
// Per list of an AuthCondition (consumers, groups, methods, path_prefixes, client_ips).
inline constexpr size_t kMaxAuthConditionValues = 1'000;
// An ext_authz's context_extensions: entries, and bytes per key or value.
inline constexpr size_t kMaxContextExtensions = 32;
inline constexpr size_t kMaxContextExtensionLength = 1'024;
inline constexpr size_t kMaxErrors = 1'000;

struct ValidationOptions {
  // The snapshot being replaced, when there is one. A certificate whose name, cert_pem and
  // key_pem equal a certificate's here was accepted already: it is not refused for being
  // outside its validity period (it is still parsed and matched). Null: every certificate
  // is checked in full.
  const switchyard::v1::Snapshot* previous = nullptr;
  // False: the validity period is not checked at all, because the caller checks it itself
  // when it loads the certificates (the proxy: tls::CertificateSet::Build, which also
  // covers certificate files).
  bool check_validity_period = true;
  // The time the validity period is judged at; InfinitePast means absl::Now().
  absl::Time now = absl::InfinitePast();
  // True where the snapshot goes to the control plane next (yardctl apply and diff): a
  // key_pem or ApiKey.sha256 of "[redacted]" (what `yardctl get` shows) stands for the
  // stored value, which the control plane puts back and checks, so it is not reported
  // here. False (yardctl validate, the control plane itself, the proxy): it is an error,
  // since nothing else can check it.
  bool redacted_keys_from_server = false;
};

// Every problem found, in snapshot order (virtual hosts with their routes, then clusters,
// certificates, consumers and auth policies); empty when the snapshot is valid.
std::vector<std::string> ValidationErrors(const switchyard::v1::Snapshot& snapshot,
                                          const ValidationOptions& options = {});

// OK, or INVALID_ARGUMENT with ValidationErrors joined by "; ".
absl::Status ValidateSnapshot(const switchyard::v1::Snapshot& snapshot,
                              const ValidationOptions& options = {});

}  // namespace switchyard::config

#endif  // SWITCHYARD_CONFIG_VALIDATE_H_
