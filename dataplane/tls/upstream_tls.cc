#include "dataplane/tls/upstream_tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "dataplane/tls/client_sessions.h"

namespace switchyard::tls {
namespace {

// ALPN wire format: the one protocol a connection speaks.
constexpr unsigned char kAlpnHttp11[] = "\x08http/1.1";
constexpr unsigned char kAlpnH2[] = "\x02h2";
// Intermediates an endpoint may send between its certificate and a trust anchor.
constexpr int kMaxChainDepth = 10;
// A CA bundle file (ca_file) may be a whole system bundle: more anchors than inline PEM.
constexpr size_t kMaxCaFileCertificates = 1000;
constexpr int64_t kFailureLogIntervalSeconds = 10;

// SHA-256 of the settings, hex: stable for equal settings within the process.
std::string Fingerprint(const v1::UpstreamTls& tls) {
  std::string bytes;
  tls.SerializeToString(&bytes);  // deterministic enough: one binary, no maps or unknowns
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    ERR_clear_error();
    return bytes;  // still equal exactly when the settings are
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace

absl::StatusOr<std::unique_ptr<const UpstreamTlsContext>> UpstreamTlsContext::Build(
    const v1::UpstreamTls& tls, const std::string& path) {
  absl::StatusOr<SslCtxPtr> ctx = NewTlsContext(TLS_client_method());
  if (!ctx.ok()) return absl::InternalError(absl::StrCat(path, ": ", ctx.status().message()));
  SSL_CTX* c = ctx->get();
  std::vector<std::string> errors;
  if (SSL_CTX_set_alpn_protos(c, kAlpnHttp11, sizeof kAlpnHttp11 - 1) != 0) {
    errors.push_back(absl::StrCat(path, ": cannot set ALPN: ", TakeOpenSslError()));
  }
  std::unique_ptr<UpstreamTlsContext> context(new UpstreamTlsContext());
  context->verify_ = !tls.insecure_skip_verify();
  if (!context->verify_) {
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
    LogWarning(
        "%s.insecure_skip_verify is set: the certificates of its endpoints are not verified, "
        "so anyone on the path can impersonate them",
        path.c_str());
  } else {
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_verify_depth(c, kMaxChainDepth);
    if (tls.ca_pem().empty() && tls.ca_file().empty()) {
      if (SSL_CTX_set_default_verify_paths(c) != 1) {
        errors.push_back(
            absl::StrCat(path, ": cannot load the system trust store: ", TakeOpenSslError()));
      }
    } else {
      const std::string field = path + (tls.ca_pem().empty() ? ".ca_file" : ".ca_pem");
      absl::StatusOr<std::vector<config::X509Ptr>> anchors = LoadCertificateAuthorities(
          tls.ca_pem(), tls.ca_file(),
          tls.ca_pem().empty() ? kMaxCaFileCertificates : config::kMaxClientCaCertificates, field);
      if (anchors.ok()) {
        TrustAnchors(c, *anchors, field, errors);
      } else {
        errors.push_back(std::string(anchors.status().message()));
      }
    }
  }
  const bool client_certificate = !tls.client_cert_pem().empty() || !tls.client_cert_file().empty();
  if (client_certificate) {
    std::optional<KeyPair> pair = LoadKeyPair({.cert_pem = tls.client_cert_pem(),
                                               .key_pem = tls.client_key_pem(),
                                               .cert_file = tls.client_cert_file(),
                                               .key_file = tls.client_key_file(),
                                               .field = path + ".client_"},
                                              errors);
    if (pair.has_value()) UseKeyPair(c, *pair, errors);
  }
  if (!KeepClientSessions(c)) {
    errors.push_back(absl::StrCat(path, ": cannot keep sessions: ", TakeOpenSslError()));
  }
  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  context->ctx_ = *std::move(ctx);
  context->server_name_ = tls.server_name();
  context->fingerprint_ = Fingerprint(tls);
  return std::unique_ptr<const UpstreamTlsContext>(std::move(context));
}

SSL* UpstreamTlsContext::NewSsl(const boost::asio::ip::address& address, bool http2) const {
  SslPtr ssl(SSL_new(ctx_.get()));
  if (ssl == nullptr) {
    ERR_clear_error();
    return nullptr;
  }
  bool ok = !http2 || SSL_set_alpn_protos(ssl.get(), kAlpnH2, sizeof kAlpnH2 - 1) == 0;
  if (!server_name_.empty()) {
    ok = ok && SSL_set_tlsext_host_name(ssl.get(), server_name_.c_str()) == 1;
    // Exact name or a wildcard covering one label; no partial-label wildcards ("a*.b").
    SSL_set_hostflags(ssl.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    ok = ok && (!verify_ || SSL_set1_host(ssl.get(), server_name_.c_str()) == 1);
  } else if (verify_) {
    const std::string ip = address.to_string();
    ok = ok && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), ip.c_str()) == 1;
  }
  if (!ok) {
    ERR_clear_error();
    return nullptr;
  }
  // Sessions per address and protocol: one negotiated with ALPN h2 is not offered to an
  // HTTP/1.1 connection.
  ResumeClientSession(ssl.get(), absl::StrCat(address.to_string(), http2 ? " h2" : " http/1.1"));
  SSL_set_connect_state(ssl.get());
  return ssl.release();
}

bool UpstreamTlsContext::ShouldLogFailure(int64_t now_seconds) const {
  int64_t last = last_failure_log_.load(std::memory_order_relaxed);
  if (last != INT64_MIN && now_seconds - last < kFailureLogIntervalSeconds) return false;
  return last_failure_log_.compare_exchange_strong(last, now_seconds, std::memory_order_relaxed);
}

}  // namespace switchyard::tls
