#include "dataplane/tls/certificate_set.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/tls/ocsp_staple.h"

namespace switchyard::tls {
namespace {

// Same on every context without client certificates, so a session made under one
// certificate's context may resume under another's after SNI switched it (OpenSSL
// compares it on resumption). Contexts with client certificates get their own
// (ClientSessionIdContext).
constexpr unsigned char kSessionIdContext[] = "switchyard";
// Intermediates a client may send between its certificate and a trust anchor.
constexpr int kMaxClientChainDepth = 10;

// Where each SSL_CTX keeps its ServedCertificate*, and each SSL the set that made it.
int CtxIndex() {
  static const int kIndex = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return kIndex;
}

// NOLINTNEXTLINE(google-runtime-int): OpenSSL's CRYPTO_EX_free signature.
void FreeSetReference(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::shared_ptr<const CertificateSet>*>(ptr);
}

int SslIndex() {
  static const int kIndex = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &FreeSetReference);
  return kIndex;
}

constexpr std::string_view kH2 = "h2";
constexpr std::string_view kHttp11 = "http/1.1";

// Whether the ALPN wire list `in` (length-prefixed names) offers `protocol`; points
// `out` at it inside `in` when it does.
bool Offers(const unsigned char* in, unsigned int in_len, std::string_view protocol,
            const unsigned char** out, unsigned char* out_len) {
  for (unsigned int i = 0; i < in_len;) {
    const unsigned int len = in[i];
    if (i + 1 + len > in_len) return false;  // malformed: OpenSSL checks, but be safe
    if (std::string_view(reinterpret_cast<const char*>(in + i + 1), len) == protocol) {
      *out = in + i + 1;
      *out_len = static_cast<unsigned char>(len);
      return true;
    }
    i += 1 + len;
  }
  return false;
}

int AlpnSelect(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
               unsigned int in_len, void*) {
  if (Offers(in, in_len, kH2, out, out_len) || Offers(in, in_len, kHttp11, out, out_len)) {
    return SSL_TLSEXT_ERR_OK;
  }
  // Neither: carry on without ALPN (HTTP/1.1) rather than fail the handshake, as a client
  // offering only, say, "spdy/3" still speaks HTTP/1.1.
  return SSL_TLSEXT_ERR_NOACK;
}

absl::StatusOr<SslCtxPtr> NewContext() {
  absl::StatusOr<SslCtxPtr> ctx = NewTlsContext(TLS_server_method());
  if (!ctx.ok()) return ctx;
  SSL_CTX* c = ctx->get();
  if (SSL_CTX_set_session_id_context(c, kSessionIdContext, sizeof kSessionIdContext - 1) != 1) {
    return absl::InternalError("configuring an SSL_CTX: " + TakeOpenSslError());
  }
  // Intermediate profile: every offered suite is strong, so the client's order (which
  // knows whether it has AES hardware) decides.
  SSL_CTX_clear_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Stateless tickets only: a server-side cache would be per process and per context, so
  // it would not survive a swap, and it grows with the number of clients.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  // One TLS 1.3 ticket per full handshake rather than OpenSSL's two: a stateless ticket
  // resumes any number of connections, so a second adds nothing but its cost (a session
  // encoded, encrypted and MACed, and a record written).
  SSL_CTX_set_num_tickets(c, 1);
  SSL_CTX_set_alpn_select_cb(c, &AlpnSelect, nullptr);
  return ctx;
}

// SHA-256 over the name, the mode and the trust anchors: a session is resumed only on a
// context that would have verified its client the same way.
bool ClientSessionIdContext(const v1::Certificate& source,
                            const std::vector<config::X509Ptr>& anchors, SSL_CTX* ctx) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const int mode = source.client_certificates().mode();
  bool ok = md != nullptr && EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(md.get(), source.name().data(), source.name().size()) == 1 &&
            EVP_DigestUpdate(md.get(), &mode, sizeof mode) == 1;
  for (const config::X509Ptr& anchor : anchors) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    ok = ok && X509_digest(anchor.get(), EVP_sha256(), digest, &length) == 1 &&
         EVP_DigestUpdate(md.get(), digest, length) == 1;
  }
  unsigned char id[EVP_MAX_MD_SIZE];
  unsigned int id_length = 0;
  ok = ok && EVP_DigestFinal_ex(md.get(), id, &id_length) == 1;
  static_assert(SSL_MAX_SID_CTX_LENGTH == 32);
  return ok && SSL_CTX_set_session_id_context(ctx, id, SSL_MAX_SID_CTX_LENGTH) == 1;
}

