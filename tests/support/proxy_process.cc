#include "tests/support/proxy_process.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace switchyard::testing {

std::string ProxyBinaryPath() {
  return BinaryPath("SWITCHYARD_PROXY_BIN", "dataplane/switchyard-proxy");
}

ProxyProcess::ProxyProcess(std::string config_yaml, std::vector<std::string> flags)
    : ProxyProcess(std::move(config_yaml), std::move(flags), Options()) {}

ProxyProcess::ProxyProcess(std::string config_yaml, std::vector<std::string> flags, Options options)
    : config_yaml_(std::move(config_yaml)),
      flags_(std::move(flags)),
      options_(std::move(options)) {}

ProxyProcess::~ProxyProcess() { Stop(); }

bool ProxyProcess::Start(std::string* error) {
  const std::string binary = options_.binary.empty() ? ProxyBinaryPath() : options_.binary;
  // Checked here as well as by ChildProcess, for the hint on how to point at a binary.
  if (binary.empty() || ::access(binary.c_str(), X_OK) != 0) {
    *error = "proxy binary not found or not executable: '" + binary +
             "' (set SWITCHYARD_PROXY_BIN or run under bazel test)";
    return false;
  }
  const std::string dir = MakeTempDir();
  if (dir.empty()) {
    *error = std::string("mkdtemp failed: ") + std::strerror(errno);
    return false;
  }
  const std::string config_path = dir + "/config.yaml";
  const std::string ready_path = dir + "/ready";
  if (!WriteFile(config_path, config_yaml_)) {
    *error = "cannot write " + config_path;
    return false;
  }

  std::vector<std::string> argv = {binary, "--config=" + config_path, "--ready_file=" + ready_path};
  if (!HasFlag(flags_, "--listen")) argv.push_back("--listen=127.0.0.1:0");
  if (!HasFlag(flags_, "--workers")) {
    argv.push_back("--workers=" + std::to_string(options_.workers));
  }
  // No load balancer to tell: stopping needs no grace period (tests that drain set it).
  if (!HasFlag(flags_, "--drain_grace_period")) argv.push_back("--drain_grace_period=0s");
  argv.insert(argv.end(), flags_.begin(), flags_.end());
  std::vector<uint16_t> ports;
  if (!child_.StartAndWaitForReadyFile(std::move(argv),
                                       {.stdout_path = dir + "/stdout.log",
                                        .stderr_path = dir + "/stderr.log",
                                        .stop_grace = options_.stop_grace},
                                       {.path = ready_path,
                                        // Line 3 (--listen_tls) follows line 2 (--admin).
                                        .ports = HasFlag(flags_, "--listen_tls") ? 3u
                                                 : HasFlag(flags_, "--admin")    ? 2u
                                                                                 : 1u,
                                        .timeout = options_.ready_timeout},
                                       &ports, error)) {
    return false;
  }
  port_ = ports[0];
  if (ports.size() > 1) admin_port_ = ports[1];
  if (ports.size() > 2) tls_port_ = ports[2];
  return true;
}

std::string ProxyProcess::StderrContents() const {
  return child_.stderr_path().empty() ? "" : ReadFile(child_.stderr_path());
}

std::string ProxyProcess::StdoutContents() const {
  return child_.stdout_path().empty() ? "" : ReadFile(child_.stdout_path());
}

std::string ProxyProcess::StderrTail(size_t max_bytes) const { return child_.LogTail(max_bytes); }

ExitStatus ProxyProcess::TerminateAndWait(Clock::duration timeout) {
  child_.Signal(SIGTERM);
  return child_.WaitForExit(timeout);
}

ExitStatus ProxyProcess::Stop() { return child_.Stop(); }

RunResult RunProxyExpectingExit(const std::string& config_yaml, std::vector<std::string> flags,
                                Clock::duration timeout) {
  ProxyProcess::Options options;
  options.ready_timeout = timeout;
  ProxyProcess proxy(config_yaml, std::move(flags), options);
  RunResult result;
  std::string error;
  result.became_ready = proxy.Start(&error);
  if (result.became_ready) proxy.Stop();
  result.status = proxy.exit_status();
  result.exited_by_itself = result.status.exited && !proxy.signalled();
  result.stderr_text = proxy.StderrContents();
  if (result.stderr_text.empty() && !result.status.exited) result.stderr_text = error;
  return result;
}

}  // namespace switchyard::testing
