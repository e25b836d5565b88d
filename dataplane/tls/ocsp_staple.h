// OCSP stapling (RFC 6066 8, "status_request"): a certificate may name a DER OCSP
// response for its leaf (`ocsp_staple_file`, as `openssl ocsp -respout` or a certificate
// manager writes it), which handshakes that ask for one receive, so clients need not ask
// the CA themselves. docs/tls.md, "OCSP stapling".
//
// The proxy checks, when it loads the certificate, that the response is one a client
// would accept for this leaf: it parses, says "successful", has a status for the leaf
// (matched by its CertID against the issuer, which must follow the leaf in the chain),
// that status is "good", and it is current (thisUpdate not ahead of now by more than
// 5 minutes; nextUpdate, when present, not passed). A response that fails is refused like
// a certificate that does not parse. One that goes stale later is simply no longer
// stapled: a stale staple makes a strict client fail the handshake, none makes it ask.
// The signature is the client's to check, against its own trust store.
#ifndef SWITCHYARD_DATAPLANE_TLS_OCSP_STAPLE_H_
#define SWITCHYARD_DATAPLANE_TLS_OCSP_STAPLE_H_

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace switchyard::tls {

// OCSP responses are small (one certificate's status and a signature); a file larger than
// this is not one.
inline constexpr size_t kMaxOcspResponseBytes = size_t{64} * 1024;

struct OcspStaple {
  std::string der;
  // nextUpdate; InfiniteFuture when the response has none.
  absl::Time next_update = absl::InfiniteFuture();
};

// Checks `der` as the response for `leaf`, issued by `issuer`, at `now`. The error says
// what is wrong, without a field name (the caller prefixes it).
absl::StatusOr<OcspStaple> CheckOcspResponse(std::string der, X509* leaf, X509* issuer,
                                             absl::Time now);

// Staples `staple` to `ctx`'s handshakes that ask for a status while it is current. The
// context owns its copy: a handshake that began before a config swap still finds it.
bool InstallOcspStaple(SSL_CTX* ctx, OcspStaple staple);

}  // namespace switchyard::tls

#endif  // SWITCHYARD_DATAPLANE_TLS_OCSP_STAPLE_H_
