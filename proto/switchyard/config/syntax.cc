#include "switchyard/config/syntax.h"

#include <arpa/inet.h>

#include <string>

namespace switchyard::config {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsHostNameCharacter(char c) { return IsAlnum(c) || c == '-' || c == '_'; }

std::string Printable(char c) {
  if (c > 0x20 && c < 0x7f) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  const unsigned char u = static_cast<unsigned char>(c);
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

// Dot-separated labels of [A-Za-z0-9_-], each 1..63 characters. Underscores are not DNS
// host name characters but are common in internal service names, and harmless here.
std::string HostNameProblem(std::string_view name) {
  if (name.empty()) return "empty host name";
  if (name.size() > 253) return "host name longer than 253 characters";
  size_t label_start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      const size_t label_length = i - label_start;
      if (label_length == 0) return "empty label";
      if (label_length > 63) return "label longer than 63 characters";
      label_start = i + 1;
    } else if (name[i] == '*') {
      return "'*' is only allowed as \"*\" or as a leading \"*.\"";
    } else if (name[i] == ':') {
      return "must not carry a port";
    } else if (!IsHostNameCharacter(name[i])) {
      return "invalid character " + Printable(name[i]);
    }
  }
  return "";
}

// "[v6]" with a valid IPv6 literal inside.
bool IsBracketedIpv6(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  const std::string inner(s.substr(1, s.size() - 2));
  in6_addr addr{};
  return inet_pton(AF_INET6, inner.c_str(), &addr) == 1;
}

}  // namespace

bool IsNameCharacter(char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-'; }

bool IsHttpToken(std::string_view s) {
  static constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsAlnum(c) && kTokenPunctuation.find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool IsIpLiteral(std::string_view s) {
  // inet_pton needs a terminated string; an embedded NUL must not cut the literal short.
  if (s.empty() || s.size() > 64 || s.find('\0') != std::string_view::npos) return false;
  const std::string text(s);
  in_addr v4{};
  in6_addr v6{};
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

std::string DomainProblem(std::string_view domain) {
  if (domain.empty()) return "must not be empty";
  if (domain.size() > kMaxHostLength) return "longer than 255 characters";
  if (domain == "*") return "";
  if (domain.front() == '[') {
    if (IsBracketedIpv6(domain)) return "";
    if (domain.find("]:") != std::string_view::npos) return "must not carry a port";
    return "invalid bracketed IPv6 literal";
  }
  if (domain.size() >= 2 && domain[0] == '*' && domain[1] == '.') {
    return HostNameProblem(domain.substr(2));
  }
  return HostNameProblem(domain);
}

std::string HostProblem(std::string_view host) {
  if (host.empty()) return "must not be empty";
  if (host.size() > kMaxHostLength + 6) return "longer than 261 characters";
  std::string_view name = host;
  std::string_view port;
  if (host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return "invalid bracketed IPv6 literal";
    name = host.substr(0, close + 1);
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return "unexpected text after the IPv6 literal";
      port = host.substr(close + 2);
      if (port.empty()) return "empty port";
    }
    if (!IsBracketedIpv6(name)) return "invalid bracketed IPv6 literal";
  } else {
    const size_t colon = host.find(':');
    if (colon != std::string_view::npos && host.find(':', colon + 1) != std::string_view::npos) {
      return "an IPv6 literal must be in brackets";
    }
    if (colon != std::string_view::npos) {
      name = host.substr(0, colon);
      port = host.substr(colon + 1);
      if (port.empty()) return "empty port";
    }
    if (name.find('*') != std::string_view::npos) return "must not contain '*'";
    if (std::string problem = HostNameProblem(name); !problem.empty()) return problem;
  }
  if (!port.empty()) {
    if (port.size() > 5) return "port must be 1..65535";
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return "port must be 1..65535";
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value < 1 || value > 65535) return "port must be 1..65535";
  }
  return "";
}

size_t FindNonPathCharacter(std::string_view path) {
  for (size_t i = 0; i < path.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(path[i]);
    if (c <= 0x20 || c == 0x7f || c == '?' || c == '#') return i;
  }
  return std::string_view::npos;
}

}  // namespace switchyard::config
