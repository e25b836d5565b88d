#include "tests/support/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace switchyard::testing {
namespace {

// The harness cannot work at all without these calls succeeding, so failures abort loudly
// rather than letting a test continue on a half-built fixture.
[[noreturn]] void Die(const char* what) {
  throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int NewTcpSocket() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  return fd;
}

uint16_t LocalPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) Die("getsockname");
  return ntohs(addr.sin_port);
}

void BindLoopbackAnyPort(int fd) {
  sockaddr_in addr = Loopback(0);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) Die("bind");
}

IoStatus ErrnoStatus(int err) {
  switch (err) {
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
    case ENOTCONN:
      return IoStatus::kReset;
    default:
      return IoStatus::kError;
  }
}

// Waits until `fd` is ready for `events`, or the deadline passes, or stop_fd fires.
IoStatus WaitFor(int fd, decltype(pollfd::events) events, Deadline deadline, int stop_fd) {
  for (;;) {
    pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    const int nfds = stop_fd >= 0 ? 2 : 1;
    const int rc = ::poll(fds, nfds, deadline.PollTimeoutMs());
    if (rc < 0) {
      if (errno == EINTR) continue;
      return IoStatus::kError;
    }
    if (nfds == 2 && (fds[1].revents & POLLIN)) return IoStatus::kStopped;
    if (rc == 0 || fds[0].revents == 0) {
      if (deadline.expired()) return IoStatus::kTimeout;
      continue;
    }
    return IoStatus::kOk;
  }
}

}  // namespace

int Deadline::PollTimeoutMs() const {
  if (never()) return -1;
  const auto left = at_ - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return ms > 1000000 ? 1000000 : static_cast<int>(ms);
}

const char* IoStatusName(IoStatus s) {
  switch (s) {
    case IoStatus::kOk:
      return "ok";
    case IoStatus::kEof:
      return "eof";
    case IoStatus::kReset:
      return "reset";
    case IoStatus::kTimeout:
      return "timeout";
    case IoStatus::kStopped:
      return "stopped";
    case IoStatus::kError:
      return "error";
  }
  return "?";
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.Release();
  }
  return *this;
}

void Socket::Close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Socket Socket::Connect(uint16_t port, Clock::duration timeout, std::string* error) {
  Socket s(NewTcpSocket());
  sockaddr_in addr = Loopback(port);
  if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) {
      if (error) *error = std::string("connect: ") + std::strerror(errno);
      return Socket();
    }
    const IoStatus st = WaitFor(s.fd(), POLLOUT, Deadline::After(timeout), -1);
    if (st != IoStatus::kOk) {
      if (error) *error = std::string("connect: ") + IoStatusName(st);
      return Socket();
    }
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      if (error) *error = std::string("connect: ") + std::strerror(err);
      return Socket();
    }
  }
  s.SetNoDelay();
  return s;
}

IoStatus Socket::ReadSome(std::string* out, size_t max, Deadline deadline, int stop_fd) {
  const size_t old_size = out->size();
  out->resize(old_size + max);
  for (;;) {
    const ssize_t n = ::recv(fd_, out->data() + old_size, max, 0);
    if (n > 0) {
      out->resize(old_size + static_cast<size_t>(n));
      return IoStatus::kOk;
    }
    if (n == 0) {
      out->resize(old_size);
      return IoStatus::kEof;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      const int err = errno;
      out->resize(old_size);
      return ErrnoStatus(err);
    }
    const IoStatus st = WaitFor(fd_, POLLIN, deadline, stop_fd);
    if (st != IoStatus::kOk) {
      out->resize(old_size);
      return st;
    }
  }
}

IoStatus Socket::WriteAll(std::string_view data, Deadline deadline, int stop_fd,
                          uint64_t* written) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      if (written) *written += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return ErrnoStatus(errno);
    const IoStatus st = WaitFor(fd_, POLLOUT, deadline, stop_fd);
    if (st != IoStatus::kOk) return st;
  }
  return IoStatus::kOk;
}

void Socket::ShutdownWrite() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void Socket::ShutdownBoth() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void Socket::SetLingerZero() {
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

void Socket::SetReceiveBuffer(int bytes) {
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
}

void Socket::SetSendBuffer(int bytes) {
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

void Socket::SetNoDelay() {
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

Listener::Listener(int backlog) : socket_(NewTcpSocket()) {
  int one = 1;
  ::setsockopt(socket_.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  BindLoopbackAnyPort(socket_.fd());
  if (::listen(socket_.fd(), backlog) != 0) Die("listen");
  port_ = LocalPort(socket_.fd());
}

Socket Listener::Accept(Deadline deadline, int stop_fd) {
  for (;;) {
    const int fd = ::accept4(socket_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      Socket s(fd);
      s.SetNoDelay();
      return s;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Socket();
    if (WaitFor(socket_.fd(), POLLIN, deadline, stop_fd) != IoStatus::kOk) return Socket();
  }
}

RefusingPort::RefusingPort() : socket_(NewTcpSocket()) {
  BindLoopbackAnyPort(socket_.fd());
  port_ = LocalPort(socket_.fd());
}

RefusingPort::RefusingPort(uint16_t port) : socket_(NewTcpSocket()) {
  // The port's old connections may linger in TIME_WAIT; SO_REUSEADDR lets the bind past them
  // but still fails while any other socket is bound to the port.
  int one = 1;
  ::setsockopt(socket_.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = Loopback(port);
  if (::bind(socket_.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) port_ = port;
}

BlackholeListener::BlackholeListener() : listener_(/*backlog=*/0) {
  // With backlog 0 the kernel queues one completed connection; the second filler makes
  // sure the queue counts as full even if the first raced with the listen() call.
  for (Socket& filler : fillers_) {
    filler = Socket(NewTcpSocket());
    sockaddr_in addr = Loopback(listener_.port());
    // The result is deliberately ignored: on this non-blocking socket it is EINPROGRESS
    // (or an immediate success); the fillers only have to try to fill the queue.
    (void)::connect(filler.fd(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  }
}

StopSignal::StopSignal() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) Die("eventfd");
}

StopSignal::~StopSignal() { ::close(fd_); }

void StopSignal::Trigger() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof(one));
}

bool StopSignal::triggered() const {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

}  // namespace switchyard::testing
