// The real programs of a Switchyard deployment, each as a child process on 127.0.0.1:
// switchyard-control, switchyard-proxy in control-plane mode, HAProxy in front of the
// proxies, and yardctl as a one-shot command. Built on tests/support's ChildProcess and
// RawClient, and the control plane's ControlPlaneProcess.
#ifndef SWITCHYARD_TESTS_E2E_SUPPORT_COMPONENTS_H_
#define SWITCHYARD_TESTS_E2E_SUPPORT_COMPONENTS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/testing/control_plane_process.h"
#include "nlohmann/json.hpp"
#include "tests/support/child_process.h"
#include "tests/support/poll.h"
#include "tests/support/raw_client.h"

namespace switchyard::e2e {

// tests/support's process vocabulary, used unqualified throughout the e2e suites.
using ::switchyard::testing::ChildProcess;
using ::switchyard::testing::Clock;
using ::switchyard::testing::CommandResult;
using ::switchyard::testing::ExitStatus;
using ::switchyard::testing::PollUntil;
using ::switchyard::testing::Response;
using ::switchyard::testing::RunCommand;
using ::switchyard::testing::RunfilePath;
using ::switchyard::testing::RunfilesWorkspaceDir;

// The host every suite's virtual host answers to.
inline constexpr std::string_view kHost = "e2e.test";

// One GET on a fresh connection to 127.0.0.1:port.
Response HttpGet(uint16_t port, std::string_view target, std::string_view host = kHost,
                 Clock::duration timeout = std::chrono::seconds(5));
// The x-backend header of a response (the test backends' name), or "".
std::string BackendOf(const Response& r);
// A one-line summary ("200 from A", "404 local reply", "error: eof").
std::string Summary(const Response& r);

// switchyard-control with its SQLite store in `dir`, run by the control plane's own test
// helper (controlplane/testing/control_plane_process.h). The first Start takes a free
// port; every later Start (after Kill or Stop) reuses that port and the same store.
class ControlPlane {
 public:
  explicit ControlPlane(const std::string& dir);
  bool Start(std::string* error);
  // SIGTERM and wait (then SIGKILL after the helper's grace period).
  void Stop();
  // SIGKILL: no chance to close streams or flush anything.
  void Kill();
  bool Running() { return process_.Running(); }
  // True once the test stopped or killed it; an exit before that was the binary's own.
  bool signalled() const { return signalled_; }
  std::string LogTail(size_t max_bytes = 4000) const { return process_.StderrTail(max_bytes); }

  uint16_t port() const { return process_.port(); }
  std::string address() const { return process_.target(); }
  // Its /metrics port (a new one after each Start).
  uint16_t metrics_port() const { return process_.metrics_port(); }

 private:
  ::switchyard::controlplane::testing::ControlPlaneProcess process_;
  bool started_ = false;
  bool signalled_ = false;
};

// switchyard-proxy subscribed to a control plane, with an admin port.
class DynamicProxy {
 public:
  struct Options {
    std::string node_id;
    std::string control_plane;  // host:port[,host:port]
    // Empty: no snapshot cache.
    std::string snapshot_cache;
    int workers = 1;
    std::vector<std::string> extra_flags;
  };
  DynamicProxy(std::string dir, Options options);

  // Starts and waits for the ready file (listening, admin up). With `wait_ready`, also
  // waits for admin /ready to say 200 (a snapshot is served).
  bool Start(std::string* error, bool wait_ready = true);
  void Stop() { process_.Stop(); }
  bool Running() { return process_.Running(); }

  uint16_t port() const { return port_; }
  uint16_t admin_port() const { return admin_port_; }
  // With --listen_tls among the extra flags, its port; else 0.
  uint16_t tls_port() const { return tls_port_; }
  const std::string& node_id() const { return options_.node_id; }
  ChildProcess& process() { return process_; }

  // GET /stats parsed, or nullopt when the admin port does not answer with JSON.
  std::optional<nlohmann::json> Stats() const;
  // "version" from /stats; 0 when unknown.
  uint64_t Version() const;
  // Status of GET /ready (0 when the admin port does not answer).
  int ReadyStatus() const;
  // A GET straight to this proxy (not through the load balancer).
  Response Get(std::string_view target, std::string_view host = kHost) const {
    return HttpGet(port_, target, host);
  }

 private:
  std::string dir_;
  Options options_;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
  uint16_t tls_port_ = 0;
  ChildProcess process_;
};

// HAProxy (http mode, keep-alive both ways, round robin) in front of proxies, each
// health-checked on its admin /ready. Plus a stats listener for the servers' states.
class Haproxy {
 public:
  struct Server {
    uint16_t port;
    uint16_t admin_port;
  };
  Haproxy(std::string dir, std::vector<Server> servers);
  // Starts and waits until its stats show every server UP.
  bool Start(std::string* error);
  void Stop() { process_.Stop(); }
  uint16_t port() const { return port_; }
  // Server name -> status ("UP", "DOWN", ...) from the CSV stats.
  std::vector<std::pair<std::string, std::string>> ServerStates() const;
  ChildProcess& process() { return process_; }

 private:
  std::string dir_;
  std::vector<Server> servers_;
  uint16_t port_ = 0;
  uint16_t stats_port_ = 0;
  ChildProcess process_{"haproxy"};
};

// The real yardctl binary against one control plane.
class Yardctl {
 public:
  Yardctl(std::string server, std::string dir) : server_(std::move(server)), dir_(std::move(dir)) {}
  void set_server(std::string server) { server_ = std::move(server); }

  // yardctl --server S ARGS...
  CommandResult Run(const std::vector<std::string>& args) const;
  // Writes `yaml` to a fresh file and runs `apply -f FILE --message ... EXTRA...`.
  CommandResult Apply(const std::string& yaml, const std::vector<std::string>& extra = {}) const;
  // `status -o json` parsed; nullopt (with the output in *error) when it fails.
  std::optional<nlohmann::json> StatusJson(std::string* error = nullptr) const;
  // The version an `apply` reports it stored, read from its output; 0 if none is found.
  static uint64_t AppliedVersion(const CommandResult& apply);

 private:
  std::string server_;
  std::string dir_;
  mutable int files_ = 0;
};

// A JSON number, or a string of digits (proto3 JSON writes 64-bit integers as strings).
uint64_t JsonUint(const nlohmann::json& j, std::string_view key);

// Frees a port the kernel picked (bound, then closed), for programs that cannot report
// the port they bound (HAProxy). Another process could take it in between; on a test
// machine that is unlikely, and the start then fails loudly.
uint16_t PickFreePort();

}  // namespace switchyard::e2e

#endif  // SWITCHYARD_TESTS_E2E_SUPPORT_COMPONENTS_H_
