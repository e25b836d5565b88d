#include "common/grpc_tls/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace switchyard {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

absl::Status Invalid(const std::string& flag, const std::string& path, absl::string_view what) {
  ERR_clear_error();
  return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", path, ": ", what));
}

absl::StatusOr<BioPtr> OpenFile(const std::string& flag, const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (bio == nullptr) return Invalid(flag, path, "cannot be read");
  return bio;
}

absl::Status CheckCa(const TlsFiles& files) {
  absl::StatusOr<BioPtr> bio = OpenFile(files.ca_flag, files.ca);
  if (!bio.ok()) return bio.status();
  int certificates = 0;
  while (X509Ptr cert{PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr)}) ++certificates;
  if (certificates == 0) return Invalid(files.ca_flag, files.ca, "holds no PEM certificate");
  ERR_clear_error();  // the read past the last certificate
  return absl::OkStatus();
}

absl::Status CheckIdentity(const TlsFiles& files, absl::Time now) {
  absl::StatusOr<BioPtr> cert_bio = OpenFile(files.cert_flag, files.cert);
  if (!cert_bio.ok()) return cert_bio.status();
  X509Ptr cert(PEM_read_bio_X509(cert_bio->get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return Invalid(files.cert_flag, files.cert, "holds no PEM certificate");
  const time_t at = absl::ToTimeT(now);
  if (X509_cmp_time(X509_get0_notAfter(cert.get()), const_cast<time_t*>(&at)) < 0) {
    return Invalid(files.cert_flag, files.cert, "the certificate has expired");
  }
  if (X509_cmp_time(X509_get0_notBefore(cert.get()), const_cast<time_t*>(&at)) > 0) {
    return Invalid(files.cert_flag, files.cert, "the certificate is not valid yet");
  }
  absl::StatusOr<BioPtr> key_bio = OpenFile(files.key_flag, files.key);
  if (!key_bio.ok()) return key_bio.status();
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio->get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return Invalid(files.key_flag, files.key, "holds no unencrypted PEM private key");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return Invalid(files.key_flag, files.key,
                   absl::StrCat("is not the private key of --", files.cert_flag, "=", files.cert));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTlsFiles(const TlsFiles& files, bool require_identity, absl::Time now) {
  if (files.ca.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", files.ca_flag, " is required"));
  }
  if (files.cert.empty() != files.key.empty() || (require_identity && files.cert.empty())) {
    return absl::InvalidArgumentError(absl::StrCat("--", files.cert_flag, " and --", files.key_flag,
                                                   " go together",
                                                   require_identity ? " and are required" : ""));
  }
  if (absl::Status ca = CheckCa(files); !ca.ok()) return ca;
  if (files.cert.empty()) return absl::OkStatus();
  return CheckIdentity(files, now);
}

}  // namespace switchyard
