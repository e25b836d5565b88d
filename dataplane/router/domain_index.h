// Picks the virtual host for a request's Host header, with the precedence that
// snapshot.proto gives VirtualHost.domains: an exact domain first, then the longest
// matching "*.suffix", then "*". Comparison is case-insensitive and ignores the port.
//
// Lookup costs a few hash probes (one per dot in the host), whatever the number of
// domains, and allocates nothing for hosts up to 255 characters. Built once, then
// read-only: concurrent Find calls are safe.
#ifndef SWITCHYARD_DATAPLANE_ROUTER_DOMAIN_INDEX_H_
#define SWITCHYARD_DATAPLANE_ROUTER_DOMAIN_INDEX_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace switchyard::router {

class DomainIndex {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;

  // Maps `domain` ("*", "*.suffix" or an exact host, any case, no port) to `value`.
  // INVALID_ARGUMENT if the domain, compared case-insensitively, is already mapped.
  absl::Status Add(std::string_view domain, uint32_t value);

  // The value for the Host header `host` (see RequestView::host), or kNotFound.
  uint32_t Find(std::string_view host) const;

 private:
  uint32_t FindLowerCase(std::string_view host) const;

  absl::flat_hash_map<std::string, uint32_t> exact_;
  // "*.example.com" is stored as ".example.com", so that a host's suffix from any of its
  // dots can be looked up directly.
  absl::flat_hash_map<std::string, uint32_t> wildcard_suffixes_;
  uint32_t any_ = kNotFound;
};

// `host` without its port, a trailing dot ("example.com." names the same host) or, for an
// IPv6 literal, anything after the closing bracket: "Example.com:8080" -> "Example.com",
// "[::1]:80" -> "[::1]". A bare IPv6 address (more than one ':', no brackets) is kept
// whole. Case is left alone.
std::string_view HostWithoutPort(std::string_view host);

}  // namespace switchyard::router

#endif  // SWITCHYARD_DATAPLANE_ROUTER_DOMAIN_INDEX_H_
