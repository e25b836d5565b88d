#include "dataplane/tls/key_material.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace switchyard::tls {

std::string TakeOpenSslError() {
  const auto code = ERR_peek_last_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  ERR_clear_error();
  return reason == nullptr ? "unknown error" : reason;
}

absl::StatusOr<std::string> ReadPemFile(const std::string& path, size_t max_bytes) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path, ": ", strerror(errno)));
  }
  std::string contents(max_bytes + 1, '\0');
  const size_t got = std::fread(contents.data(), 1, contents.size(), file);
  const bool failed = std::ferror(file) != 0;
  const int error = errno;
  std::fclose(file);
  if (failed) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path, ": ", strerror(error)));
  }
  if (got > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
  }
  contents.resize(got);
  return contents;
}

absl::StatusOr<SslCtxPtr> NewTlsContext(const SSL_METHOD* method) {
  SslCtxPtr ctx(SSL_CTX_new(method));
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new: " + TakeOpenSslError());
  SSL_CTX* c = ctx.get();
  if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1 || SSL_CTX_set1_groups_list(c, kGroups) != 1) {
    return absl::InternalError("configuring an SSL_CTX: " + TakeOpenSslError());
  }
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // One read(2) takes whatever the socket holds (up to a record buffer), not a record's
  // 5-byte header and then its body: half the system calls, and TlsLayer takes the
  // records that came along without more.
  SSL_CTX_set_read_ahead(c, 1);
  return ctx;
}

std::optional<KeyPair> LoadKeyPair(const KeyPairSource& source, std::vector<std::string>& errors) {
  const bool files = source.cert_pem.empty() && source.key_pem.empty();
  const std::string cert_field = source.field + (files ? "cert_file" : "cert_pem");
  const std::string key_field = source.field + (files ? "key_file" : "key_pem");
  std::string cert_pem(source.cert_pem);
  std::string key_pem(source.key_pem);
  if (files) {
    absl::StatusOr<std::string> cert = ReadPemFile(source.cert_file);
    absl::StatusOr<std::string> key = ReadPemFile(source.key_file);
    if (!cert.ok()) errors.push_back(absl::StrCat(cert_field, ": ", cert.status().message()));
    if (!key.ok()) errors.push_back(absl::StrCat(key_field, ": ", key.status().message()));
    if (!cert.ok() || !key.ok()) return std::nullopt;
    cert_pem = *std::move(cert);
    key_pem = *std::move(key);
  }
  // In a file, say which file: the field holds a path the reader may not know by heart.
  const std::string cert_where = files ? absl::StrCat(" (", source.cert_file, ")") : "";
  const std::string key_where = files ? absl::StrCat(" (", source.key_file, ")") : "";
  absl::StatusOr<std::vector<config::X509Ptr>> chain = config::ParseCertificateChain(cert_pem);
  absl::StatusOr<config::EvpPkeyPtr> key = config::ParsePrivateKey(key_pem);
  OPENSSL_cleanse(key_pem.data(), key_pem.size());
  if (!chain.ok()) {
    errors.push_back(absl::StrCat(cert_field, ": ", chain.status().message(), cert_where));
  }
  if (!key.ok()) errors.push_back(absl::StrCat(key_field, ": ", key.status().message(), key_where));
  if (!chain.ok() || !key.ok()) return std::nullopt;
  if (!config::KeyMatchesCertificate(chain->front().get(), key->get())) {
    errors.push_back(
        absl::StrCat(key_field, ": does not match the certificate's public key",
                     files ? absl::StrCat(" (cert_file ", source.cert_file, ")") : ""));
    return std::nullopt;
  }
  return KeyPair{.chain = *std::move(chain),
                 .key = *std::move(key),
                 .cert_field = cert_field,
                 .cert_where = cert_where};
}

bool UseKeyPair(SSL_CTX* ctx, const KeyPair& pair, std::vector<std::string>& errors) {
  bool loaded = SSL_CTX_use_certificate(ctx, pair.chain.front().get()) == 1;
  for (size_t i = 1; i < pair.chain.size() && loaded; ++i) {
    loaded = SSL_CTX_add1_chain_cert(ctx, pair.chain[i].get()) == 1;
  }
  loaded = loaded && SSL_CTX_use_PrivateKey(ctx, pair.key.get()) == 1 &&
           SSL_CTX_check_private_key(ctx) == 1;
  if (!loaded) {
    errors.push_back(absl::StrCat(pair.cert_field, ": OpenSSL refused the certificate or key: ",
                                  TakeOpenSslError(), pair.cert_where));
  }
  return loaded;
}

absl::StatusOr<std::vector<config::X509Ptr>> LoadCertificateAuthorities(std::string_view pem,
                                                                        const std::string& file,
                                                                        size_t max_certificates,
                                                                        const std::string& field) {
  std::string contents(pem);
  std::string where;
  if (contents.empty()) {
    // A CA bundle may be long (a system bundle holds over a hundred anchors); a PEM
    // certificate is rarely over 4 KiB.
    const size_t max_bytes =
        std::max(config::kMaxCertificatePemBytes, max_certificates * size_t{4096});
    absl::StatusOr<std::string> read = ReadPemFile(file, max_bytes);
    if (!read.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": ", read.status().message()));
    }
    contents = *std::move(read);
    where = absl::StrCat(" (", file, ")");
  }
  absl::StatusOr<std::vector<config::X509Ptr>> anchors =
      config::ParseCertificateChain(contents, max_certificates);
  if (!anchors.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", anchors.status().message(), where));
  }
  return anchors;
}

bool TrustAnchors(SSL_CTX* ctx, const std::vector<config::X509Ptr>& anchors,
                  const std::string& field, std::vector<std::string>& errors) {
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  bool loaded = store != nullptr;
  for (size_t i = 0; i < anchors.size() && loaded; ++i) {
    loaded = X509_STORE_add_cert(store, anchors[i].get()) == 1;
  }
  if (!loaded) {
    errors.push_back(
        absl::StrCat(field, ": OpenSSL refused the CA certificates: ", TakeOpenSslError()));
  }
  return loaded;
}

}  // namespace switchyard::tls
