// The verified identity of a TLS client (mTLS towards clients; docs/tls.md, "Client
// certificates"), read from its certificate once per connection, and the
// x-switchyard-client-cert-* headers that pass it upstream.
#ifndef SWITCHYARD_DATAPLANE_TLS_CLIENT_IDENTITY_H_
#define SWITCHYARD_DATAPLANE_TLS_CLIENT_IDENTITY_H_

#include <openssl/ssl.h>

#include <string>
#include <string_view>
#include <vector>

#include "dataplane/http/header_map.h"

namespace switchyard::tls {

// At most this many DNS and URI SANs each are kept, and none longer than
// kMaxSanLength: the headers that carry them must fit a backend's header limits. The rest
// are left out (the certificate still verified; only the copy is bounded).
inline constexpr size_t kMaxSansPerKind = 32;
inline constexpr size_t kMaxSanLength = 1024;

struct ClientIdentity {
  // The subject's distinguished name in RFC 2253 form ("CN=svc,O=Example"); control
  // characters and non-ASCII bytes are escaped as \XX by OpenSSL.
  std::string subject;
  // The subjectAltName DNS and URI entries, in certificate order, bounded as above.
  std::vector<std::string> dns_names;
  std::vector<std::string> uris;
  // SHA-256 of the certificate's DER encoding: 64 lowercase hex digits.
  std::string sha256;
};

// The identity of the client certificate that `ssl` (a server-side connection whose
// handshake completed) verified, or null when the client presented none (or none was
// asked for). Computed at the first call and kept with `ssl` until SSL_free, so every
// request of a connection shares one. Not thread-safe per `ssl`: call on the connection's
// thread.
const ClientIdentity* VerifiedClientIdentity(SSL* ssl);

inline constexpr std::string_view kClientCertHeaderPrefix = "x-switchyard-client-cert-";

// Removes every x-switchyard-client-cert-* header (a client must not be able to claim an
// identity), then, when `identity` is not null, adds x-switchyard-client-cert-subject,
// -sha256, -dns and -uri (the last two comma-separated, and only when not empty). SAN
// bytes outside printable ASCII, and ',' and '%', are percent-encoded, so a value can
// neither split the list nor the header.
void SetClientCertificateHeaders(const ClientIdentity* identity, http::HeaderMap& headers);

}  // namespace switchyard::tls

#endif  // SWITCHYARD_DATAPLANE_TLS_CLIENT_IDENTITY_H_
