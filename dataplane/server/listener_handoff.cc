#include "dataplane/server/listener_handoff.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/log.h"

namespace switchyard::server {
namespace {

constexpr char kHello[] = "SWITCHYARD-HANDOFF ";  // and the version
constexpr int kVersion = 2;
constexpr char kStarted[] = "STARTED";
// Lines of the exchange are short; anything longer is not a successor.
constexpr size_t kMaxLine = 128;
// More than any worker count; the kernel's own cap is 253 per message.
constexpr int kMaxDescriptors = 250;
// A successor loads its config between receiving the sockets and saying STARTED.
constexpr auto kStartTimeout = std::chrono::minutes(2);
constexpr auto kHelloTimeout = std::chrono::seconds(10);

using Deadline = std::chrono::steady_clock::time_point;

std::string Errno(const char* what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

bool UnixAddress(const std::string& path, sockaddr_un& address) {
  if (path.empty() || path.size() >= sizeof(address.sun_path)) return false;
  address = {};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  return true;
}

// Reads one '\n'-terminated line from `fd` before `deadline`, giving up early when
// `wake_fd` (if >= 0) becomes readable. False on EOF, error, timeout or an overlong line.
bool ReadLine(int fd, int wake_fd, Deadline deadline, std::string& line) {
  line.clear();
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{.fd = fd, .events = POLLIN, .revents = 0},
                     {.fd = wake_fd, .events = POLLIN, .revents = 0}};
    const int ready = ::poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0 || (wake_fd >= 0 && fds[1].revents != 0)) return false;
    char c;
    const ssize_t n = ::recv(fd, &c, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (c == '\n') return true;
    if (line.size() >= kMaxLine) return false;
    line.push_back(c);
  }
}

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// A listening TCP socket, or why not.
std::string CheckListener(int fd) {
  int value = 0;
  socklen_t length = sizeof(value);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &length) != 0 || value != SOCK_STREAM) {
    return "not a stream socket";
  }
  length = sizeof(value);
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) != 0 || value != 1) {
    return "not listening";
  }
  sockaddr_storage address{};
  socklen_t address_length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_length) != 0 ||
      (address.ss_family != AF_INET && address.ss_family != AF_INET6)) {
    return "not a TCP/IP socket";
  }
  return "";
}

}  // namespace

// ---------------------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<HandoffServer>> HandoffServer::Start(
    const std::string& path, HandedListeners listeners, std::function<void()> on_handed_off) {
  const std::string what = absl::StrCat("--handoff_socket=", path);
  sockaddr_un address;
  if (!UnixAddress(path, address)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": give a path of 1 to ", sizeof(address.sun_path) - 1, " bytes"));
  }
  const size_t count =
      listeners.listeners.size() + listeners.tls_listeners.size() + (listeners.admin >= 0 ? 1 : 0);
  if (count == 0 || count > static_cast<size_t>(kMaxDescriptors)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": cannot pass ", count, " sockets"));
  }
  struct stat existing;
  if (::lstat(path.c_str(), &existing) == 0) {
    // A socket left by a process that is gone (or by the predecessor that handed over).
    if (!S_ISSOCK(existing.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": exists and is not a socket"));
    }
    ::unlink(path.c_str());
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat(what, ": ", Errno("socket")));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      ::chmod(path.c_str(), 0600) != 0 || ::listen(fd, 4) != 0) {
    const std::string error = Errno("bind");
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", error));
  }
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) {
    const std::string error = Errno("pipe");
    ::close(fd);
    ::unlink(path.c_str());
    return absl::InternalError(error);
  }
  std::unique_ptr<HandoffServer> server(new HandoffServer(
      path, fd, wake[0], wake[1], std::move(listeners), std::move(on_handed_off)));
  server->thread_ = std::thread([raw = server.get()] { raw->Serve(); });
  return server;
}

