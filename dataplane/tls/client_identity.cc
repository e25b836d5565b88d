#include "dataplane/tls/client_identity.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "dataplane/http/percent_encode.h"

namespace switchyard::tls {
namespace {

// NOLINTNEXTLINE(google-runtime-int): OpenSSL's CRYPTO_EX_free signature.
void FreeIdentity(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<ClientIdentity*>(ptr);
}

int IdentityIndex() {
  static const int kIndex = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &FreeIdentity);
  return kIndex;
}

std::string Subject(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (bio == nullptr) return {};
  // XN_FLAG_RFC2253 includes ASN1_STRFLGS_ESC_CTRL and _ESC_MSB: no raw control
  // characters or non-ASCII bytes reach a header.
  if (X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    return {};
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return length > 0 ? std::string(data, static_cast<size_t>(length)) : std::string();
}

void AddSans(X509* cert, ClientIdentity& identity) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    std::vector<std::string>* list = nullptr;
    if (name->type == GEN_DNS) list = &identity.dns_names;
    if (name->type == GEN_URI) list = &identity.uris;
    if (list == nullptr || list->size() >= kMaxSansPerKind) continue;
    const ASN1_IA5STRING* value = name->d.ia5;
    const int length = ASN1_STRING_length(value);
    if (length <= 0 || static_cast<size_t>(length) > kMaxSanLength) continue;
    list->emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                       static_cast<size_t>(length));
  }
  GENERAL_NAMES_free(names);
}

std::string Sha256Hex(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &length) != 1) {
    ERR_clear_error();
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size_t{length} * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

void AddList(std::string_view name, const std::vector<std::string>& values,
             http::HeaderMap& headers) {
  if (values.empty()) return;
  std::string joined;
  for (const std::string& value : values) {
    if (!joined.empty()) joined.push_back(',');
    http::AppendPercentEncoded(value, " ,", joined);  // a space or comma cannot split the list
  }
  headers.Add(name, joined);
}

}  // namespace

const ClientIdentity* VerifiedClientIdentity(SSL* ssl) {
  if (ssl == nullptr) return nullptr;
  if (const auto* kept =
          static_cast<const ClientIdentity*>(SSL_get_ex_data(ssl, IdentityIndex()))) {
    return kept;
  }
  X509* cert = SSL_get0_peer_certificate(ssl);
  // A handshake that completed with a certificate verified it (the contexts fail it
  // otherwise); checked again so that a context set up differently cannot pass an
  // unverified identity on.
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return nullptr;
  auto identity = std::make_unique<ClientIdentity>();
  identity->subject = Subject(cert);
  AddSans(cert, *identity);
  identity->sha256 = Sha256Hex(cert);
  ERR_clear_error();
  if (SSL_set_ex_data(ssl, IdentityIndex(), identity.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return identity.release();
}

void SetClientCertificateHeaders(const ClientIdentity* identity, http::HeaderMap& headers) {
  headers.RemoveIf([](const http::HeaderField& field) {
    return std::string_view(field.name).starts_with(kClientCertHeaderPrefix);
  });
  if (identity == nullptr) return;
  headers.Add("x-switchyard-client-cert-subject", identity->subject);
  headers.Add("x-switchyard-client-cert-sha256", identity->sha256);
  AddList("x-switchyard-client-cert-dns", identity->dns_names, headers);
  AddList("x-switchyard-client-cert-uri", identity->uris, headers);
}

}  // namespace switchyard::tls
