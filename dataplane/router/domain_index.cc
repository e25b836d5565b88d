#include "dataplane/router/domain_index.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/ascii.h"

namespace switchyard::router {
namespace {

// Hosts up to this length are lower-cased on the stack; a DNS name is at most 253.
constexpr size_t kStackHostLength = 255;

}  // namespace

std::string_view HostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  const size_t colon = host.find(':');
  if (colon != std::string_view::npos) {
    if (host.find(':', colon + 1) != std::string_view::npos) return host;  // bare IPv6
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return host;
}

absl::Status DomainIndex::Add(std::string_view domain, uint32_t value) {
  std::string key(domain);
  LowerInPlace(key);
  bool inserted = false;
  if (key == "*") {
    inserted = any_ == kNotFound;
    if (inserted) any_ = value;
  } else if (key.size() > 2 && key[0] == '*' && key[1] == '.') {
    inserted = wildcard_suffixes_.emplace(key.substr(1), value).second;
  } else {
    inserted = exact_.emplace(key, value).second;
  }
  if (!inserted) {
    return absl::InvalidArgumentError(
        absl::StrCat("domain \"", key, "\" is in more than one virtual host"));
  }
  return absl::OkStatus();
}

uint32_t DomainIndex::Find(std::string_view host) const {
  host = HostWithoutPort(host);
  if (host.size() <= kStackHostLength) {
    char lower[kStackHostLength];
    for (size_t i = 0; i < host.size(); ++i) lower[i] = AsciiToLower(host[i]);
    return FindLowerCase(std::string_view(lower, host.size()));
  }
  // Longer than any DNS name: only a wildcard can match, and such a request is rare
  // enough that a heap copy does not matter.
  std::string lower(host);
  LowerInPlace(lower);
  return FindLowerCase(lower);
}

uint32_t DomainIndex::FindLowerCase(std::string_view host) const {
  if (!exact_.empty()) {
    if (const auto it = exact_.find(ToAbsl(host)); it != exact_.end()) return it->second;
  }
  if (!wildcard_suffixes_.empty()) {
    // Scanning from the left tries the longest suffix first. A dot at position 0 is
    // skipped: "*.example.com" needs at least one label before ".example.com".
    for (size_t i = 1; i < host.size(); ++i) {
      if (host[i] != '.') continue;
      if (const auto it = wildcard_suffixes_.find(ToAbsl(host.substr(i)));
          it != wildcard_suffixes_.end()) {
        return it->second;
      }
    }
  }
  return any_;
}

}  // namespace switchyard::router
