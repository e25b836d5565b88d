// A client that speaks raw bytes to the proxy and parses what comes back.
//
// Tests need to send exactly the bytes they mean (malformed framing, pipelined requests,
// half a header) and to see exactly what the proxy did (interim responses, a truncated
// body, a close). Every read has a deadline, so a proxy that hangs fails the test.
#ifndef SWITCHYARD_TESTS_SUPPORT_RAW_CLIENT_H_
#define SWITCHYARD_TESTS_SUPPORT_RAW_CLIENT_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/http_message.h"
#include "tests/support/socket.h"

namespace switchyard::testing {

// A response as the client received it.
struct Response : HttpMessage {
  // 1xx responses received before this one, in order.
  std::vector<HttpMessage> interim;
  // The whole message arrived and parsed. When false, `error` says why (e.g. "timeout",
  // "eof" for a truncated body, or a parse error) and the fields hold what did arrive.
  bool complete = false;
  std::string error;
  bool ok() const { return complete; }
  // For failure messages.
  std::string DebugString() const;
};

struct ReadOptions {
  // The request was HEAD: the response has no body whatever its headers say.
  bool head_request = false;
  // Return after a 1xx response instead of reading on to the final one.
  bool stop_at_interim = false;
  Clock::duration timeout = std::chrono::seconds(10);
  // When set, body bytes go here instead of Response::body.
  std::function<void(std::string_view)> body_sink;
  // Bytes asked of recv() per read; small values make a slow reader.
  size_t read_size = 256 * 1024;
};

class RawClient {
 public:
  // Connects to 127.0.0.1:port. Check connected() (tests ASSERT on it).
  explicit RawClient(uint16_t port, Clock::duration connect_timeout = std::chrono::seconds(5));

  bool connected() const { return socket_.valid(); }
  const std::string& connect_error() const { return connect_error_; }

  // Sends bytes; false if the connection is closed/reset or the write timed out.
  bool Send(std::string_view bytes, Clock::duration timeout = std::chrono::seconds(30));
  // Sends and counts progress into *sent as it goes (another thread may watch it).
  IoStatus SendCounted(std::string_view bytes, std::atomic<uint64_t>* sent,
                       Clock::duration timeout = std::chrono::seconds(60));

  // Reads one response (with any 1xx before it, unless stop_at_interim).
  Response ReadResponse(const ReadOptions& options = {});
  // Send + ReadResponse.
  Response RoundTrip(std::string_view request, const ReadOptions& options = {});

  struct CloseResult {
    bool closed = false;  // EOF or reset seen before the deadline
    bool reset = false;   // it was a reset
    std::string data;     // bytes that arrived before the close
  };
  // Waits for the proxy to close the connection; reports any bytes that came first.
  CloseResult WaitForClose(Clock::duration timeout);
  // The bytes that arrive within `wait` (for protocols this client does not parse, such
  // as raw HTTP/2 frames); empty on timeout or at the end of the connection.
  std::string ReadAvailable(Clock::duration wait);
  // True if nothing arrives and the connection stays open for `d` (used to check that a
  // connection is kept, e.g. an active connection is not idle-closed).
  bool StaysOpenFor(Clock::duration d);

  void ShutdownWrite() { socket_.ShutdownWrite(); }
  void Close() { socket_.Close(); }
  void Reset() {
    socket_.SetLingerZero();
    socket_.Close();
  }
  Socket& socket() { return socket_; }
  // Bytes received but not yet consumed by a parsed response.
  const std::string& pending() const { return buffer_; }

 private:
  // Declared before socket_: the constructor hands Socket::Connect a pointer to it.
  std::string connect_error_;
  Socket socket_;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_RAW_CLIENT_H_
