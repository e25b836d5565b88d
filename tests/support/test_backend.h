// A real HTTP/1.1 upstream server on 127.0.0.1:<ephemeral> with per-test behaviour.
//
// One thread accepts, one thread serves each connection (blocking style over poll(), which
// keeps handlers straightforward: "send the head, sleep, close" is three lines). Every
// request the proxy forwards is recorded with its exact fields and framing so tests can
// assert what the proxy sent, and anything the harness cannot parse is counted as a parse
// error: a proxy must never emit a malformed or ambiguous message upstream.
#ifndef SWITCHYARD_TESTS_SUPPORT_TEST_BACKEND_H_
#define SWITCHYARD_TESTS_SUPPORT_TEST_BACKEND_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/http_message.h"
#include "tests/support/socket.h"

namespace switchyard::testing {

// One request as the backend received it.
struct ReceivedRequest : HttpMessage {
  int connection_id = 0;        // 1-based, in accept order
  int index_on_connection = 0;  // 0 for the first request on a connection
  bool body_complete = false;   // the whole body arrived (framing said it ended)
  std::string raw_head;         // request line and fields exactly as received
};

class TestBackend;

// The handler's view of one request/response exchange on one connection.
class BackendExchange {
 public:
  const ReceivedRequest& request() const { return request_; }
  int connection_id() const { return request_.connection_id; }

  // Reads the rest of the body into request().body. Returns it.
  const std::string& ReadBody();
  // Reads the rest of the body into `sink` without storing it; returns bytes delivered.
  uint64_t StreamBody(const std::function<void(std::string_view)>& sink);
  bool body_complete() const { return request_.body_complete; }

  // Sends a 1xx response (e.g. 100 Continue, 103 Early Hints).
  bool SendInterim(int status, const Headers& headers = {});
  // Sends a complete response. Adds Content-Length unless `headers` carry Content-Length or
  // Transfer-Encoding, or the status forbids a body (1xx, 204, 304). For a HEAD request
  // the length of `body` is announced but the bytes are not sent.
  bool Reply(int status, std::string_view body = {}, const Headers& headers = {});
  // Sends only the status line and `headers` (exactly as given).
  bool SendHead(int status, const Headers& headers);
  // Sends raw bytes: garbage, partial messages, hand-made chunks.
  bool Send(std::string_view bytes);
  // Sends `size` pattern bytes as body, raw or as chunks (ending with the last chunk when
  // `finish_chunked`). Writes block under backpressure like any real server.
  bool SendPatternBody(uint64_t size, bool chunked, bool finish_chunked = true);
  // Head + pattern body of `size` bytes, length-delimited or chunked.
  bool StreamPatternResponse(int status, uint64_t size, bool chunked = false,
                             const Headers& extra = {});

  // Closes with FIN right now; the backend will not touch the connection again.
  void CloseNow();
  // Closes with RST right now.
  void ResetNow();
  // Keep serving? Set false to close (FIN) after this exchange instead of keeping alive.
  void set_keep_alive(bool keep) { keep_alive_ = keep; }

  // Waits until the peer (the proxy) closes or resets this connection; true if it did
  // within `timeout`. Bytes the peer sends meanwhile are discarded.
  bool WaitForPeerClose(Clock::duration timeout);
  // Waits until `done()` is true, polling; false on timeout or when the backend stops.
  bool WaitUntil(const std::function<bool()>& done, Clock::duration timeout);
  // Sleeps `d` unless the backend stops first (then returns false). For "slow upstream"
  // behaviour, never for synchronisation.
  bool Delay(Clock::duration d);

  Socket& raw_socket() { return *socket_; }

 private:
  friend class TestBackend;
  BackendExchange(TestBackend* backend, Socket* socket, std::string* buffer,
                  ReceivedRequest request, std::unique_ptr<MessageParser> parser,
                  size_t record_index);
  bool Write(std::string_view bytes);
  bool ReadBodyInto(const std::function<void(std::string_view)>* sink);

  TestBackend* backend_;
  size_t record_index_;
  Socket* socket_;
  std::string* buffer_;
  ReceivedRequest request_;
  std::unique_ptr<MessageParser> parser_;
  bool responded_ = false;
  bool closed_ = false;
  bool keep_alive_ = true;
  bool peer_gone_ = false;
};

struct BackendOptions {
  // Read the whole request body before calling the handler, so request().body is ready.
  // Turn off to answer before the body (100-continue) or to stream huge bodies; the
  // backend drains whatever the handler leaves unread.
  bool read_body_first = true;
  // Keep body bytes in the recorded request (off for multi-GiB bodies).
  bool record_body = true;
};

class TestBackend {
 public:
  using Handler = std::function<void(BackendExchange&)>;

  // With no handler, every request gets 200, header "x-backend: <name>", body "<name>".
  explicit TestBackend(std::string name, Handler handler = nullptr, BackendOptions options = {});
  ~TestBackend();
  TestBackend(const TestBackend&) = delete;
  TestBackend& operator=(const TestBackend&) = delete;

  const std::string& name() const { return name_; }
  uint16_t port() const { return listener_.port(); }

  // Snapshot of the recorded requests so far (in arrival order of their heads).
  std::vector<ReceivedRequest> requests() const;
  size_t request_count() const;
  // Requests whose whole body arrived.
  size_t completed_request_count() const;
  int connections_accepted() const { return connections_accepted_.load(); }
  int open_connections() const { return open_connections_.load(); }
  // Response bytes written to all connections so far (for backpressure tests).
  uint64_t bytes_sent() const { return bytes_sent_.load(); }
  // Messages from the proxy that failed to parse, with the reason.
  std::vector<std::string> parse_errors() const;

  bool WaitForRequests(size_t n, Clock::duration timeout) const;
  bool WaitForConnectionsClosed(Clock::duration timeout) const;

  bool stopping() const { return stop_.triggered(); }

  // The default behaviour, usable from custom handlers.
  void DefaultReply(BackendExchange& ex) const;

 private:
  friend class BackendExchange;
  struct Conn {
    Socket socket;
    std::thread thread;
    bool finished = false;
  };

  void AcceptLoop();
  void Serve(Conn* conn, int connection_id);
  void RecordBody(size_t index, const ReceivedRequest& request);
  void RecordParseError(std::string error);

  const std::string name_;
  const Handler handler_;
  const BackendOptions options_;
  Listener listener_;
  StopSignal stop_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<ReceivedRequest> requests_;
  std::vector<std::string> parse_errors_;
  std::list<Conn> conns_;

  std::atomic<int> connections_accepted_{0};
  std::atomic<int> open_connections_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::thread accept_thread_;
};

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_TEST_BACKEND_H_
