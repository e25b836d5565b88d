// Certificates made on the fly for tests, with OpenSSL's C API: EC P-256 keys, chosen
// DNS names and validity, self-signed or issued by a test CA. Nothing is read from disk,
// so tests need no fixture files that expire.
//
// Test-only: failures abort with a message (they would mean OpenSSL itself is broken).
#ifndef SWITCHYARD_DATAPLANE_TLS_TESTING_TEST_CERTIFICATES_H_
#define SWITCHYARD_DATAPLANE_TLS_TESTING_TEST_CERTIFICATES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace switchyard::tls::testing {

struct CertificateOptions {
  // Subject common name; also the issuer name of certificates this one signs.
  std::string common_name = "switchyard test";
  // subjectAltName DNS entries ("api.example.com", "*.example.com") and URI entries
  // ("spiffe://example.org/svc").
  std::vector<std::string> dns_names;
  std::vector<std::string> uris;
  // subjectAltName IP entries ("127.0.0.1", "::1").
  std::vector<std::string> ip_addresses;
  // Relative to the time of the call: valid from an hour ago for a day by default.
  absl::Duration valid_from = absl::Hours(-1);
  absl::Duration valid_until = absl::Hours(24);
  // basicConstraints CA:TRUE and keyCertSign: can sign other test certificates.
  bool is_ca = false;
  // extendedKeyUsage clientAuth (a client certificate for mTLS) instead of serverAuth.
  bool client = false;
};

struct TestCertificate {
  // The certificate alone, PEM.
  std::string cert_pem;
  // Its unencrypted PKCS#8 private key, PEM.
  std::string key_pem;
  // The chain a server sends: cert_pem followed by the issuer's cert_pem (for a
  // certificate from IssueCertificate), or cert_pem alone (self-signed).
  std::string chain_pem;
};

// A self-signed certificate.
TestCertificate SelfSigned(const CertificateOptions& options);
// Shorthand: self-signed for `dns_names`, valid now.
TestCertificate SelfSignedFor(std::vector<std::string> dns_names);
// Self-signed for `dns_names`, expired an hour ago.
TestCertificate Expired(std::vector<std::string> dns_names);

// A CA certificate (self-signed, is_ca forced on).
TestCertificate CertificateAuthority(std::string common_name = "switchyard test CA");
// A certificate signed by `issuer` (a CertificateAuthority); chain_pem is leaf + issuer.
TestCertificate IssueCertificate(const CertificateOptions& options, const TestCertificate& issuer);

struct OcspOptions {
  // What the response says of the certificate.
  enum class Status { kGood, kRevoked, kUnknown } status = Status::kGood;
  // thisUpdate and nextUpdate, relative to the time of the call.
  absl::Duration this_update = absl::Minutes(-1);
  absl::Duration next_update = absl::Hours(1);
};

// A DER OCSP response for `certificate`, signed by its `issuer` (a CertificateAuthority)
// as the CA's own responder, as a CA would serve it and `openssl ocsp -respout` saves it.
std::string OcspResponse(const TestCertificate& certificate, const TestCertificate& issuer,
                         const OcspOptions& options = {});

// Writes `contents` to `path` (replacing it); for cert_file / key_file tests.
absl::Status WriteFile(const std::string& path, std::string_view contents);

// A fresh directory under the test's TEST_TMPDIR (or /tmp), for files above.
std::string MakeTempDir();

}  // namespace switchyard::tls::testing

#endif  // SWITCHYARD_DATAPLANE_TLS_TESTING_TEST_CERTIFICATES_H_