HandoffServer::HandoffServer(std::string path, int listen_fd, int wake_read, int wake_write,
                             HandedListeners listeners, std::function<void()> on_handed_off)
    : path_(std::move(path)),
      listen_fd_(listen_fd),
      wake_read_(wake_read),
      wake_write_(wake_write),
      listeners_(std::move(listeners)),
      on_handed_off_(std::move(on_handed_off)) {}

HandoffServer::~HandoffServer() {
  const char byte = 0;
  while (::write(wake_write_, &byte, 1) < 0 && errno == EINTR) {
  }
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(wake_read_);
  ::close(wake_write_);
  if (!handed_off_.load()) ::unlink(path_.c_str());
}

void HandoffServer::Serve() {
  for (;;) {
    pollfd fds[2] = {{.fd = listen_fd_, .events = POLLIN, .revents = 0},
                     {.fd = wake_read_, .events = POLLIN, .revents = 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      LogError("handoff socket %s: poll: %s", path_.c_str(), std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const bool took_over = ServeOne(fd);
    ::close(fd);
    if (took_over) return;
  }
}

bool HandoffServer::ServeOne(int fd) {
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 || peer.uid != ::geteuid()) {
    LogWarning("handoff socket %s: refusing pid %d of uid %u (only uid %u may take over)",
               path_.c_str(), peer.pid, peer.uid, ::geteuid());
    return false;
  }
  std::string line;
  const bool read =
      ReadLine(fd, wake_read_, std::chrono::steady_clock::now() + kHelloTimeout, line);
  absl::string_view hello = line;
  int version = 0;
  if (!read || !absl::ConsumePrefix(&hello, kHello) || !absl::SimpleAtoi(hello, &version) ||
      version < 1 || version > kVersion) {
    LogWarning("handoff socket %s: pid %d did not introduce itself as a successor", path_.c_str(),
               peer.pid);
    return false;
  }
  std::vector<int> fds = listeners_.listeners;
  std::string header =
      absl::StrCat("LISTENERS ", listeners_.listeners.size(), " ", listeners_.admin >= 0 ? 1 : 0);
  if (version >= 2) {
    fds.insert(fds.end(), listeners_.tls_listeners.begin(), listeners_.tls_listeners.end());
    absl::StrAppend(&header, " ", listeners_.tls_listeners.size());
  } else if (!listeners_.tls_listeners.empty()) {
    LogWarning(
        "handoff: pid %d speaks version 1 and binds its own TLS listeners: TLS "
        "connections queued on ours when we close them are reset",
        peer.pid);
  }
  header += "\n";
  if (listeners_.admin >= 0) fds.push_back(listeners_.admin);
  iovec data = {.iov_base = const_cast<char*>(header.data()), .iov_len = header.size()};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  cmsghdr* rights = CMSG_FIRSTHDR(&message);
  rights->cmsg_level = SOL_SOCKET;
  rights->cmsg_type = SCM_RIGHTS;
  rights->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  std::memcpy(CMSG_DATA(rights), fds.data(), sizeof(int) * fds.size());
  if (::sendmsg(fd, &message, MSG_NOSIGNAL) != static_cast<ssize_t>(header.size())) {
    LogWarning("handoff socket %s: %s", path_.c_str(), Errno("sendmsg").c_str());
    return false;
  }
  LogInfo("handoff: passed %zu listening sockets to pid %d; waiting for it to start", fds.size(),
          peer.pid);
  if (!ReadLine(fd, wake_read_, std::chrono::steady_clock::now() + kStartTimeout, line) ||
      line != kStarted) {
    LogWarning("handoff: pid %d went away before it started; serving on", peer.pid);
    return false;
  }
  LogInfo("handoff: pid %d serves on our sockets now; draining", peer.pid);
  handed_off_.store(true);
  on_handed_off_();
  return true;
}

// ---------------------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<HandoffClient>> HandoffClient::Receive(
    const std::string& path, std::chrono::milliseconds timeout) {
  absl::StatusOr<std::unique_ptr<HandoffClient>> client = ReceiveVersion(path, kVersion, timeout);
  if (!absl::IsFailedPrecondition(client.status())) return client;
  LogInfo(
      "handoff: the proxy at %s speaks an older version; asking in version 1 (TLS "
      "listeners are then bound afresh)",
      path.c_str());
  return ReceiveVersion(path, 1, timeout);
}

absl::StatusOr<std::unique_ptr<HandoffClient>> HandoffClient::ReceiveVersion(
    const std::string& path, int version, std::chrono::milliseconds timeout) {
  const std::string what = absl::StrCat("--take_listeners_from=", path);
  sockaddr_un address;
  if (!UnixAddress(path, address)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a usable socket path"));
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat(what, ": ", Errno("socket")));
  std::unique_ptr<HandoffClient> client(new HandoffClient(fd, path));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return absl::UnavailableError(absl::StrCat(
        what, ": ", Errno("connect"), " (is the running proxy started with --handoff_socket?)"));
  }
  if (!SendAll(fd, absl::StrCat(kHello, version, "\n"))) {
    return absl::UnavailableError(absl::StrCat(what, ": ", Errno("send")));
  }
  pollfd ready = {.fd = fd, .events = POLLIN, .revents = 0};
  if (::poll(&ready, 1, static_cast<int>(timeout.count())) != 1) {
    return absl::DeadlineExceededError(
        absl::StrCat(what, ": no answer within ", timeout.count(), " ms"));
  }
  char text[kMaxLine];
  iovec data = {.iov_base = text, .iov_len = sizeof(text)};
  std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxDescriptors));
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  const ssize_t n = ::recvmsg(fd, &message, MSG_CMSG_CLOEXEC);
  std::vector<int> received;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const size_t first = received.size();
    received.resize(first + count);
    std::memcpy(received.data() + first, CMSG_DATA(c), count * sizeof(int));
  }
  // From here on the client owns what arrived, and closes it on every failure.
  client->listeners_.listeners = received;
  if (n == 0 && received.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": the running proxy hung up on version ", version));
  }
  if (n < 0 || (message.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0) {
    return absl::UnavailableError(absl::StrCat(what, ": the running proxy's answer was cut"));
  }
  const absl::string_view header(text, static_cast<size_t>(n));
  const std::vector<absl::string_view> words = absl::StrSplit(absl::StripSuffix(header, "\n"), ' ');
  size_t listeners = 0;
  int admin = 0;
  size_t tls = 0;
  const size_t expected_words = version >= 2 ? 4 : 3;
  if (!absl::EndsWith(header, "\n") || words.size() != expected_words || words[0] != "LISTENERS" ||
      !absl::SimpleAtoi(words[1], &listeners) || !absl::SimpleAtoi(words[2], &admin) ||
      (expected_words == 4 && !absl::SimpleAtoi(words[3], &tls)) || (admin != 0 && admin != 1) ||
      listeners + tls + admin != received.size() || listeners == 0) {
    return absl::UnavailableError(
        absl::StrCat(what, ": unexpected answer with ", received.size(), " descriptors"));
  }
  for (size_t i = 0; i < received.size(); ++i) {
    if (const std::string problem = CheckListener(received[i]); !problem.empty()) {
      return absl::UnavailableError(
          absl::StrCat(what, ": descriptor ", i, " received is ", problem));
    }
  }
  std::vector<int>& plain = client->listeners_.listeners;
  if (admin == 1) {
    client->listeners_.admin = plain.back();
    plain.pop_back();
  }
  client->listeners_.tls_listeners.assign(plain.begin() + static_cast<std::ptrdiff_t>(listeners),
                                          plain.end());
  plain.resize(listeners);
  return client;
}

HandoffClient::~HandoffClient() {
  ::close(fd_);
  for (const std::vector<int>* fds : {&listeners_.listeners, &listeners_.tls_listeners}) {
    for (int fd : *fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  if (listeners_.admin >= 0) ::close(listeners_.admin);
}

absl::Status HandoffClient::Confirm() {
  if (!SendAll(fd_, absl::StrCat(kStarted, "\n"))) {
    return absl::UnavailableError(absl::StrCat(
        "--take_listeners_from=", path_, ": the running proxy went away: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace switchyard::server
