// Reading the key material of a snapshot for OpenSSL contexts, server side (certificates
// towards clients, dataplane/tls/certificate_set.h) and client side (TLS towards
// upstream endpoints, dataplane/tls/upstream_tls.h): a certificate chain with its key and a
// set of CA certificates, each inline PEM or a file on the proxy's host. Problems come back
// as one message that names the field and, for a file, the file.
//
// Also the TLS settings both sides share. Thread-safe; throws nothing.
#ifndef SWITCHYARD_DATAPLANE_TLS_KEY_MATERIAL_H_
#define SWITCHYARD_DATAPLANE_TLS_KEY_MATERIAL_H_

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "switchyard/config/certificate_pem.h"

namespace switchyard::tls {

// Mozilla's "intermediate" profile (v5.7) for TLS 1.2, ECDHE only: every suite is an AEAD
// with forward secrecy, which HTTP/2 requires too (RFC 9113, 9.2.2). TLS 1.3 keeps
// OpenSSL's default suites, which are the profile's.
inline constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
inline constexpr char kGroups[] = "X25519:prime256v1:secp384r1";

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

// OpenSSL's reason for the last failure on this thread ("unknown error" if none); clears
// the thread's error queue.
std::string TakeOpenSslError();

// The contents of `path`; INVALID_ARGUMENT when it cannot be read or is over `max_bytes`.
absl::StatusOr<std::string> ReadPemFile(const std::string& path,
                                        size_t max_bytes = config::kMaxCertificatePemBytes);

// A new context for `method` (TLS_server_method or TLS_client_method) with the settings
// both sides share: TLS 1.2 and 1.3 only, the intermediate profile's suites and groups, no
// renegotiation or compression, and SSL_MODE_RELEASE_BUFFERS, ENABLE_PARTIAL_WRITE and
// ACCEPT_MOVING_WRITE_BUFFER for the non-blocking I/O layer (dataplane/io/tls_layer.h).
absl::StatusOr<SslCtxPtr> NewTlsContext(const SSL_METHOD* method);

// Where a key pair comes from: either cert_pem with key_pem, or cert_file with key_file
// (validation made sure of that). `field` is the resource path plus the fields' common
// prefix, e.g. "certificates[api]." or "clusters[b].tls.client_", to which "cert_pem",
// "key_file" and so on are appended in messages.
struct KeyPairSource {
  std::string_view cert_pem;
  std::string_view key_pem;
  const std::string& cert_file;
  const std::string& key_file;
  std::string field;
};

struct KeyPair {
  std::vector<config::X509Ptr> chain;  // leaf first
  config::EvpPkeyPtr key;
  // For later messages about the chain: the field ("certificates[api].cert_file") and,
  // for a file, " (/path/to/file)".
  std::string cert_field;
  std::string cert_where;
};

// Reads, parses and matches a chain and its key. Problems are appended to `errors` (nullopt
// then). The private key's PEM copy is wiped once parsed.
std::optional<KeyPair> LoadKeyPair(const KeyPairSource& source, std::vector<std::string>& errors);

// Installs `pair` as the certificate `ctx` presents. False, with the problem appended to
// `errors`, when OpenSSL refuses it (e.g. a key under its security level).
bool UseKeyPair(SSL_CTX* ctx, const KeyPair& pair, std::vector<std::string>& errors);

// The CA certificates of `pem`, or of the file `file` when `pem` is empty, at most
// `max_certificates` (a file at most 4 KiB per certificate, and at least 64 KiB). INVALID_ARGUMENT
// naming `field` (and the file) otherwise.
absl::StatusOr<std::vector<config::X509Ptr>> LoadCertificateAuthorities(std::string_view pem,
                                                                        const std::string& file,
                                                                        size_t max_certificates,
                                                                        const std::string& field);

// Adds `anchors` to `ctx`'s trust store. False (OpenSSL's reason appended to `errors`,
// prefixed by `field`) when it refuses.
bool TrustAnchors(SSL_CTX* ctx, const std::vector<config::X509Ptr>& anchors,
                  const std::string& field, std::vector<std::string>& errors);

}  // namespace switchyard::tls

#endif  // SWITCHYARD_DATAPLANE_TLS_KEY_MATERIAL_H_
