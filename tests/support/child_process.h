// Programs under test as child processes: long-running servers (switchyard-proxy,
// switchyard-control, HAProxy, deploy/local/up.sh) and one-shot commands (yardctl).
//
// Every child is started with fork/exec from argv prepared before the fork (test processes
// have threads, so the child may only make async-signal-safe calls until exec), gets
// PR_SET_PDEATHSIG so it cannot outlive a crashed or timed-out test, and is stopped by its
// PID only: never by name, which could hit another test's processes on the same machine.
//
// ProxyProcess (proxy_process.h), ControlPlaneProcess
// (controlplane/testing/control_plane_process.h) and the e2e components are built on this.
#ifndef SWITCHYARD_TESTS_SUPPORT_CHILD_PROCESS_H_
#define SWITCHYARD_TESTS_SUPPORT_CHILD_PROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/socket.h"

namespace switchyard::testing {

// A fresh directory under $TEST_TMPDIR (or /tmp) whose name starts with `prefix`; empty
// (with errno set) when it cannot be created.
std::string MakeTempDir(std::string_view prefix = "switchyard_test");
// Writes `contents` to `path`; false on error.
bool WriteFile(const std::string& path, const std::string& contents);
// The whole file, or empty if it cannot be read.
std::string ReadFile(const std::string& path);
// The last `max_bytes` of a file ("..." in front when cut), for failure messages.
std::string FileTail(const std::string& path, size_t max_bytes);

// The first sanitizer report in a child's stderr (ThreadSanitizer, AddressSanitizer,
// LeakSanitizer or UBSan's "runtime error:"), up to `max_bytes` of it; empty when there is
// none. Under `--config=asan` or `--config=tsan` the programs a test starts are sanitized
// too, and a report at exit (a leak, a race during shutdown) changes nothing a test could
// otherwise see.
std::string SanitizerReport(std::string_view stderr_text, size_t max_bytes = 8000);

// The directory that holds this workspace's runfiles (also a --bin-dir for
// deploy/local/up.sh). Works under `bazel test` and when a test runs straight from
// bazel-bin, where the runfiles tree sits next to the binary.
std::string RunfilesWorkspaceDir();
// The runfiles copy of a file of this workspace, e.g. "dataplane/switchyard-proxy".
std::string RunfilePath(std::string_view workspace_relative);
// $`env_var` when set and not empty (to try another build of a program), else
// RunfilePath(workspace_relative).
std::string BinaryPath(const char* env_var, std::string_view workspace_relative);

// True if `flags` sets `name` ("--listen" matches "--listen" and "--listen=..."), so a
// launcher adds its own default only when the test did not choose.
bool HasFlag(const std::vector<std::string>& flags, std::string_view name);

// How a child process ended.
struct ExitStatus {
  bool exited = false;  // false: still running (or never started)
  int code = -1;        // exit code when it exited normally
  int signal = 0;       // terminating signal, if any
  std::string DebugString() const;
};

// A long-running child. Not thread-safe: use one object from one thread.
class ChildProcess {
 public:
  struct Options {
    // Files the child's stdout and stderr are appended to (appended, so a restarted
    // child's output follows the previous run's). The same path for both interleaves them
    // as written. Empty: the test's own stdout or stderr.
    std::string stdout_path;
    std::string stderr_path;
    // What the child gets if this process dies first: SIGKILL, or SIGTERM for a script
    // that must clean up after itself.
    int death_signal = SIGKILL;
    // What Stop() (and the destructor) gives SIGTERM before sending SIGKILL.
    Clock::duration stop_grace = std::chrono::seconds(10);
  };

  // A file the child writes once it serves, one port a line: how a server told to listen
  // on port 0 says where it listens (--ready_file of switchyard-proxy and
  // switchyard-control).
  struct ReadyFile {
    std::string path;
    // How many lines to read (e.g. 2: a proxy's listen and admin ports).
    size_t ports = 1;
    Clock::duration timeout = std::chrono::seconds(20);
  };

