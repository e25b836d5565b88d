#include "controlplane/testing/control_plane_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace switchyard::controlplane::testing {
namespace {

using Clock = std::chrono::steady_clock;

bool HasFlag(const std::vector<std::string>& flags, const std::string& name) {
  for (const std::string& f : flags) {
    if (f == name || f.rfind(name + "=", 0) == 0) return true;
  }
  return false;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The port in a ready file, or 0 if it holds none (missing, or not written yet).
uint16_t ParsePort(const std::string& text) {
  uint32_t port = 0;
  size_t digits = 0;
  for (char c : text) {
    if (c < '0' || c > '9') break;
    port = port * 10 + static_cast<uint32_t>(c - '0');
    if (++digits > 5 || port > 65535) return 0;
  }
  return static_cast<uint16_t>(port);
}

bool AcceptsConnections(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

ControlPlaneProcess::ExitStatus FromWaitStatus(int status) {
  ControlPlaneProcess::ExitStatus s;
  s.exited = true;
  if (WIFEXITED(status)) s.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  return s;
}

}  // namespace

std::string ControlPlaneProcess::ExitStatus::DebugString() const {
  if (!exited) return "not exited";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit code " + std::to_string(code);
}

std::string ControlPlaneBinaryPath() {
  if (const char* env = std::getenv("SWITCHYARD_CONTROL_BIN"); env != nullptr && *env != '\0') {
    return env;
  }
  const char* rel = "/switchyard/controlplane/switchyard-control";
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    if (const char* dir = std::getenv(var); dir != nullptr && *dir != '\0') {
      return std::string(dir) + rel;
    }
  }
  // Run straight from bazel-bin: the runfiles tree sits next to the test binary.
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) return std::string(self, static_cast<size_t>(n)) + ".runfiles" + rel;
  return "";
}

ControlPlaneProcess::ControlPlaneProcess() : ControlPlaneProcess(Options()) {}

ControlPlaneProcess::ControlPlaneProcess(Options options) : options_(std::move(options)) {}

ControlPlaneProcess::~ControlPlaneProcess() { Stop(); }

bool ControlPlaneProcess::Start(std::string* error) {
  if (pid_ > 0 && Running()) {
    *error = "already running";
    return false;
  }
  if (dir_.empty()) {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                       "/switchyard_control_XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      *error = std::string("mkdtemp: ") + std::strerror(errno);
      return false;
    }
    dir_ = tmpl;
    db_path_ = options_.db_path.empty() ? dir_ + "/switchyard.db" : options_.db_path;
    ready_path_ = dir_ + "/ready";
    stdout_path_ = dir_ + "/stdout.log";
    stderr_path_ = dir_ + "/stderr.log";
  }
  return Launch(error);
}

bool ControlPlaneProcess::Restart(std::string* error) {
  const uint16_t port = port_;
  Stop();
  if (port != 0 && !HasFlag(options_.flags, "--listen")) {
    // Keep the port, so clients (proxies under test) find it again.
    options_.flags.push_back("--listen=127.0.0.1:" + std::to_string(port));
  }
  return Start(error);
}

bool ControlPlaneProcess::Launch(std::string* error) {
  const std::string binary = options_.binary.empty() ? ControlPlaneBinaryPath() : options_.binary;
  if (binary.empty() || ::access(binary.c_str(), X_OK) != 0) {
    *error = "switchyard-control not found or not executable at '" + binary +
             "' (set SWITCHYARD_CONTROL_BIN, or depend on //controlplane/testing:"
             "control_plane_process, which brings it into runfiles)";
    return false;
  }
  ::unlink(ready_path_.c_str());
  argv_ = {binary};
  if (!HasFlag(options_.flags, "--listen")) argv_.push_back("--listen=127.0.0.1:0");
  if (!HasFlag(options_.flags, "--db")) argv_.push_back("--db=" + db_path_);
  if (!HasFlag(options_.flags, "--ready_file")) argv_.push_back("--ready_file=" + ready_path_);
  argv_.insert(argv_.end(), options_.flags.begin(), options_.flags.end());

  // Prepared before fork: the test process has threads, so the child may only make
  // async-signal-safe calls until exec.
  std::vector<char*> cargv;
  for (std::string& a : argv_) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  const int out_fd = ::open(stdout_path_.c_str(), flags, 0644);
  const int err_fd = ::open(stderr_path_.c_str(), flags, 0644);
  if (out_fd < 0 || err_fd < 0) {
    *error = "cannot create log files in " + dir_;
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0) ::close(err_fd);
    return false;
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Never outlive the test, even if it crashes or Bazel kills it on timeout.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  pid_ = pid;
  port_ = 0;
  exit_status_ = ExitStatus();

  const auto deadline = Clock::now() + options_.ready_timeout;
  for (;;) {
    if (!Running()) {
      *error = "switchyard-control exited before it was ready (" + exit_status_.DebugString() +
               ")\nstderr:\n" + StderrTail();
      return false;
    }
    // The file is renamed into place whole, so a port read here is final.
    const uint16_t port = ParsePort(ReadWholeFile(ready_path_));
    if (port != 0 && AcceptsConnections(port)) {
      port_ = port;
      return true;
    }
    if (Clock::now() >= deadline) {
      *error = "switchyard-control was not ready in time\nstderr:\n" + StderrTail();
      Stop();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool ControlPlaneProcess::Running() {
  if (pid_ <= 0 || exit_status_.exited) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = FromWaitStatus(status);
    return false;
  }
  return r == 0;
}

ControlPlaneProcess::ExitStatus ControlPlaneProcess::Stop() {
  if (!Running()) return exit_status_;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + options_.stop_grace;
  while (Running()) {
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      if (::waitpid(pid_, &status, 0) == pid_) exit_status_ = FromWaitStatus(status);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_status_;
}

std::string ControlPlaneProcess::StderrTail(size_t max_bytes) const {
  const std::string all = ReadWholeFile(stderr_path_);
  return all.size() <= max_bytes ? all : all.substr(all.size() - max_bytes);
}

}  // namespace switchyard::controlplane::testing
