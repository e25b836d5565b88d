// Blocking TCP sockets on 127.0.0.1 with deadlines, for the integration harness.
//
// Every read and write waits with poll() against a deadline, so a proxy that hangs makes a
// test fail with "timeout" instead of hanging the test binary until Bazel kills it. An
// optional "stop" eventfd lets a server thread abandon a wait when its owner shuts down.
#ifndef SWITCHYARD_TESTS_SUPPORT_SOCKET_H_
#define SWITCHYARD_TESTS_SUPPORT_SOCKET_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace switchyard::testing {

using Clock = std::chrono::steady_clock;
using Duration = std::chrono::milliseconds;

// A point in time after which an I/O wait gives up. Deadline::Never() waits forever
// (used by servers whose waits end through the stop fd instead).
class Deadline {
 public:
  static Deadline After(Clock::duration d) { return Deadline(Clock::now() + d); }
  static Deadline Never() { return Deadline(Clock::time_point::max()); }
  bool never() const { return at_ == Clock::time_point::max(); }
  bool expired() const { return !never() && Clock::now() >= at_; }
  // Milliseconds left, rounded up, for poll(); -1 when the deadline is Never().
  int PollTimeoutMs() const;

 private:
  explicit Deadline(Clock::time_point at) : at_(at) {}
  Clock::time_point at_;
};

enum class IoStatus {
  kOk,       // some bytes moved
  kEof,      // the peer closed its sending side (read) cleanly
  kReset,    // ECONNRESET / EPIPE and friends
  kTimeout,  // the deadline passed first
  kStopped,  // the stop fd became readable
  kError,    // any other errno
};
const char* IoStatusName(IoStatus s);

// Owns one socket file descriptor. Movable, not copyable.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(other.Release()) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { Close(); }

  // Connects to 127.0.0.1:port; returns an invalid Socket (and sets *error) on failure.
  static Socket Connect(uint16_t port, Clock::duration timeout, std::string* error = nullptr);

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Close();

  // Appends up to `max` bytes to *out. Waits until data, EOF, error, deadline or stop_fd.
  IoStatus ReadSome(std::string* out, size_t max, Deadline deadline, int stop_fd = -1);
  // Writes all of `data` (blocking with backpressure). *written, if given, counts progress.
  IoStatus WriteAll(std::string_view data, Deadline deadline, int stop_fd = -1,
                    uint64_t* written = nullptr);

  void ShutdownWrite();
  void ShutdownBoth();
  // Makes the next close() send RST instead of FIN (SO_LINGER with zero timeout).
  void SetLingerZero();
  void SetReceiveBuffer(int bytes);
  void SetSendBuffer(int bytes);
  void SetNoDelay();

 private:
  int fd_ = -1;
};

// A listening socket on 127.0.0.1:0 (the kernel picks a free port).
class Listener {
 public:
  explicit Listener(int backlog = 128);
  uint16_t port() const { return port_; }
  int fd() const { return socket_.fd(); }
  // Accepts one connection; invalid Socket on timeout/stop.
  Socket Accept(Deadline deadline, int stop_fd = -1);
  void Close() { socket_.Close(); }

 private:
  Socket socket_;
  uint16_t port_ = 0;
};

// A port on 127.0.0.1 that is bound but not listening: connecting to it is refused (RST),
// and while this object lives nobody else can take the port, so "connection refused"
// tests cannot accidentally reach some other test's server.
class RefusingPort {
 public:
  RefusingPort();
  // Claims a given port that a server has just let go (one that a killed server listened on,
  // say), so that neither another test's server nor an outgoing connection's ephemeral port
  // can take it. ok() is false when someone else holds it already.
  explicit RefusingPort(uint16_t port);
  bool ok() const { return port_ != 0; }
  uint16_t port() const { return port_; }

 private:
  Socket socket_;
  uint16_t port_ = 0;
};

// A listener whose accept queue is full and never drained, so further SYNs to its port are
// dropped by the kernel and a connect() stays pending until the connector gives up. This
// makes connect timeouts testable on loopback without sending traffic anywhere else.
class BlackholeListener {
 public:
  BlackholeListener();
  uint16_t port() const { return listener_.port(); }

 private:
  Listener listener_;
  Socket fillers_[2];
};

// An eventfd-based latch used to wake poll() loops when an owner shuts down.
class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;
  void Trigger();
  bool triggered() const;
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_SOCKET_H_
