// The real switchyard-proxy binary as a child process (a ChildProcess, child_process.h).
//
// The config is written to a temp file, the binary is started with --listen on port 0
// and a --ready_file, and start-up waits for that file to hold the bound port. stdout and
// stderr go to files so a test can show them when the proxy misbehaves.
//
// The file helpers (MakeTempDir, ReadFile, WriteFile) and ExitStatus, long reached through
// this header, live in child_process.h, which it includes.
#ifndef SWITCHYARD_TESTS_SUPPORT_PROXY_PROCESS_H_
#define SWITCHYARD_TESTS_SUPPORT_PROXY_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/socket.h"

namespace switchyard::testing {

// $SWITCHYARD_PROXY_BIN, else the runfiles copy of //dataplane:switchyard-proxy.
std::string ProxyBinaryPath();

class ProxyProcess {
 public:
  struct Options {
    // Added unless `flags` already set them.
    int workers = 1;
    Clock::duration ready_timeout = std::chrono::seconds(20);
    // Time SIGTERM is given before SIGKILL.
    Clock::duration stop_grace = std::chrono::seconds(5);
    // Empty: ProxyBinaryPath().
    std::string binary;
  };

  ProxyProcess(std::string config_yaml, std::vector<std::string> flags = {});
  ProxyProcess(std::string config_yaml, std::vector<std::string> flags, Options options);
  // Stops the proxy (SIGTERM, then SIGKILL after the grace period).
  ~ProxyProcess();
  ProxyProcess(const ProxyProcess&) = delete;
  ProxyProcess& operator=(const ProxyProcess&) = delete;

  // Launches and waits for the ready file. False (with *error explaining, stderr included)
  // if the binary is missing, exits early, or does not become ready in time.
  bool Start(std::string* error);

  pid_t pid() const { return child_.pid(); }
  uint16_t port() const { return port_; }
  // The admin port when the flags set --admin (e.g. "--admin=127.0.0.1:0"), else 0.
  uint16_t admin_port() const { return admin_port_; }
  // The TLS port when the flags set --listen_tls (which then needs --admin too: the ready
  // file's third line follows its second), else 0.
  uint16_t tls_port() const { return tls_port_; }
  bool started() const { return port_ != 0; }
  const std::vector<std::string>& argv() const { return child_.argv(); }

  std::string StderrContents() const;
  std::string StdoutContents() const;
  // The last `max_bytes` of stderr, for failure messages.
  std::string StderrTail(size_t max_bytes = 4000) const;

  // Peak resident set size (VmHWM) and current RSS (VmRSS) in KiB; -1 if unavailable.
  int64_t PeakRssKb() const { return child_.ProcStatusKb("VmHWM"); }
  int64_t RssKb() const { return child_.ProcStatusKb("VmRSS"); }

  // True while the child has not exited. Reaps it if it has.
  bool Running() { return child_.Running(); }
  // SIGTERM, wait up to the grace period, then SIGKILL. Returns how it ended.
  ExitStatus Stop();
  // Sends SIGTERM and waits up to `timeout` without escalating.
  ExitStatus TerminateAndWait(Clock::duration timeout);
  // Waits for the child to exit on its own.
  ExitStatus WaitForExit(Clock::duration timeout) { return child_.WaitForExit(timeout); }
  const ExitStatus& exit_status() const { return child_.exit_status(); }
  // True once the harness has sent a signal; an exit before that was the proxy's own.
  bool signalled() const { return child_.signalled(); }

 private:
  std::string config_yaml_;
  std::vector<std::string> flags_;
  Options options_;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
  uint16_t tls_port_ = 0;
  ChildProcess child_{"switchyard-proxy"};
};

// Runs the proxy with `config_yaml` expecting it to refuse to start: returns how it ended
// within `timeout` (exit_status().exited false if it was still running, after which it is
// killed) and its stderr.
struct RunResult {
  ExitStatus status;
  // It exited before the harness sent any signal.
  bool exited_by_itself = false;
  bool became_ready = false;
  std::string stderr_text;
};
RunResult RunProxyExpectingExit(const std::string& config_yaml, std::vector<std::string> flags = {},
                                Clock::duration timeout = std::chrono::seconds(10));

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_PROXY_PROCESS_H_
