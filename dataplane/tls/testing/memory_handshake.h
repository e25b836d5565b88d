// TLS handshakes between two SSL objects in one thread, over an in-memory BIO pair: no
// sockets, no ports. For tests of what a server context negotiates (certificate, ALPN,
// version, resumption).
#ifndef SWITCHYARD_DATAPLANE_TLS_TESTING_MEMORY_HANDSHAKE_H_
#define SWITCHYARD_DATAPLANE_TLS_TESTING_MEMORY_HANDSHAKE_H_

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

namespace switchyard::tls::testing {

struct ClientOptions {
  // SNI; empty: none sent.
  std::string server_name;
  // ALPN protocols offered, in order; empty: no ALPN extension.
  std::vector<std::string> alpn;
  // 0: OpenSSL's defaults. E.g. TLS1_1_VERSION for both to try an old client.
  int min_version = 0;
  int max_version = 0;
  // A session to resume (from an earlier Result::session); not owned.
  SSL_SESSION* session = nullptr;
  // A client certificate (PEM, leaf only) and its key, sent when the server asks; empty:
  // none.
  std::string client_cert_pem;
  std::string client_key_pem;
  // Ask for the certificate's OCSP status (status_request).
  bool request_ocsp = false;
};

struct SslSessionFree {
  void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
};
struct SslFreeForTest {
  void operator()(SSL* s) const { SSL_free(s); }
};

struct HandshakeResult {
  bool ok = false;
  // OpenSSL's reasons on each side when !ok.
  std::string client_error;
  std::string server_error;
  // The client's view: the negotiated version, ALPN ("" when none), whether the session
  // was resumed, and the server's leaf certificate.
  int version = 0;
  std::string alpn;
  bool resumed = false;
  std::unique_ptr<X509, void (*)(X509*)> peer_certificate{nullptr, X509_free};
  // The OCSP response the server stapled (DER), empty when none.
  std::string ocsp_response;
  // The client's session after the server's tickets arrived, for a later resumption.
  std::unique_ptr<SSL_SESSION, SslSessionFree> session;
  // The server side, still alive (for CertificateSet::Chosen).
  std::unique_ptr<SSL, SslFreeForTest> server;
};

// Runs a client handshake against `server` (an accept-state SSL, e.g. from
// CertificateSet::NewSsl; taken over), then passes one byte of application data each way
// so that TLS 1.3 session tickets reach the client. The client verifies nothing.
HandshakeResult Handshake(SSL* server, const ClientOptions& options);

}  // namespace switchyard::tls::testing

#endif  // SWITCHYARD_DATAPLANE_TLS_TESTING_MEMORY_HANDSHAKE_H_
