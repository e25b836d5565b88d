#include "dataplane/tls/ocsp_staple.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "proto/switchyard/config/certificate_pem.h"

namespace switchyard::tls {
namespace {

// The clock skew allowed on thisUpdate, as OpenSSL's own OCSP client allows by default.
constexpr int64_t kAllowedSkewSeconds = 300;

struct ResponseFree {
  void operator()(OCSP_RESPONSE* r) const { OCSP_RESPONSE_free(r); }
};
struct BasicFree {
  void operator()(OCSP_BASICRESP* b) const { OCSP_BASICRESP_free(b); }
};
struct CertIdFree {
  void operator()(OCSP_CERTID* id) const { OCSP_CERTID_free(id); }
};

// The context's staple lives in its ex_data and is freed with it.
// NOLINTNEXTLINE(google-runtime-int): OpenSSL's CRYPTO_EX_free signature.
void FreeStaple(void*, void* data, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<OcspStaple*>(data);
}
int StapleIndex() {
  static const int kIndex = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &FreeStaple);
  return kIndex;
}

// OpenSSL calls this during a handshake whose client sent status_request, on the context
// SNI chose.
int StapleCallback(SSL* ssl, void*) {
  const auto* staple =
      static_cast<const OcspStaple*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), StapleIndex()));
  if (staple == nullptr || absl::Now() >= staple->next_update) return SSL_TLSEXT_ERR_NOACK;
  // OpenSSL frees the response it is given.
  auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(staple->der.size()));
  if (copy == nullptr) return SSL_TLSEXT_ERR_NOACK;
  std::copy(staple->der.begin(), staple->der.end(), copy);
  // NOLINTNEXTLINE(google-runtime-int): OpenSSL's type
  if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(staple->der.size())) != 1) {
    OPENSSL_free(copy);
    return SSL_TLSEXT_ERR_NOACK;
  }
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

absl::StatusOr<OcspStaple> CheckOcspResponse(std::string der, X509* leaf, X509* issuer,
                                             absl::Time now) {
  if (issuer == nullptr) {
    return absl::InvalidArgumentError(
        "needs the issuer's certificate after the leaf in the chain, to match the response "
        "to the leaf");
  }
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  // NOLINTNEXTLINE(google-runtime-int): OpenSSL's type
  const auto length = static_cast<long>(der.size());
  std::unique_ptr<OCSP_RESPONSE, ResponseFree> response(d2i_OCSP_RESPONSE(nullptr, &in, length));
  if (response == nullptr ||
      in != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return absl::InvalidArgumentError("is not a DER OCSP response");
  }
  const int response_status = OCSP_response_status(response.get());
  if (response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return absl::InvalidArgumentError(absl::StrCat("is an unsuccessful OCSP response (",
                                                   OCSP_response_status_str(response_status), ")"));
  }
  std::unique_ptr<OCSP_BASICRESP, BasicFree> basic(OCSP_response_get1_basic(response.get()));
  std::unique_ptr<OCSP_CERTID, CertIdFree> id(OCSP_cert_to_id(nullptr, leaf, issuer));
  int status = -1;
  int reason = -1;
  ASN1_GENERALIZEDTIME* revoked_at = nullptr;
  ASN1_GENERALIZEDTIME* this_update = nullptr;
  ASN1_GENERALIZEDTIME* next_update = nullptr;
  if (basic == nullptr || id == nullptr ||
      OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked_at, &this_update,
                            &next_update) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "has no status for this certificate (a response for another certificate or issuer?)");
  }
  if (status != V_OCSP_CERTSTATUS_GOOD) {
    return absl::InvalidArgumentError(
        absl::StrCat("says the certificate is ", OCSP_cert_status_str(status), ", not good"));
  }
  const absl::Time this_time = config::ToTime(this_update);
  if (this_time > now + absl::Seconds(kAllowedSkewSeconds)) {
    return absl::InvalidArgumentError(
        absl::StrCat("is not valid yet (thisUpdate ",
                     absl::FormatTime(absl::RFC3339_sec, this_time, absl::UTCTimeZone()), ")"));
  }
  OcspStaple staple;
  if (next_update != nullptr) {
    staple.next_update = config::ToTime(next_update);
    if (staple.next_update <= now) {
      return absl::InvalidArgumentError(
          absl::StrCat("is stale (nextUpdate ",
                       absl::FormatTime(absl::RFC3339_sec, staple.next_update, absl::UTCTimeZone()),
                       "); fetch a new one"));
    }
  }
  staple.der = std::move(der);
  return staple;
}

bool InstallOcspStaple(SSL_CTX* ctx, OcspStaple staple) {
  auto* owned = new OcspStaple(std::move(staple));
  if (SSL_CTX_set_ex_data(ctx, StapleIndex(), owned) != 1) {
    delete owned;
    return false;
  }
  return SSL_CTX_set_tlsext_status_cb(ctx, &StapleCallback) == 1;
}

}  // namespace switchyard::tls