// Asks for client certificates on `ctx` as source.client_certificates says; problems are
// appended to `errors`.
void LoadClientCertificates(const v1::Certificate& source, const std::string& path, SSL_CTX* ctx,
                            std::vector<std::string>& errors) {
  const v1::ClientCertificates& client = source.client_certificates();
  if (client.mode() == v1::ClientCertificates::OFF) return;
  const std::string field =
      path + ".client_certificates." + (client.ca_pem().empty() ? "ca_file" : "ca_pem");
  absl::StatusOr<std::vector<config::X509Ptr>> anchors = LoadCertificateAuthorities(
      client.ca_pem(), client.ca_file(), config::kMaxClientCaCertificates, field);
  if (!anchors.ok()) {
    errors.push_back(std::string(anchors.status().message()));
    return;
  }
  if (!TrustAnchors(ctx, *anchors, field, errors)) return;
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  bool loaded = names != nullptr;
  for (size_t i = 0; i < anchors->size() && loaded; ++i) {
    X509* anchor = (*anchors)[i].get();
    // The names go in the CertificateRequest, so a client with several certificates
    // picks one these anchors issued.
    X509_NAME* name = X509_NAME_dup(X509_get_subject_name(anchor));
    if (name == nullptr || sk_X509_NAME_push(names, name) <= 0) {
      X509_NAME_free(name);
      loaded = false;
    }
  }
  if (loaded) {
    SSL_CTX_set_client_CA_list(ctx, names);  // takes `names`
    names = nullptr;
    const bool required = client.mode() == v1::ClientCertificates::REQUIRED;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (required ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                       nullptr);
    SSL_CTX_set_verify_depth(ctx, kMaxClientChainDepth);
    loaded = ClientSessionIdContext(source, *anchors, ctx);
  }
  if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
  if (!loaded) {
    errors.push_back(
        absl::StrCat(field, ": cannot ask clients for certificates: ", TakeOpenSslError()));
  }
}

// Staples the OCSP response in `file` to `ctx`'s handshakes; problems are appended to
// `errors`.
void LoadOcspStaple(const std::string& file, const std::string& field, X509* leaf, X509* issuer,
                    absl::Time now, SSL_CTX* ctx, std::vector<std::string>& errors) {
  absl::StatusOr<std::string> der = ReadPemFile(file, kMaxOcspResponseBytes);
  if (!der.ok()) {
    errors.push_back(absl::StrCat(field, ": ", der.status().message()));
    return;
  }
  absl::StatusOr<OcspStaple> staple = CheckOcspResponse(*std::move(der), leaf, issuer, now);
  if (!staple.ok()) {
    errors.push_back(absl::StrCat(field, ": ", staple.status().message(), " (", file, ")"));
  } else if (!InstallOcspStaple(ctx, *std::move(staple))) {
    errors.push_back(absl::StrCat(field, ": cannot staple it: ", TakeOpenSslError()));
  }
}

