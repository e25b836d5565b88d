// One HTTP/1.1 client connection to 127.0.0.1, kept alive across requests.
//
// tests/support's RawClient would do, but its constructor hands Socket::Connect a pointer
// to its error string before that member is constructed, so a refused connect writes into
// an unconstructed std::string (and crashes). These suites connect to ports that refuse
// on purpose (a stopped control plane, HAProxy before it listens), hence this small
// client on the same Socket and MessageParser.
#ifndef SWITCHYARD_TESTS_E2E_SUPPORT_HTTP_CONNECTION_H_
#define SWITCHYARD_TESTS_E2E_SUPPORT_HTTP_CONNECTION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "tests/support/raw_client.h"
#include "tests/support/socket.h"

namespace switchyard::e2e {

class HttpConnection {
 public:
  using Clock = ::switchyard::testing::Clock;
  using Response = ::switchyard::testing::Response;

  explicit HttpConnection(uint16_t port, Clock::duration connect_timeout = std::chrono::seconds(2));

  bool connected() const { return socket_.valid(); }
  const std::string& connect_error() const { return connect_error_; }

  bool Send(std::string_view bytes, Clock::duration timeout = std::chrono::seconds(10));
  // The next final response (1xx responses are collected in `interim`). complete is false
  // with `error` set when the connection ends, resets or times out first.
  Response ReadResponse(Clock::duration timeout = std::chrono::seconds(10));
  Response RoundTrip(std::string_view request, Clock::duration timeout = std::chrono::seconds(10));

 private:
  ::switchyard::testing::Socket socket_;
  std::string connect_error_;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace switchyard::e2e

#endif  // SWITCHYARD_TESTS_E2E_SUPPORT_HTTP_CONNECTION_H_
