// nghttpx (Debian's nghttp2-proxy) in front of a local HTTP/1.1 port: the HTTP/2 backend
// for tests of the proxy's upstream HTTP/2 (h2c with prior knowledge, or h2 over TLS),
// whose requests the TestBackend behind it still records exactly. Its access log tells,
// per request, the protocol the proxy spoke to it and the proxy's source port, so distinct
// ports count the proxy's connections.
#ifndef SWITCHYARD_TESTS_SUPPORT_NGHTTPX_FRONT_H_
#define SWITCHYARD_TESTS_SUPPORT_NGHTTPX_FRONT_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace switchyard::testing {

struct NghttpxOptions {
  // Both set: the front speaks TLS (ALPN h2 or http/1.1) with this certificate and key.
  std::string cert_file;
  std::string key_file;
  // SETTINGS_MAX_CONCURRENT_STREAMS it announces; 0: nghttpx's default (100).
  int max_concurrent_streams = 0;
  // After this many requests on a connection it sends GOAWAY; 0: never.
  int max_requests = 0;
};

class NghttpxFront {
 public:
  struct Request {
    std::string alpn;  // "h2", "h2c" or "http/1.1"
    int remote_port = 0;
    int status = 0;
    std::string path;
  };

  NghttpxFront(uint16_t backend_port, NghttpxOptions options);

  // Starts nghttpx and waits until it accepts connections. False, with *error (its log
  // included), when it does not.
  bool Start(std::string* error);
  uint16_t port() const { return port_; }

  // The requests it logged so far, in order.
  std::vector<Request> Requests() const;
  // The distinct source ports of those requests: the proxy's connections.
  std::set<int> ConnectionPorts() const;
  // Waits until `n` requests are logged; false on timeout.
  bool WaitForRequests(size_t n, Clock::duration timeout) const;
  std::string LogTail() const { return process_.LogTail(); }
  // Kills nghttpx (SIGKILL): its connections end without GOAWAY, as when a backend dies.
  void Kill() { process_.Kill(); }

 private:
  uint16_t backend_port_;
  NghttpxOptions options_;
  std::string dir_;
  uint16_t port_ = 0;
  ChildProcess process_{"nghttpx"};
};

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_NGHTTPX_FRONT_H_