// Loads one certificate into `out`; problems are appended to `errors`.
void Load(const v1::Certificate& source, const std::string& path,
          const CertificateSet::BuildOptions& options, absl::Time now, TicketKeys& ticket_keys,
          ServedCertificate& out, std::vector<std::string>& errors) {
  std::optional<KeyPair> pair = LoadKeyPair({.cert_pem = source.cert_pem(),
                                             .key_pem = source.key_pem(),
                                             .cert_file = source.cert_file(),
                                             .key_file = source.key_file(),
                                             .field = path + "."},
                                            errors);
  if (!pair.has_value()) return;
  X509* leaf = pair->chain.front().get();
  if (const std::string problem = config::ValidityProblem(leaf, now); !problem.empty()) {
    bool applied =
        options.served_before || (options.inline_dates_judged && source.cert_file().empty());
    if (!applied && options.previous != nullptr) {
      for (const auto& previous : options.previous->certificates()) {
        if (previous->name == source.name() && X509_cmp(previous->leaf.get(), leaf) == 0) {
          applied = true;
          break;
        }
      }
    }
    if (!applied) {
      errors.push_back(absl::StrCat(pair->cert_field, ": ", problem, pair->cert_where));
      return;
    }
  }

  absl::StatusOr<SslCtxPtr> ctx = NewContext();
  if (!ctx.ok()) {
    errors.push_back(absl::StrCat(path, ": ", ctx.status().message()));
    return;
  }
  SSL_CTX* c = ctx->get();
  // E.g. a key OpenSSL's security level refuses (RSA under 2048 bits).
  if (!UseKeyPair(c, *pair, errors)) return;
  const size_t errors_before = errors.size();
  LoadClientCertificates(source, path, c, errors);
  if (!source.ocsp_staple_file().empty()) {
    X509* issuer = pair->chain.size() > 1 ? pair->chain[1].get() : nullptr;
    LoadOcspStaple(source.ocsp_staple_file(), path + ".ocsp_staple_file", leaf, issuer, now, c,
                   errors);
  }
  if (errors.size() != errors_before) return;
  ticket_keys.InstallOn(c);
  out.name = source.name();
  out.client_mode = source.client_certificates().mode();
  out.forward_client_identity = source.client_certificates().forward_identity();
  out.domains.assign(source.domains().begin(), source.domains().end());
  out.not_before = config::NotBefore(leaf);
  out.not_after = config::NotAfter(leaf);
  out.leaf = std::move(pair->chain.front());
  out.ctx = *std::move(ctx);
}

}  // namespace

bool ServedCertificate::Covers(std::string_view host) const {
  return index.Find(host) != router::DomainIndex::kNotFound;
}

absl::StatusOr<std::shared_ptr<const CertificateSet>> CertificateSet::Build(
    const google::protobuf::RepeatedPtrField<v1::Certificate>& certificates,
    const BuildOptions& options) {
  std::shared_ptr<CertificateSet> set(new CertificateSet());
  const absl::Time now = options.now == absl::InfinitePast() ? absl::Now() : options.now;
  TicketKeys& ticket_keys =
      options.ticket_keys != nullptr ? *options.ticket_keys : TicketKeys::Process();
  std::vector<std::string> errors;
  for (int i = 0; i < certificates.size(); ++i) {
    const v1::Certificate& source = certificates[i];
    const std::string path = absl::StrCat(
        "certificates[", source.name().empty() ? std::to_string(i) : source.name(), "]");
    auto served = std::make_unique<ServedCertificate>();
    Load(source, path, options, now, ticket_keys, *served, errors);
    if (served->ctx == nullptr) continue;
    const int index = static_cast<int>(set->certificates_.size());
    for (const std::string& domain : served->domains) {
      // Validation refuses a domain in two certificates; this stays safe without it.
      if (!set->domains_.Add(domain, static_cast<uint32_t>(index)).ok()) {
        errors.push_back(absl::StrCat(path, ".domains: \"", domain,
                                      "\" is a domain of another certificate too"));
      }
      (void)served->index.Add(domain, 0);  // a repeat within one certificate is harmless
    }
    served->is_default = source.default_certificate();
    SSL_CTX_set_ex_data(served->ctx.get(), CtxIndex(), served.get());
    SSL_CTX_set_client_hello_cb(served->ctx.get(), &CertificateSet::ClientHelloCallback, nullptr);
    SSL_CTX_set_tlsext_servername_callback(served->ctx.get(), &CertificateSet::ServerNameCallback);
    set->certificates_.push_back(std::move(served));
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  for (const auto& served : set->certificates_) {
    if (served->is_default) {
      if (set->default_ != nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("certificates[", served->name,
                         "].default_certificate: ", "only one certificate may be the default"));
      }
      set->default_ = served.get();
    }
  }
  if (set->default_ == nullptr && !set->certificates_.empty()) {
    set->default_ = set->certificates_.front().get();
    set->certificates_.front()->is_default = true;
  }
  return std::shared_ptr<const CertificateSet>(std::move(set));
}

