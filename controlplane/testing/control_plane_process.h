// The real switchyard-control binary as a child process, for end-to-end tests.
//
//   ControlPlaneProcess cp;
//   std::string error;
//   ASSERT_TRUE(cp.Start(&error)) << error;
//   ... talk gRPC to cp.target() ...
//   ASSERT_TRUE(cp.Restart(&error)) << error;  // same database, same port
//
// It listens on 127.0.0.1 on a free port (--listen=127.0.0.1:0, then the port from
// --ready_file), with a fresh SQLite file under $TEST_TMPDIR unless told otherwise. Its
// stdout and stderr go to files (StderrTail() for failure messages). The destructor stops
// it by PID: SIGTERM, then SIGKILL after a grace period. The child is also killed if the
// test process dies first. Starting and stopping are tests/support's ChildProcess.
//
// Stopping takes up to the binary's --shutdown_grace (5 s) while a client holds an idle
// connection nobody polls: gRPC's graceful shutdown waits for each client to answer a
// ping, and a synchronous client between calls answers only from its 5 s backup poller.
// Close such channels (or keep a read pending) before Stop() for a fast test.
//
// Not thread-safe: use one object from one thread.
#ifndef SWITCHYARD_CONTROLPLANE_TESTING_CONTROL_PLANE_PROCESS_H_
#define SWITCHYARD_CONTROLPLANE_TESTING_CONTROL_PLANE_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace switchyard::controlplane::testing {

// $SWITCHYARD_CONTROL_BIN if set, else the runfiles copy of //controlplane:switchyard-control
// ($TEST_SRCDIR/switchyard/controlplane/switchyard-control).
std::string ControlPlaneBinaryPath();

class ControlPlaneProcess {
 public:
  struct Options {
    // Extra flags, e.g. {"--delta_min_resources=10"}. --listen, --db and --ready_file are
    // supplied unless given here, and --insecure unless --insecure or --tls_ca is.
    std::vector<std::string> flags;
    // Empty: a new file in a new temporary directory.
    std::string db_path;
    // Empty: ControlPlaneBinaryPath().
    std::string binary;
    std::chrono::milliseconds ready_timeout{20'000};
    // Time SIGTERM is given before SIGKILL.
    std::chrono::milliseconds stop_grace{5'000};
  };

  // How the child ended.
  using ExitStatus = ::switchyard::testing::ExitStatus;

  ControlPlaneProcess();
  explicit ControlPlaneProcess(Options options);
  ~ControlPlaneProcess();
  ControlPlaneProcess(const ControlPlaneProcess&) = delete;
  ControlPlaneProcess& operator=(const ControlPlaneProcess&) = delete;

  // Launches the binary and waits until it is serving. False, with `error` saying why
  // (its stderr included), when the binary is missing, exits, or is not ready in time.
  bool Start(std::string* error);
  // Stop(), then Start() again on the same database and the same port.
  bool Restart(std::string* error);
  // SIGTERM, up to stop_grace, then SIGKILL. Returns how it ended; harmless when not running.
  ExitStatus Stop() { return child_.Stop(); }
  // SIGKILL at once: no chance to close streams or flush anything.
  ExitStatus Kill() { return child_.Kill(); }
  // True while the child runs (reaps it once it has exited).
  bool Running() { return child_.Running(); }

  pid_t pid() const { return child_.pid(); }
  uint16_t port() const { return port_; }
  // The /metrics port when the flags set --metrics_listen, else 0.
  uint16_t metrics_port() const { return metrics_port_; }
  // "127.0.0.1:<port>", for grpc::CreateChannel.
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& db_path() const { return db_path_; }
  const std::vector<std::string>& argv() const { return child_.argv(); }
  const ExitStatus& exit_status() const { return child_.exit_status(); }
  // The last `max_bytes` of everything the process (all its runs) wrote to stderr.
  std::string StderrTail(size_t max_bytes = 4000) const { return child_.LogTail(max_bytes); }

 private:
  Options options_;
  std::string dir_;
  std::string db_path_;
  std::string ready_path_;
  uint16_t port_ = 0;
  uint16_t metrics_port_ = 0;
  ::switchyard::testing::ChildProcess child_{"switchyard-control"};
};

}  // namespace switchyard::controlplane::testing

#endif  // SWITCHYARD_CONTROLPLANE_TESTING_CONTROL_PLANE_PROCESS_H_
