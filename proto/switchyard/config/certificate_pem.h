// Parsing of the PEM in a snapshot's certificates (switchyard.v1.Certificate): the one
// reading that validation (validate.h) and the proxy's TLS contexts (dataplane/tls) share,
// so that what validation accepts is what the proxy can load.
//
// Functions return problems without a resource path; callers add it. Thread-safe; throws
// nothing; never prompts for a passphrase (an encrypted key is refused).
#ifndef SWITCHYARD_CONFIG_CERTIFICATE_PEM_H_
#define SWITCHYARD_CONFIG_CERTIFICATE_PEM_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace switchyard::config {

// Bounds one PEM field (cert_pem, key_pem, or a file the proxy reads): a chain of 10
// RSA-4096 certificates is about 20 KiB.
inline constexpr size_t kMaxCertificatePemBytes = size_t{64} * 1024;
// Leaf plus intermediates; real chains have 2 or 3.
inline constexpr size_t kMaxCertificateChainLength = 10;
// Trust anchors for client certificates (ClientCertificates.ca_pem / ca_file).
inline constexpr size_t kMaxClientCaCertificates = 100;

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// The certificates of `pem`, in order (leaf first): at least one, at most
// `max_certificates`, each a well-formed "CERTIFICATE" block; text between blocks is
// ignored, as OpenSSL does. INVALID_ARGUMENT with the problem otherwise.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificateChain(
    std::string_view pem, size_t max_certificates = kMaxCertificateChainLength);

// The first private key of `pem` (PKCS#8, or traditional RSA/EC), unencrypted.
// INVALID_ARGUMENT with the problem otherwise.
absl::StatusOr<EvpPkeyPtr> ParsePrivateKey(std::string_view pem);

// Whether `key` is the private key of `leaf`'s public key.
bool KeyMatchesCertificate(X509* leaf, EVP_PKEY* key);

// An ASN.1 time (a certificate's validity bounds, an OCSP response's thisUpdate) as
// absl::Time; InfinitePast when it is missing or does not parse.
absl::Time ToTime(const ASN1_TIME* t);

absl::Time NotBefore(const X509* cert);
absl::Time NotAfter(const X509* cert);

// "" when `now` is within the certificate's notBefore..notAfter, else the problem
// ("expired at 2024-01-01T00:00:00Z", "not valid before ...").
std::string ValidityProblem(const X509* cert, absl::Time now);

}  // namespace switchyard::config

#endif  // SWITCHYARD_CONFIG_CERTIFICATE_PEM_H_
