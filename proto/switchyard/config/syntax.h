// Lexical rules for the strings in a snapshot: resource names, domains, hosts, HTTP
// tokens, paths, address literals. Pure functions; validate.cc turns their answers into
// messages with a resource path.
//
// Internal to //proto/switchyard/config.
#ifndef SWITCHYARD_CONFIG_SYNTAX_H_
#define SWITCHYARD_CONFIG_SYNTAX_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace switchyard::config {

inline constexpr size_t kMaxNameLength = 128;
// A DNS name is at most 253 characters; "*." and a bracketed IPv6 literal fit too.
inline constexpr size_t kMaxHostLength = 255;

// [A-Za-z0-9_.-]+: safe in logs, metrics labels, URLs and error paths without quoting.
bool IsNameCharacter(char c);

// An RFC 9110 token (tchar+), e.g. a header field name or a method.
bool IsHttpToken(std::string_view s);

// An IPv4 ("10.0.0.1") or IPv6 ("::1", no brackets) address literal, as inet_pton reads.
bool IsIpLiteral(std::string_view s);

// The problem with a VirtualHost domain, or "" when it is valid. Valid: "*", "*.suffix",
// a host name (labels of letters, digits, '-' and '_'), an IPv4 literal, or a bracketed
// IPv6 literal ("[::1]"). No port: ports are ignored when matching.
std::string DomainProblem(std::string_view domain);

// The problem with a Host header value to send upstream (RouteAction.host_rewrite), or ""
// when valid: a host name, an IPv4 literal or a bracketed IPv6 literal, optionally
// followed by ":port" with port 1..65535.
std::string HostProblem(std::string_view host);

// The offset of the first character that a request path (query excluded) never contains:
// controls, space, DEL, '?' and '#'. npos if there is none.
size_t FindNonPathCharacter(std::string_view path);

}  // namespace switchyard::config

#endif  // SWITCHYARD_CONFIG_SYNTAX_H_
