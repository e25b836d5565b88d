#include "tests/support/proxy_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace switchyard::testing {
namespace {

bool HasFlag(const std::vector<std::string>& flags, const std::string& name) {
  for (const std::string& f : flags) {
    if (f == name || f.rfind(name + "=", 0) == 0) return true;
  }
  return false;
}

ExitStatus FromWaitStatus(int status) {
  ExitStatus s;
  s.exited = true;
  if (WIFEXITED(status)) s.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  return s;
}

// A port number in the ready file, once it is fully written. Returns 0 otherwise.
uint16_t ParsePort(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
  uint32_t port = 0;
  size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i, ++digits) {
    port = port * 10 + static_cast<uint32_t>(text[i] - '0');
    if (port > 65535) return 0;
  }
  return digits > 0 ? static_cast<uint16_t>(port) : 0;
}

}  // namespace

std::string ExitStatus::DebugString() const {
  if (!exited) return "still running";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit code " + std::to_string(code);
}

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/switchyard_test_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

bool WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  return static_cast<bool>(out);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ProxyBinaryPath() {
  if (const char* env = std::getenv("SWITCHYARD_PROXY_BIN"); env != nullptr && *env != '\0') {
    return env;
  }
  const char* rel = "/switchyard/dataplane/switchyard-proxy";
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    if (const char* dir = std::getenv(var); dir != nullptr && *dir != '\0') {
      return std::string(dir) + rel;
    }
  }
  // Run directly from bazel-bin: the runfiles tree sits next to the test binary.
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) return std::string(self, static_cast<size_t>(n)) + ".runfiles" + rel;
  return "";
}

ProxyProcess::ProxyProcess(std::string config_yaml, std::vector<std::string> flags)
    : ProxyProcess(std::move(config_yaml), std::move(flags), Options()) {}

ProxyProcess::ProxyProcess(std::string config_yaml, std::vector<std::string> flags, Options options)
    : config_yaml_(std::move(config_yaml)), flags_(std::move(flags)), options_(options) {}

ProxyProcess::~ProxyProcess() { Stop(); }

bool ProxyProcess::Start(std::string* error) {
  const std::string binary = options_.binary.empty() ? ProxyBinaryPath() : options_.binary;
  if (binary.empty() || ::access(binary.c_str(), X_OK) != 0) {
    *error = "proxy binary not found or not executable: '" + binary +
             "' (set SWITCHYARD_PROXY_BIN or run under bazel test)";
    return false;
  }
  dir_ = MakeTempDir();
  if (dir_.empty()) {
    *error = std::string("mkdtemp failed: ") + std::strerror(errno);
    return false;
  }
  config_path_ = dir_ + "/config.yaml";
  ready_path_ = dir_ + "/ready";
  stdout_path_ = dir_ + "/stdout.log";
  stderr_path_ = dir_ + "/stderr.log";
  if (!WriteFile(config_path_, config_yaml_)) {
    *error = "cannot write " + config_path_;
    return false;
  }

  argv_ = {binary, "--config=" + config_path_, "--ready_file=" + ready_path_};
  if (!HasFlag(flags_, "--listen")) argv_.push_back("--listen=127.0.0.1:0");
  if (!HasFlag(flags_, "--workers"))
    argv_.push_back("--workers=" + std::to_string(options_.workers));
  argv_.insert(argv_.end(), flags_.begin(), flags_.end());

  // Everything the child needs is prepared before fork(): the parent has threads, so the
  // child may only make async-signal-safe calls until exec.
  std::vector<char*> cargv;
  for (std::string& a : argv_) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const int out_fd = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err_fd = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0 || err_fd < 0) {
    *error = "cannot create log files in " + dir_;
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0) ::close(err_fd);
    return false;
  }
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // If the test binary dies (crash, Bazel timeout) the proxy must not outlive it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  if (pid_ < 0) {
    *error = std::string("fork failed: ") + std::strerror(errno);
    return false;
  }

  const auto deadline = Clock::now() + options_.ready_timeout;
  for (;;) {
    if (!Running()) {
      *error = "proxy exited before becoming ready (" + exit_status_.DebugString() + ")\nargv:";
      for (const std::string& a : argv_) *error += " " + a;
      *error += "\nstderr:\n" + StderrTail();
      return false;
    }
    // The file may be caught half-written, so a port only counts once it accepts.
    const uint16_t port = ParsePort(ReadFile(ready_path_));
    if (port != 0 && Socket::Connect(port, std::chrono::seconds(1)).valid()) {
      port_ = port;
      return true;
    }
    if (Clock::now() >= deadline) {
      *error =
          "proxy did not write a usable port to --ready_file within the timeout; ready "
          "file holds '" +
          ReadFile(ready_path_) + "'\nstderr:\n" + StderrTail();
      Stop();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string ProxyProcess::StderrContents() const {
  return stderr_path_.empty() ? "" : ReadFile(stderr_path_);
}

std::string ProxyProcess::StdoutContents() const {
  return stdout_path_.empty() ? "" : ReadFile(stdout_path_);
}

std::string ProxyProcess::StderrTail(size_t max_bytes) const {
  std::string s = StderrContents();
  if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
  return s;
}

int64_t ProxyProcess::ReadStatusKb(const char* key) const {
  if (pid_ <= 0 || exit_status_.exited) return -1;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  const std::string prefix = std::string(key) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::strtoll(line.c_str() + prefix.size(), nullptr, 10);
  }
  return -1;
}

int64_t ProxyProcess::PeakRssKb() const { return ReadStatusKb("VmHWM"); }
int64_t ProxyProcess::RssKb() const { return ReadStatusKb("VmRSS"); }

bool ProxyProcess::Running() {
  if (pid_ <= 0 || exit_status_.exited) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = FromWaitStatus(status);
    return false;
  }
  return r == 0;
}

ExitStatus ProxyProcess::WaitForExit(Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Running()) {
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_status_;
}

ExitStatus ProxyProcess::TerminateAndWait(Clock::duration timeout) {
  if (Running()) {
    signalled_ = true;
    ::kill(pid_, SIGTERM);
  }
  return WaitForExit(timeout);
}

ExitStatus ProxyProcess::Stop() {
  if (!Running()) return exit_status_;
  TerminateAndWait(options_.stop_grace);
  if (Running()) {
    signalled_ = true;
    ::kill(pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) exit_status_ = FromWaitStatus(status);
  }
  return exit_status_;
}

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
