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
inline constexpr size_t kMaxErrors = 1'000;

// Every problem found, in snapshot order (virtual hosts with their routes, then
// clusters); empty when the snapshot is valid.
std::vector<std::string> ValidationErrors(const switchyard::v1::Snapshot& snapshot);

// OK, or INVALID_ARGUMENT with ValidationErrors joined by "; ".
absl::Status ValidateSnapshot(const switchyard::v1::Snapshot& snapshot);

}  // namespace switchyard::config

#endif  // SWITCHYARD_CONFIG_VALIDATE_H_
