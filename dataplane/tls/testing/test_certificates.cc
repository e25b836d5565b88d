#include "dataplane/tls/testing/test_certificates.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace switchyard::tls::testing {
namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "test_certificates: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

void Check(bool ok, const char* what) {
  if (!ok) Die(what);
}

struct Deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(OCSP_BASICRESP* p) const { OCSP_BASICRESP_free(p); }
  void operator()(OCSP_RESPONSE* p) const { OCSP_RESPONSE_free(p); }
  void operator()(OCSP_CERTID* p) const { OCSP_CERTID_free(p); }
  void operator()(ASN1_TIME* p) const { ASN1_TIME_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Deleter>;

Ptr<EVP_PKEY> NewKey() {
  Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "EVP_EC_gen");
  return key;
}

std::string BioString(BIO* bio) {
  char* data = nullptr;
  const auto size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string CertPem(X509* cert) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return BioString(bio.get());
}

std::string KeyPem(EVP_PKEY* key) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return BioString(bio.get());
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  Check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

// Builds and signs a certificate for `key`; self-signed when `issuer` is null.
TestCertificate Make(const CertificateOptions& options, const TestCertificate* issuer) {
  Ptr<EVP_PKEY> key = NewKey();
  Ptr<X509> cert(X509_new());
  Check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);  // v3
  unsigned char serial[16];
  Check(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  Check(bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr,
        "serial");
  BN_free(bn);
  const time_t now = absl::ToTimeT(absl::Now());
  Check(ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                      now + absl::ToInt64Seconds(options.valid_from)) != nullptr,
        "notBefore");
  Check(ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                      now + absl::ToInt64Seconds(options.valid_until)) != nullptr,
        "notAfter");
  X509_NAME* name = X509_get_subject_name(cert.get());
  Check(X509_NAME_add_entry_by_txt(
            name, "CN", MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(options.common_name.c_str()), -1, -1, 0) == 1,
        "subject");
  Check(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");

  Ptr<X509> issuer_cert;
  Ptr<EVP_PKEY> issuer_key;
  if (issuer != nullptr) {
    Ptr<BIO> cert_bio(BIO_new_mem_buf(issuer->cert_pem.data(), issuer->cert_pem.size()));
    issuer_cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
    Ptr<BIO> key_bio(BIO_new_mem_buf(issuer->key_pem.data(), issuer->key_pem.size()));
    issuer_key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    Check(issuer_cert != nullptr && issuer_key != nullptr, "reading the issuer");
    Check(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert.get())) == 1,
          "issuer");
  } else {
    Check(X509_set_issuer_name(cert.get(), name) == 1, "issuer");
  }
  X509* signer = issuer != nullptr ? issuer_cert.get() : cert.get();
  if (options.is_ca) {
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    AddExtension(cert.get(), signer, NID_ext_key_usage,
                 options.client ? "clientAuth" : "serverAuth");
  }
  AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (!options.dns_names.empty() || !options.uris.empty() || !options.ip_addresses.empty()) {
    std::vector<std::string> entries;
    for (const std::string& dns : options.dns_names) entries.push_back("DNS:" + dns);
    for (const std::string& uri : options.uris) entries.push_back("URI:" + uri);
    for (const std::string& ip : options.ip_addresses) entries.push_back("IP:" + ip);
    AddExtension(cert.get(), signer, NID_subject_alt_name, absl::StrJoin(entries, ","));
  }
  EVP_PKEY* signing_key = issuer != nullptr ? issuer_key.get() : key.get();
  Check(X509_sign(cert.get(), signing_key, EVP_sha256()) > 0, "X509_sign");

  TestCertificate out;
  out.cert_pem = CertPem(cert.get());
  out.key_pem = KeyPem(key.get());
  out.chain_pem = issuer != nullptr ? out.cert_pem + issuer->cert_pem : out.cert_pem;
  return out;
}

}  // namespace

TestCertificate SelfSigned(const CertificateOptions& options) { return Make(options, nullptr); }

TestCertificate SelfSignedFor(std::vector<std::string> dns_names) {
  CertificateOptions options;
  options.dns_names = std::move(dns_names);
  return Make(options, nullptr);
}

TestCertificate Expired(std::vector<std::string> dns_names) {
  CertificateOptions options;
  options.dns_names = std::move(dns_names);
  options.valid_from = absl::Hours(-48);
  options.valid_until = absl::Hours(-1);
  return Make(options, nullptr);
}

TestCertificate CertificateAuthority(std::string common_name) {
  CertificateOptions options;
  options.common_name = std::move(common_name);
  options.is_ca = true;
  return Make(options, nullptr);
}

TestCertificate IssueCertificate(const CertificateOptions& options, const TestCertificate& issuer) {
  return Make(options, &issuer);
}

std::string OcspResponse(const TestCertificate& certificate, const TestCertificate& issuer,
                         const OcspOptions& options) {
  const auto read_cert = [](const std::string& pem) {
    Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    Ptr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    Check(cert != nullptr, "reading a certificate");
    return cert;
  };
  Ptr<X509> leaf = read_cert(certificate.cert_pem);
  Ptr<X509> ca = read_cert(issuer.cert_pem);
  Ptr<BIO> key_bio(BIO_new_mem_buf(issuer.key_pem.data(), static_cast<int>(issuer.key_pem.size())));
  Ptr<EVP_PKEY> ca_key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  Check(ca_key != nullptr, "reading the issuer's key");

  Ptr<OCSP_BASICRESP> basic(OCSP_BASICRESP_new());
  // OCSP_basic_add1_status copies the id and the times.
  OCSP_CERTID* id = OCSP_cert_to_id(nullptr, leaf.get(), ca.get());
  Check(basic != nullptr && id != nullptr, "OCSP_cert_to_id");
  const time_t now = absl::ToTimeT(absl::Now());
  Ptr<ASN1_TIME> this_update(
      ASN1_GENERALIZEDTIME_set(nullptr, now + absl::ToInt64Seconds(options.this_update)));
  Ptr<ASN1_TIME> next_update(
      ASN1_GENERALIZEDTIME_set(nullptr, now + absl::ToInt64Seconds(options.next_update)));
  Ptr<ASN1_TIME> revoked_at(ASN1_GENERALIZEDTIME_set(nullptr, now - 3600));
  int status = V_OCSP_CERTSTATUS_GOOD;
  if (options.status == OcspOptions::Status::kRevoked) status = V_OCSP_CERTSTATUS_REVOKED;
  if (options.status == OcspOptions::Status::kUnknown) status = V_OCSP_CERTSTATUS_UNKNOWN;
  Check(OCSP_basic_add1_status(basic.get(), id, status, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
                               status == V_OCSP_CERTSTATUS_REVOKED ? revoked_at.get() : nullptr,
                               this_update.get(), next_update.get()) != nullptr,
        "OCSP_basic_add1_status");
  OCSP_CERTID_free(id);
  Check(OCSP_basic_sign(basic.get(), ca.get(), ca_key.get(), EVP_sha256(), nullptr, 0) == 1,
        "OCSP_basic_sign");
  Ptr<OCSP_RESPONSE> response(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic.get()));
  Check(response != nullptr, "OCSP_response_create");
  unsigned char* der = nullptr;
  const int length = i2d_OCSP_RESPONSE(response.get(), &der);
  Check(length > 0, "i2d_OCSP_RESPONSE");
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return out;
}

absl::Status WriteFile(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(base != nullptr ? base : "/tmp", "/tls_test_XXXXXX");
  Check(mkdtemp(templ.data()) != nullptr, "mkdtemp");
  return templ;
}

}  // namespace switchyard::tls::testing
