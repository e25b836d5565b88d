#include "switchyard/config/certificate_pem.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <ctime>

#include "absl/strings/str_cat.h"

namespace switchyard::config {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

// OpenSSL's default asks the terminal for a passphrase; a proxy must never block on that.
int NoPassphrase(char*, int, int, void*) { return 0; }

BioPtr MemoryBio(std::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// OpenSSL's reason for the last error, and the queue emptied: a stale error left on a
// thread's queue would confuse the next SSL_get_error on that thread (a worker's).
std::string TakeOpenSslError() {
  const auto code = ERR_peek_last_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  ERR_clear_error();
  return reason == nullptr ? std::string() : absl::StrCat(" (", reason, ")");
}

// The normal end of a PEM read loop: no further block of the wanted kind.
bool OnlyNoStartLine() {
  const auto code = ERR_peek_last_error();
  return ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE;
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

absl::Time ToTime(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTM(tm, absl::UTCTimeZone());
}

absl::StatusOr<std::vector<X509Ptr>> ParseCertificateChain(std::string_view pem,
                                                           size_t max_certificates) {
  if (pem.size() > kMaxCertificatePemBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be at most ", kMaxCertificatePemBytes, " bytes, got ", pem.size()));
  }
  // PEM_read_bio_X509 skips blocks of other kinds, so a key pasted here would be accepted
  // and then shown unredacted wherever the configuration is shown.
  if (pem.find("PRIVATE KEY-----") != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "holds a private key, which belongs in the key field (this one is not redacted)");
  }
  BioPtr bio = MemoryBio(pem);
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory");
  std::vector<X509Ptr> chain;
  ERR_clear_error();
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
    if (cert == nullptr) break;
    if (chain.size() == max_certificates) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          absl::StrCat("holds more than ", max_certificates, " certificates"));
    }
    chain.push_back(std::move(cert));
  }
  if (!OnlyNoStartLine()) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate ", chain.size() + 1, " does not parse", TakeOpenSslError()));
  }
  ERR_clear_error();
  if (chain.empty()) return absl::InvalidArgumentError("holds no PEM certificate");
  return chain;
}

absl::StatusOr<EvpPkeyPtr> ParsePrivateKey(std::string_view pem) {
  if (pem.size() > kMaxCertificatePemBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be at most ", kMaxCertificatePemBytes, " bytes, got ", pem.size()));
  }
  BioPtr bio = MemoryBio(pem);
  if (bio == nullptr) return absl::ResourceExhaustedError("out of memory");
  ERR_clear_error();
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("holds no unencrypted PEM private key", TakeOpenSslError()));
  }
  ERR_clear_error();
  return key;
}

bool KeyMatchesCertificate(X509* leaf, EVP_PKEY* key) {
  const bool match = X509_check_private_key(leaf, key) == 1;
  ERR_clear_error();  // a mismatch leaves an error on the queue
  return match;
}

absl::Time NotBefore(const X509* cert) { return ToTime(X509_get0_notBefore(cert)); }

absl::Time NotAfter(const X509* cert) { return ToTime(X509_get0_notAfter(cert)); }

std::string ValidityProblem(const X509* cert, absl::Time now) {
  const absl::Time not_after = NotAfter(cert);
  if (now > not_after) return "the certificate expired at " + Rfc3339(not_after);
  const absl::Time not_before = NotBefore(cert);
  if (now < not_before) return "the certificate is not valid before " + Rfc3339(not_before);
  return "";
}

}  // namespace switchyard::config
