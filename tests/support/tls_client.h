// TLS clients for tests: one connection kept open (OpenSSL, blocking), for what a
// long-lived client sees while certificates rotate; and the certificate a new connection
// gets, as curl reports it.
#ifndef SWITCHYARD_TESTS_SUPPORT_TLS_CLIENT_H_
#define SWITCHYARD_TESTS_SUPPORT_TLS_CLIENT_H_

#include <openssl/ssl.h>

#include <cstdint>
#include <string>

#include "tests/support/socket.h"

namespace switchyard::testing {

// One TLS connection to 127.0.0.1:`port` with SNI `server_name`; the peer certificate is
// not verified. Reads block for at most 10 s. `preamble` is sent before the handshake (a
// PROXY protocol header, as a load balancer in front would send).
class TlsConnection {
 public:
  TlsConnection(uint16_t port, const std::string& server_name, const std::string& preamble = "");
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  bool Connected() const { return connected_; }
  // The peer certificate's subject CN ("" without one).
  std::string PeerCommonName() const;
  // One GET / with Host `host` on this connection; the status, or 0 when the exchange
  // failed (the answer must carry Content-Length).
  int Get(const std::string& host);

 private:
  Socket socket_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
};

// The subject CN of the certificate a new connection to 127.0.0.1:`port` with SNI `host`
// gets (curl -v, not verifying); "" when none came.
std::string ServedCommonName(uint16_t port, const std::string& host);

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_TLS_CLIENT_H_
