// Validity of a Host header value.
//
// RFC 9112 section 3.2 requires a 400 for a Host that is not a valid `uri-host [":" port]`
// (RFC 3986 section 3.2): a Host such as "a b", "acl.test/x" or "evil.com@acl.test" would
// otherwise be routed by one reading and forwarded for the backend to read another way.
#ifndef SWITCHYARD_DATAPLANE_HTTP_AUTHORITY_H_
#define SWITCHYARD_DATAPLANE_HTTP_AUTHORITY_H_

#include <string_view>

namespace switchyard::http {

// True if `value` is `uri-host [":" port]`, where uri-host is one of
//  - an IP-literal: "[" IPv6address "]" or "[v" HEXDIG+ "." (unreserved / sub-delims / ":")+ "]",
//  - a reg-name: unreserved characters, sub-delims and well-formed %XX escapes (which
//    covers IPv4 addresses and DNS names; it may be empty, as RFC 9112 allows an empty
//    Host when the target has no authority),
// and port is digits only (it may be empty, as RFC 3986 allows) whose value is at most
// 65535: our rule, stricter than RFC 3986, which puts no bound on it. `value` is the field
// value without surrounding whitespace. Pure and allocation-free.
bool IsValidHostHeader(std::string_view value);

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_AUTHORITY_H_
