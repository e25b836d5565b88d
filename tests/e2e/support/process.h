// Child processes for the end-to-end suites: long-running servers (switchyard-proxy,
// HAProxy, deploy/local/up.sh) and one-shot commands (yardctl). The control plane has its
// own helper (controlplane/testing/control_plane_process.h).
//
// Every child is started with fork/exec from prepared argv (the test process has threads,
// so the child only makes async-signal-safe calls before exec), gets PR_SET_PDEATHSIG so
// it cannot outlive a crashed or timed-out test, and is stopped by its PID only.
#ifndef SWITCHYARD_TESTS_E2E_SUPPORT_PROCESS_H_
#define SWITCHYARD_TESTS_E2E_SUPPORT_PROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/proxy_process.h"
#include "tests/support/socket.h"

namespace switchyard::e2e {

using ::switchyard::testing::Clock;
using ::switchyard::testing::ExitStatus;

// The runfiles copy of a file of this workspace, e.g. "dataplane/switchyard-proxy".
std::string RunfilePath(std::string_view workspace_relative);
// The directory that holds the workspace's runfiles (a --bin-dir for deploy/local/up.sh).
std::string RunfilesWorkspaceDir();

// A long-running child whose stdout and stderr go to one log file.
class ChildProcess {
 public:
  explicit ChildProcess(std::string name) : name_(std::move(name)) {}
  // Stops the child (SIGTERM, then SIGKILL) if it still runs.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts argv[0] with `argv`. `death_signal` is what the child gets if this process
  // dies first (SIGTERM for a script that must clean up after itself). A child still
  // running from an earlier Start is an error.
  bool Start(std::vector<std::string> argv, std::string log_path, std::string* error,
             int death_signal = SIGKILL);

  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  const std::vector<std::string>& argv() const { return argv_; }

  // True while the child has not exited; reaps it when it has.
  bool Running();
  // Sends `signal` to the child (nothing if it has exited).
  void Signal(int signal);
  // Waits up to `timeout` for the child to exit on its own.
  ExitStatus WaitForExit(Clock::duration timeout);
  // SIGTERM, up to `grace` to exit, then SIGKILL.
  ExitStatus Stop(Clock::duration grace = std::chrono::seconds(10));
  // SIGKILL and reap.
  ExitStatus Kill();
  const ExitStatus& exit_status() const { return exit_status_; }
  // True once the harness signalled the child; an exit before that was its own doing.
  bool signalled() const { return signalled_; }

  // The end of the log, for failure messages.
  std::string LogTail(size_t max_bytes = 4000) const;

 private:
  std::string name_;
  std::vector<std::string> argv_;
  std::string log_path_;
  pid_t pid_ = -1;
  ExitStatus exit_status_;
  bool signalled_ = false;
};

// A finished one-shot command.
struct CommandResult {
  bool started = false;
  bool timed_out = false;
  int exit_code = -1;  // when it exited normally
  int signal = 0;      // when a signal ended it
  std::string output;  // stdout and stderr, interleaved as written
  Clock::duration elapsed{};
  // "exit 4 after 35 ms: <output>", for failure messages.
  std::string DebugString() const;
};

// Runs `argv` to completion, capturing its output; killed after `timeout`.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         Clock::duration timeout = std::chrono::seconds(30));

}  // namespace switchyard::e2e

#endif  // SWITCHYARD_TESTS_E2E_SUPPORT_PROCESS_H_
