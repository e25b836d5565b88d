// The socket passing of a binary upgrade, both sides in one process: what arrives is the
// very listening socket (connections queued on it are accepted through the copy), the
// old side hears of the takeover only on STARTED, and a successor that gives up early
// changes nothing. Version 2 of the exchange passes the TLS listeners too; an older proxy
// on either side still gets what version 1 passed.
#include "dataplane/server/listener_handoff.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/poll.h"

namespace switchyard::server {
namespace {

// A TCP listener on 127.0.0.1 with a free port; returns the descriptor, `port` set.
int Listener(uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  EXPECT_EQ(::listen(fd, 16), 0);
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

int ConnectTo(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  return fd;
}

class ListenerHandoffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Not under TEST_TMPDIR: a Unix socket path must fit in 107 bytes.
    char dir[] = "/tmp/switchyard-handoff-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/handoff.sock";
    listener_ = Listener(port_);
    admin_ = Listener(admin_port_);
    tls_ = Listener(tls_port_);
  }
  void TearDown() override {
    ::close(listener_);
    ::close(admin_);
    ::close(tls_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  std::string dir_;
  std::string path_;
  int listener_ = -1;
  int admin_ = -1;
  int tls_ = -1;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
  uint16_t tls_port_ = 0;
};

uint16_t PortOf(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

// Reads one line from `fd` (without its newline).
std::string ReadLineFrom(int fd) {
  std::string line;
  char c = 0;
  while (::recv(fd, &c, 1, 0) == 1 && c != '\n') line += c;
  return line;
}

TEST_F(ListenerHandoffTest, TheSuccessorGetsTheSameSocketsAndTheOldSideHearsOnStarted) {
  std::atomic<int> handed_off{0};
  auto server = HandoffServer::Start(path_, {.listeners = {listener_}, .admin = admin_},
                                     [&] { ++handed_off; });
  ASSERT_TRUE(server.ok()) << server.status();
  struct stat file;
  ASSERT_EQ(::stat(path_.c_str(), &file), 0);
  EXPECT_EQ(file.st_mode & 0777, 0600u);

  // A connection queued before the handoff is accepted through the received copy.
  const int queued = ConnectTo(port_);
  auto client = HandoffClient::Receive(path_);
  ASSERT_TRUE(client.ok()) << client.status();
  HandedListeners& got = (*client)->listeners();
  ASSERT_EQ(got.listeners.size(), 1u);
  ASSERT_GE(got.admin, 0);
  const int accepted = ::accept(got.listeners[0], nullptr, nullptr);
  EXPECT_GE(accepted, 0);
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  ::getsockname(got.admin, reinterpret_cast<sockaddr*>(&address), &length);
  EXPECT_EQ(ntohs(address.sin_port), admin_port_);
  ::close(accepted);
  ::close(queued);

  EXPECT_FALSE((*server)->handed_off());
  ASSERT_TRUE((*client)->Confirm().ok());
  EXPECT_TRUE(testing::PollUntil([&] { return handed_off.load() == 1; }));
  EXPECT_TRUE((*server)->handed_off());
  server->reset();
  // The socket file now belongs to the successor: the old side leaves it.
  EXPECT_EQ(::access(path_.c_str(), F_OK), 0);
}

TEST_F(ListenerHandoffTest, ASuccessorThatGivesUpChangesNothing) {
  std::atomic<int> handed_off{0};
  auto server = HandoffServer::Start(path_, {.listeners = {listener_}}, [&] { ++handed_off; });
  ASSERT_TRUE(server.ok()) << server.status();
  {
    auto quitter = HandoffClient::Receive(path_);
    ASSERT_TRUE(quitter.ok()) << quitter.status();
    EXPECT_EQ((*quitter)->listeners().admin, -1);
  }  // hangs up without Confirm
  // The original still listens, and a second successor is served.
  const int fd = ConnectTo(port_);
  EXPECT_GE(fd, 0);
  ::close(fd);
  auto second = HandoffClient::Receive(path_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(handed_off.load(), 0);
  server->reset();
  // Not handed off: the socket file is cleaned up.
  EXPECT_NE(::access(path_.c_str(), F_OK), 0);
}

TEST_F(ListenerHandoffTest, ClientsThatAreNotSuccessorsGetNothing) {
  auto server = HandoffServer::Start(path_, {.listeners = {listener_}}, [] {});
  ASSERT_TRUE(server.ok()) << server.status();
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path_.data(), path_.size());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  const std::string wrong = "GET / HTTP/1.1\n";
  ASSERT_EQ(::send(fd, wrong.data(), wrong.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(wrong.size()));
  char buffer[64];
  EXPECT_EQ(::recv(fd, buffer, sizeof(buffer), 0), 0);  // closed, no descriptors
  ::close(fd);
  EXPECT_TRUE(HandoffClient::Receive(path_).ok());  // and it serves on
}

TEST_F(ListenerHandoffTest, StartRefusesWhatIsNotASocketAndReplacesAStaleOne) {
  ASSERT_TRUE(testing::WriteFile(path_, "precious"));
  auto refused = HandoffServer::Start(path_, {.listeners = {listener_}}, [] {});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("exists and is not a socket"), std::string::npos)
      << refused.status();
  EXPECT_EQ(testing::ReadFile(path_), "precious");
  ::unlink(path_.c_str());

  // A socket file left by a process that died.
  const int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path_.data(), path_.size());
  ASSERT_EQ(::bind(stale, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ::close(stale);
  auto server = HandoffServer::Start(path_, {.listeners = {listener_}}, [] {});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(HandoffClient::Receive(path_).ok());
}

TEST_F(ListenerHandoffTest, TlsListenersGoToAVersion2SuccessorAndAVersion1OneGetsTheRest) {
  auto server = HandoffServer::Start(
      path_, {.listeners = {listener_}, .tls_listeners = {tls_}, .admin = admin_}, [] {});
  ASSERT_TRUE(server.ok()) << server.status();
  auto current = HandoffClient::Receive(path_);
  ASSERT_TRUE(current.ok()) << current.status();
  const HandedListeners& got = (*current)->listeners();
  ASSERT_EQ(got.listeners.size(), 1u);
  ASSERT_EQ(got.tls_listeners.size(), 1u);
  EXPECT_EQ(PortOf(got.listeners[0]), port_);
  EXPECT_EQ(PortOf(got.tls_listeners[0]), tls_port_);
  EXPECT_EQ(PortOf(got.admin), admin_port_);
  current->reset();  // gives up: the next successor is served

  auto older = HandoffClient::ReceiveVersion(path_, 1, std::chrono::seconds(10));
  ASSERT_TRUE(older.ok()) << older.status();
  EXPECT_EQ((*older)->listeners().listeners.size(), 1u);
  EXPECT_TRUE((*older)->listeners().tls_listeners.empty());
  EXPECT_EQ(PortOf((*older)->listeners().admin), admin_port_);
}

// A predecessor of the version before: it hangs up on a hello it does not know, and
// answers "SWITCHYARD-HANDOFF 1" as version 1 did.
TEST_F(ListenerHandoffTest, AnOlderPredecessorIsAskedAgainInVersion1) {
  const int server = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path_.data(), path_.size());
  ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(server, 4), 0);
  std::vector<std::string> hellos;
  std::thread old_proxy([&] {
    for (;;) {
      const int fd = ::accept(server, nullptr, nullptr);
      if (fd < 0) return;
      hellos.push_back(ReadLineFrom(fd));
      if (hellos.back() != "SWITCHYARD-HANDOFF 1") {
        ::close(fd);
        continue;
      }
      const std::string header = "LISTENERS 1 0\n";
      iovec data = {.iov_base = const_cast<char*>(header.data()), .iov_len = header.size()};
      char control[CMSG_SPACE(sizeof(int))] = {};
      msghdr message{};
      message.msg_iov = &data;
      message.msg_iovlen = 1;
      message.msg_control = control;
      message.msg_controllen = sizeof(control);
      cmsghdr* rights = CMSG_FIRSTHDR(&message);
      rights->cmsg_level = SOL_SOCKET;
      rights->cmsg_type = SCM_RIGHTS;
      rights->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(rights), &listener_, sizeof(int));
      ::sendmsg(fd, &message, MSG_NOSIGNAL);
      ReadLineFrom(fd);  // until the successor hangs up
      ::close(fd);
      return;
    }
  });
  auto client = HandoffClient::Receive(path_);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(PortOf((*client)->listeners().listeners.at(0)), port_);
  EXPECT_TRUE((*client)->listeners().tls_listeners.empty());
  client->reset();
  old_proxy.join();
  ::close(server);
  EXPECT_EQ(hellos, (std::vector<std::string>{"SWITCHYARD-HANDOFF 2", "SWITCHYARD-HANDOFF 1"}));
}

TEST_F(ListenerHandoffTest, ReceiveExplainsAMissingPredecessor) {
  auto client = HandoffClient::Receive(path_);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.status().message().find("--take_listeners_from=" + path_), std::string::npos);
  EXPECT_NE(client.status().message().find("--handoff_socket"), std::string::npos);
}

}  // namespace
}  // namespace switchyard::server
