#include "dataplane/http/authority.h"

#include <arpa/inet.h>

#include <cstring>

namespace switchyard::http {
namespace {

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsUnreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsSubDelim(char c) { return std::strchr("!$&'()*+,;=", c) != nullptr && c != '\0'; }

// reg-name = *( unreserved / pct-encoded / sub-delims )
bool IsRegName(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (IsUnreserved(c) || IsSubDelim(c)) continue;
    if (c != '%' || i + 2 >= s.size() || !IsHexDigit(s[i + 1]) || !IsHexDigit(s[i + 2])) {
      return false;
    }
    i += 2;
  }
  return true;
}

// The inside of an IP-literal's brackets: IPv6address / IPvFuture.
bool IsIpLiteralBody(std::string_view s) {
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V')) {
    // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
    size_t i = 1;
    while (i < s.size() && IsHexDigit(s[i])) ++i;
    if (i == 1 || i >= s.size() || s[i] != '.' || i + 1 == s.size()) return false;
    for (++i; i < s.size(); ++i) {
      if (!IsUnreserved(s[i]) && !IsSubDelim(s[i]) && s[i] != ':') return false;
    }
    return true;
  }
  char text[INET6_ADDRSTRLEN];
  if (s.empty() || s.size() >= sizeof(text)) return false;
  std::memcpy(text, s.data(), s.size());
  text[s.size()] = '\0';
  in6_addr address;
  return inet_pton(AF_INET6, text, &address) == 1;
}

// port = *DIGIT, and (our rule) at most 65535.
bool IsPort(std::string_view s) {
  unsigned value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 65535) return false;  // also stops overflow on long digit runs
  }
  return true;
}

}  // namespace

bool IsValidHostHeader(std::string_view value) {
  std::string_view host = value;
  std::string_view rest;
  if (!value.empty() && value.front() == '[') {
    const size_t close = value.find(']');
    if (close == std::string_view::npos) return false;
    if (!IsIpLiteralBody(value.substr(1, close - 1))) return false;
    rest = value.substr(close + 1);
  } else {
    const size_t colon = value.find(':');
    if (colon != std::string_view::npos) {
      host = value.substr(0, colon);
      rest = value.substr(colon);
    }
    if (!IsRegName(host)) return false;
  }
  if (rest.empty()) return true;
  return rest.front() == ':' && IsPort(rest.substr(1));
}

}  // namespace switchyard::http
