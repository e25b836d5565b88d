// A TLS server on 127.0.0.1:<ephemeral> that terminates TLS and relays the plaintext to
// another local port (a TestBackend): the TLS backend for tests of the proxy's upstream TLS.
// The TestBackend behind it still records every request exactly, and the front records
// every handshake (the SNI received, the ALPN protocols offered, the client certificate).
//
// One thread accepts; each connection gets a thread that handshakes (blocking, bounded
// by a 10 s socket timeout) and relays both ways, half-closes included. The destructor
// stops and joins them all.
#ifndef SWITCHYARD_TESTS_SUPPORT_TLS_FRONT_H_
#define SWITCHYARD_TESTS_SUPPORT_TLS_FRONT_H_

#include <openssl/ssl.h>

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/socket.h"

namespace switchyard::testing {

struct TlsFrontOptions {
  // The chain the front serves (leaf first) and its key, PEM.
  std::string chain_pem;
  std::string key_pem;
  // Set: a client certificate issued by these CA certificates (PEM) is required.
  std::string client_ca_pem;
};

// One TLS handshake as the front saw it.
struct FrontHandshake {
  bool ok = false;
  // OpenSSL's reason when !ok.
  std::string error;
  std::string server_name;  // SNI; empty when none was sent
  // The ALPN protocols the client offered, comma-separated.
  std::string alpn_offered;
  // The verified client certificate's subject (one line, RFC 2253); empty when none.
  std::string client_subject;
};

class TlsFront {
 public:
  // Aborts the test binary if the certificate or key cannot be loaded.
  TlsFront(uint16_t target_port, const TlsFrontOptions& options);
  ~TlsFront();
  TlsFront(const TlsFront&) = delete;
  TlsFront& operator=(const TlsFront&) = delete;

  uint16_t port() const { return listener_.port(); }
  std::vector<FrontHandshake> handshakes() const;
  // Waits until `n` handshakes finished (either way); false on timeout.
  bool WaitForHandshakes(size_t n, Clock::duration timeout) const;

 private:
  struct Conn {
    Socket socket;
    std::thread thread;
  };
  void AcceptLoop();
  void Serve(Conn* conn);

  const uint16_t target_port_;
  SSL_CTX* ctx_ = nullptr;
  Listener listener_;
  StopSignal stop_;
  mutable std::mutex mu_;
  std::vector<FrontHandshake> handshakes_;
  std::list<Conn> conns_;
  std::thread accept_thread_;
};

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_TLS_FRONT_H_
