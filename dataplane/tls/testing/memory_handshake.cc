#include "dataplane/tls/testing/memory_handshake.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <utility>

namespace switchyard::tls::testing {
namespace {

std::string Errors() {
  std::string out;
  while (const auto code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out;
}

// Whether `ret` from an SSL call on `ssl` means "call again after the peer moved".
bool WouldBlock(SSL* ssl, int ret) {
  const int error = SSL_get_error(ssl, ret);
  return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
}

}  // namespace

HandshakeResult Handshake(SSL* server_ssl, const ClientOptions& options) {
  HandshakeResult result;
  result.server.reset(server_ssl);
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  // No client cache: freeing a context flushes its cache, and OpenSSL marks flushed
  // sessions not resumable, which would spoil Result::session.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  if (options.min_version != 0 && options.min_version < TLS1_2_VERSION) {
    // OpenSSL 3 refuses old versions at its default security level before any byte is
    // sent; level 0 lets this client actually ask, so the server's refusal is tested.
    SSL_CTX_set_security_level(ctx.get(), 0);
    SSL_CTX_set_cipher_list(ctx.get(), "ALL:@SECLEVEL=0");
  }
  if (options.min_version != 0) SSL_CTX_set_min_proto_version(ctx.get(), options.min_version);
  if (options.max_version != 0) SSL_CTX_set_max_proto_version(ctx.get(), options.max_version);
  std::unique_ptr<SSL, SslFreeForTest> client(SSL_new(ctx.get()));
  if (!options.server_name.empty()) {
    SSL_set_tlsext_host_name(client.get(), options.server_name.c_str());
  }
  if (options.request_ocsp) {
    SSL_set_tlsext_status_type(client.get(), TLSEXT_STATUSTYPE_ocsp);
  }
  if (!options.alpn.empty()) {
    std::string wire;
    for (const std::string& p : options.alpn) {
      wire.push_back(static_cast<char>(p.size()));
      wire += p;
    }
    SSL_set_alpn_protos(client.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned int>(wire.size()));
  }
  if (options.session != nullptr) SSL_set_session(client.get(), options.session);
  if (!options.client_cert_pem.empty()) {
    std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
        BIO_new_mem_buf(options.client_cert_pem.data(),
                        static_cast<int>(options.client_cert_pem.size())),
        BIO_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
        BIO_new_mem_buf(options.client_key_pem.data(),
                        static_cast<int>(options.client_key_pem.size())),
        BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), X509_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    if (cert == nullptr || key == nullptr || SSL_use_certificate(client.get(), cert.get()) != 1 ||
        SSL_use_PrivateKey(client.get(), key.get()) != 1) {
      result.client_error = "the client certificate does not load: " + Errors();
      return result;
    }
  }

  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_bio(server_ssl, server_bio, server_bio);
  SSL_set_connect_state(client.get());

  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 100 && !(client_done && server_done); ++round) {
    if (!client_done) {
      const int ret = SSL_do_handshake(client.get());
      if (ret == 1) {
        client_done = true;
      } else if (!WouldBlock(client.get(), ret)) {
        result.client_error = Errors();
        if (result.client_error.empty()) result.client_error = "client handshake failed";
        // Let the server read the alert, so its side reports too.
        SSL_do_handshake(server_ssl);
        result.server_error = Errors();
        return result;
      }
    }
    if (!server_done) {
      const int ret = SSL_do_handshake(server_ssl);
      if (ret == 1) {
        server_done = true;
      } else if (!WouldBlock(server_ssl, ret)) {
        result.server_error = Errors();
        if (result.server_error.empty()) result.server_error = "server handshake failed";
        SSL_do_handshake(client.get());
        result.client_error = Errors();
        return result;
      }
    }
  }
  if (!client_done || !server_done) {
    result.client_error = "handshake did not finish";
    return result;
  }
  // One byte each way: the client's read processes the NewSessionTicket messages that a
  // TLS 1.3 server sends after the handshake.
  char byte = 'x';
  bool exchanged = SSL_write(server_ssl, &byte, 1) == 1 && SSL_read(client.get(), &byte, 1) == 1 &&
                   SSL_write(client.get(), &byte, 1) == 1 && SSL_read(server_ssl, &byte, 1) == 1;
  if (!exchanged) {
    result.client_error = "application data exchange failed: " + Errors();
    return result;
  }
  result.ok = true;
  result.version = SSL_version(client.get());
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(client.get(), &alpn, &alpn_len);
  if (alpn != nullptr) result.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_len);
  result.resumed = SSL_session_reused(client.get()) == 1;
  result.peer_certificate.reset(SSL_get1_peer_certificate(client.get()));
  const unsigned char* stapled = nullptr;
  const long stapled_length =  // NOLINT(google-runtime-int): OpenSSL's type
      SSL_get_tlsext_status_ocsp_resp(client.get(), &stapled);
  if (stapled != nullptr && stapled_length > 0) {
    result.ocsp_response.assign(reinterpret_cast<const char*>(stapled),
                                static_cast<size_t>(stapled_length));
  }
  result.session.reset(SSL_get1_session(client.get()));
  // A client freed without close_notify marks its session not resumable (OpenSSL treats
  // the connection as possibly cut by an attacker), so close cleanly.
  SSL_shutdown(client.get());
  return result;
}

}  // namespace switchyard::tls::testing