CertificateSet::~CertificateSet() = default;

SSL* CertificateSet::NewSsl() const {
  if (default_ == nullptr) return nullptr;
  SslPtr ssl(SSL_new(default_->ctx.get()));
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  auto* self = new std::shared_ptr<const CertificateSet>(shared_from_this());
  if (SSL_set_ex_data(ssl.get(), SslIndex(), self) != 1) {
    delete self;
    ERR_clear_error();
    return nullptr;
  }
  SSL_set_accept_state(ssl.get());
  return ssl.release();
}

const ServedCertificate* CertificateSet::Chosen(const SSL* ssl) {
  const SSL_CTX* ctx = SSL_get_SSL_CTX(ssl);
  if (ctx == nullptr) return nullptr;
  return static_cast<const ServedCertificate*>(SSL_CTX_get_ex_data(ctx, CtxIndex()));
}

int CertificateSet::FindIndex(std::string_view host) const {
  const uint32_t index = domains_.Find(host);
  return index == router::DomainIndex::kNotFound ? -1 : static_cast<int>(index);
}

const ServedCertificate* CertificateSet::Find(std::string_view host) const {
  const int index = FindIndex(host);
  return index < 0 ? default_ : certificates_[index].get();
}

bool CertificateSet::AnyCovers(std::string_view host) const { return FindIndex(host) >= 0; }

std::string_view CertificateSet::ServerName(SSL* ssl) {
  const unsigned char* data = nullptr;
  size_t length = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &data, &length) != 1 || length < 2 ||
      (size_t{data[0]} << 8 | data[1]) != length - 2) {
    return {};
  }
  // ServerNameList: entries of a 1-byte type, a 2-byte length and the name (RFC 6066 3).
  for (size_t at = 2; at + 3 <= length;) {
    const uint8_t type = data[at];
    const size_t size = size_t{data[at + 1]} << 8 | data[at + 2];
    at += 3;
    if (size > length - at) return {};
    if (type == TLSEXT_NAMETYPE_host_name) {
      return {reinterpret_cast<const char*>(data + at), size};
    }
    at += size;
  }
  return {};
}

int CertificateSet::ClientHelloCallback(SSL* ssl, int* alert, void*) {
  const auto* set =
      static_cast<const std::shared_ptr<const CertificateSet>*>(SSL_get_ex_data(ssl, SslIndex()));
  if (set == nullptr || *set == nullptr) return SSL_CLIENT_HELLO_SUCCESS;
  // Chosen here, before OpenSSL looks at a session to resume, and not in the servername
  // callback, which runs after: a session is resumed only if it was made under the
  // session id context of the certificate the name leads to, so a session from a
  // certificate without client certificates can never skip the client's authentication
  // on one that requires it.
  const std::string_view name = ServerName(ssl);
  const ServedCertificate* chosen = name.empty() ? (*set)->default_ : (*set)->Find(name);
  if (chosen == nullptr || SSL_get_SSL_CTX(ssl) == chosen->ctx.get()) {
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  SSL_CTX* ctx = chosen->ctx.get();
  if (SSL_set_SSL_CTX(ssl, ctx) == nullptr) {
    ERR_clear_error();
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  // SSL_set_SSL_CTX switches the certificate, the CA names, the trust store and the
  // session id context, but the connection keeps the verify mode it was made with (the
  // default certificate's): without this, SNI could lead to a certificate that requires
  // client certificates and skip asking for one.
  SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), SSL_CTX_get_verify_callback(ctx));
  SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(ctx));
  return SSL_CLIENT_HELLO_SUCCESS;
}

int CertificateSet::ServerNameCallback(SSL*, int*, void*) {
  // The certificate was chosen by ClientHelloCallback; this only acknowledges the name
  // (OK rather than NOACK: an unknown name gets the default, not a failed handshake).
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace switchyard::tls
