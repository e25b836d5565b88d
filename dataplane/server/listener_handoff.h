// Binary upgrade on one host (docs/operations.md, "Upgrading in place"): the running proxy
// passes its listening sockets to its successor over a Unix socket (SCM_RIGHTS, as
// HAProxy's -x and Envoy's hot restart do), so the kernel sockets, and the connections
// waiting in their accept queues, never close; then the old process drains.
//
// The exchange, on a stream socket at --handoff_socket (mode 0600, same user only):
//
//   new -> old   "SWITCHYARD-HANDOFF 2\n"
//   old -> new   "LISTENERS <n> <admin 0|1> <t>\n" with n + t (+1) descriptors attached:
//                the n plain listeners, the t TLS listeners (--listen_tls), the admin one
//   new -> old   "STARTED\n"   once its workers accept on them; the old one then drains.
//
// Version 1, which an older proxy speaks, had no TLS listeners ("LISTENERS <n> <admin>"):
// a successor whose version 2 hello is refused asks again in version 1 and binds its TLS
// port itself, and an older successor's version 1 hello gets a version 1 answer.
//
// A successor that hangs up before STARTED (a bad config, a crash) changes nothing: the
// old process keeps serving and keeps offering its sockets.
#ifndef SWITCHYARD_DATAPLANE_SERVER_LISTENER_HANDOFF_H_
#define SWITCHYARD_DATAPLANE_SERVER_LISTENER_HANDOFF_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace switchyard::server {

// Listening sockets, as descriptors.
struct HandedListeners {
  std::vector<int> listeners;      // the client listeners, one per worker of the old process
  std::vector<int> tls_listeners;  // --listen_tls, one per worker; empty when there is none
  int admin = -1;                  // the admin listener; -1 when there is none
};

// The old process's side: offers its listeners until one successor has taken them.
class HandoffServer {
 public:
  // Binds `path` (replacing a stale socket file there; refusing any other kind of file)
  // and serves successors on a thread. The descriptors stay the caller's: the successor
  // gets copies. `on_handed_off` runs on that thread once a successor said STARTED.
  static absl::StatusOr<std::unique_ptr<HandoffServer>> Start(const std::string& path,
                                                              HandedListeners listeners,
                                                              std::function<void()> on_handed_off);
  // Stops serving; removes the socket file unless a successor took over (it is theirs now).
  ~HandoffServer();
  HandoffServer(const HandoffServer&) = delete;
  HandoffServer& operator=(const HandoffServer&) = delete;

  bool handed_off() const { return handed_off_.load(); }

 private:
  HandoffServer(std::string path, int listen_fd, int wake_read, int wake_write,
                HandedListeners listeners, std::function<void()> on_handed_off);
  void Serve();
  // One successor on `fd`; true when it took over.
  bool ServeOne(int fd);

  const std::string path_;
  const int listen_fd_;
  const int wake_read_;
  const int wake_write_;
  const HandedListeners listeners_;
  const std::function<void()> on_handed_off_;
  std::atomic<bool> handed_off_{false};
  std::thread thread_;
};

// The new process's side. Owns the received descriptors until the caller takes them.
class HandoffClient {
 public:
  // Connects to `path` and receives the old process's listeners; every descriptor is
  // checked to be a listening TCP socket. Fails with a message naming `path` and the step.
  static absl::StatusOr<std::unique_ptr<HandoffClient>> Receive(
      const std::string& path, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Receive in one version of the exchange; FAILED_PRECONDITION when the old process hung
  // up without an answer (it does not speak `version`). For Receive, and for tests that
  // play an older successor.
  static absl::StatusOr<std::unique_ptr<HandoffClient>> ReceiveVersion(
      const std::string& path, int version, std::chrono::milliseconds timeout);
  // Closes the connection (the old process then keeps serving, unless Confirm came first)
  // and any descriptor not taken.
  ~HandoffClient();
  HandoffClient(const HandoffClient&) = delete;
  HandoffClient& operator=(const HandoffClient&) = delete;

  // The received descriptors; the caller takes ownership of those it uses by setting the
  // entries to -1.
  HandedListeners& listeners() { return listeners_; }
  // Tells the old process that this one serves on its sockets now: it drains and exits.
  absl::Status Confirm();

 private:
  HandoffClient(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  const int fd_;
  const std::string path_;
  HandedListeners listeners_;
};

}  // namespace switchyard::server

#endif  // SWITCHYARD_DATAPLANE_SERVER_LISTENER_HANDOFF_H_