  // `name` starts error messages ("haproxy: ...").
  explicit ChildProcess(std::string name) : name_(std::move(name)) {}
  // Stops the child (SIGTERM, then SIGKILL) if it still runs.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts argv[0] with `argv`. False, with *error saying why, when argv[0] is not an
  // executable file, a log file cannot be opened, fork fails, or a child from an earlier
  // Start still runs.
  bool Start(std::vector<std::string> argv, const Options& options, std::string* error);
  // Start with stdout and stderr both going to `log_path`.
  bool Start(std::vector<std::string> argv, const std::string& log_path, std::string* error,
             int death_signal = SIGKILL);
  // Start, then wait until the first `ready.ports` lines of `ready.path` name ports that
  // accept connections on 127.0.0.1, which go to *ports. Only a port that accepts proves
  // the file was not caught half-written and that the child serves. A file left by an
  // earlier run is removed first: its ports are stale. False, with *error saying why (the
  // child's stderr included), when the child does not start, "exited before becoming
  // ready", or "did not write a usable port" in time (it is stopped then).
  bool StartAndWaitForReadyFile(std::vector<std::string> argv, const Options& options,
                                const ReadyFile& ready, std::vector<uint16_t>* ports,
                                std::string* error);

  enum class WaitResult { kReady, kExited, kTimedOut };
  // Polls `ready` until it returns true, the child exits, or `timeout` passes. The child
  // is left running on a timeout: the caller reads its log first, then stops it.
  WaitResult WaitUntilReady(const std::function<bool()>& ready, Clock::duration timeout);

  const std::string& name() const { return name_; }
  // The last child's PID (kept after it exited); -1 before the first Start.
  pid_t pid() const { return pid_; }
  const std::vector<std::string>& argv() const { return argv_; }
  const std::string& stdout_path() const { return options_.stdout_path; }
  const std::string& stderr_path() const { return options_.stderr_path; }

  // True while the child has not exited; reaps it when it has.
  bool Running();
  // Sends `signal` to the child (nothing if it has exited).
  void Signal(int signal);
  // Waits up to `timeout` for the child to exit on its own.
  ExitStatus WaitForExit(Clock::duration timeout);
  // SIGTERM, up to Options::stop_grace to exit, then SIGKILL. Harmless when not running.
  ExitStatus Stop();
  // SIGKILL and reap.
  ExitStatus Kill();
  const ExitStatus& exit_status() const { return exit_status_; }
  // True once the harness signalled the child; an exit before that was its own doing.
  bool signalled() const { return signalled_; }

  // The end of what the child wrote to stderr (everything, with a single log file), for
  // failure messages.
  std::string LogTail(size_t max_bytes = 4000) const;
  // A field of /proc/PID/status in KiB (e.g. "VmHWM", the peak resident set); -1 when the
  // child is not running or the field is missing.
  int64_t ProcStatusKb(std::string_view field) const;

 private:
  std::string name_;
  Options options_;
  std::vector<std::string> argv_;
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
  std::string stdout_text;
  std::string stderr_text;
  // stdout and stderr together, in the order this process read them (a launcher error
  // when the command did not start).
  std::string output;
  Clock::duration elapsed{};
  // "exit 4 after 35 ms: <output>", for failure messages.
  std::string DebugString() const;
};

struct CommandOptions {
  Clock::duration timeout = std::chrono::seconds(30);
  // When set, the command's whole environment (nothing inherited, not even PATH);
  // otherwise it inherits this process's.
  std::optional<std::map<std::string, std::string>> env;
};

// Runs `argv` (argv[0] is the program's path) to completion with its output captured,
// stdin at /dev/null; killed after `options.timeout`, and when this process dies.
CommandResult RunCommand(const std::vector<std::string>& argv, const CommandOptions& options);
CommandResult RunCommand(const std::vector<std::string>& argv,
                         Clock::duration timeout = std::chrono::seconds(30));

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_CHILD_PROCESS_H_
