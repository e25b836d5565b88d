#include "tests/support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace switchyard::testing {
namespace {

constexpr char kWorkspace[] = "switchyard";

ExitStatus FromWaitStatus(int status) {
  ExitStatus s;
  s.exited = true;
  if (WIFEXITED(status)) s.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  return s;
}

std::vector<char*> CArgv(std::vector<std::string>& argv) {
  std::vector<char*> out;
  out.reserve(argv.size() + 1);
  for (std::string& a : argv) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

bool IsExecutable(const std::vector<std::string>& argv) {
  return !argv.empty() && ::access(argv[0].c_str(), X_OK) == 0;
}

// Opened before the fork, so the child only has to dup2 it.
int OpenLog(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

// In the child between fork and exec: only async-signal-safe calls. Dies with
// `death_signal` when the forking thread of `parent` dies, and never runs if that already
// happened. An fd of -1 leaves that stream as it is.
void PrepareChild(pid_t parent, int death_signal, int out_fd, int err_fd) {
  ::prctl(PR_SET_PDEATHSIG, death_signal);
  if (::getppid() != parent) ::_exit(126);
  // The parent may have blocked signals (e.g. for sigwait); a server needs defaults.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (out_fd >= 0) ::dup2(out_fd, STDOUT_FILENO);
  if (err_fd >= 0) ::dup2(err_fd, STDERR_FILENO);
  // A child that reads stdin must not steal the test runner's.
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
}

// fork + PrepareChild + exec; the child's PID, or -1 with errno set. `envp` null: the
// child inherits this process's environment.
pid_t Spawn(std::vector<char*>& cargv, char* const* envp, int death_signal, int out_fd,
            int err_fd) {
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    PrepareChild(parent, death_signal, out_fd, err_fd);
    if (envp != nullptr) {
      ::execve(cargv[0], cargv.data(), envp);
    } else {
      ::execv(cargv[0], cargv.data());
    }
    ::_exit(127);
  }
  return pid;
}

// Reads both pipes until each reaches EOF (the command, and anything it spawned that
// kept them, closed them) or `deadline` passes; false on the deadline.
bool ReadUntilEof(int out_fd, int err_fd, Clock::time_point deadline, CommandResult& result) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* streams[2] = {&result.stdout_text, &result.stderr_text};
  char buffer[16 * 1024];
  int open_count = 2;
  while (open_count > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    const int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready <= 0) continue;  // EINTR or timeout: the loop rechecks the deadline
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_count;
        continue;
      }
      streams[i]->append(buffer, static_cast<size_t>(n));
      result.output.append(buffer, static_cast<size_t>(n));
    }
  }
  return true;
}

// Line `index` (0-based) of `text` as a port: 1 to 5 digits, 1..65535; 0 otherwise.
uint16_t PortOnLine(const std::string& text, size_t index) {
  std::istringstream in(text);
  std::string line;
  for (size_t i = 0; i <= index; ++i) {
    if (!std::getline(in, line)) return 0;
  }
  if (line.empty() || line.size() > 5) return 0;
  uint32_t value = 0;
  for (char c : line) {
    if (c < '0' || c > '9') return 0;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  return value <= 65535 ? static_cast<uint16_t>(value) : 0;
}

// The ports on the first `count` lines of a ready file once every one of them accepts a
// connection; empty before that.
std::vector<uint16_t> ReadyPorts(const std::string& ready_file, size_t count) {
  const std::string text = ReadFile(ready_file);
  std::vector<uint16_t> ports;
  for (size_t i = 0; i < count; ++i) {
    const uint16_t port = PortOnLine(text, i);
    if (port == 0 || !Socket::Connect(port, std::chrono::seconds(1)).valid()) return {};
    ports.push_back(port);
  }
  return ports;
}

}  // namespace

std::string MakeTempDir(std::string_view prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" +
                     std::string(prefix) + "_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

bool WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  return static_cast<bool>(out);
}

std::string SanitizerReport(std::string_view stderr_text, size_t max_bytes) {
  size_t first = std::string_view::npos;
  for (std::string_view marker : {"WARNING: ThreadSanitizer", "ERROR: AddressSanitizer",
                                  "ERROR: LeakSanitizer", "runtime error:"}) {
    first = std::min(first, stderr_text.find(marker));
  }
  if (first == std::string_view::npos) return "";
  // From the start of the line that holds the marker.
  const size_t line = stderr_text.rfind('\n', first);
  return std::string(stderr_text.substr(line == std::string_view::npos ? 0 : line + 1, max_bytes));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string FileTail(const std::string& path, size_t max_bytes) {
  std::string s = path.empty() ? "" : ReadFile(path);
  if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
  return s;
}

std::string RunfilesWorkspaceDir() {
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    if (const char* dir = std::getenv(var); dir != nullptr && *dir != '\0') {
      return std::string(dir) + "/" + kWorkspace;
    }
  }
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) return std::string(self, static_cast<size_t>(n)) + ".runfiles/" + kWorkspace;
  return "";
}

std::string RunfilePath(std::string_view workspace_relative) {
  return RunfilesWorkspaceDir() + "/" + std::string(workspace_relative);
}

std::string BinaryPath(const char* env_var, std::string_view workspace_relative) {
  if (const char* env = std::getenv(env_var); env != nullptr && *env != '\0') return env;
  return RunfilePath(workspace_relative);
}

bool HasFlag(const std::vector<std::string>& flags, std::string_view name) {
  for (const std::string_view f : flags) {
    if (f.substr(0, name.size()) == name && (f.size() == name.size() || f[name.size()] == '=')) {
      return true;
    }
  }
  return false;
}

std::string ExitStatus::DebugString() const {
  if (!exited) return "still running";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit code " + std::to_string(code);
}

ChildProcess::~ChildProcess() { Stop(); }

bool ChildProcess::Start(std::vector<std::string> argv, const std::string& log_path,
                         std::string* error, int death_signal) {
  return Start(std::move(argv),
               {.stdout_path = log_path, .stderr_path = log_path, .death_signal = death_signal},
               error);
}

bool ChildProcess::Start(std::vector<std::string> argv, const Options& options,
                         std::string* error) {
  if (Running()) {
    *error = name_ + " is already running (pid " + std::to_string(pid_) + ")";
    return false;
  }
  if (!IsExecutable(argv)) {
    *error = name_ + ": not found or not executable: '" + (argv.empty() ? "" : argv[0]) + "'";
    return false;
  }
  argv_ = std::move(argv);
  options_ = options;
  exit_status_ = ExitStatus();
  signalled_ = false;
  const int out_fd = options_.stdout_path.empty() ? -1 : OpenLog(options_.stdout_path);
  const int err_fd = options_.stderr_path.empty()                   ? -1
                     : options_.stderr_path == options_.stdout_path ? out_fd
                                                                    : OpenLog(options_.stderr_path);
  const auto close_logs = [&] {
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0 && err_fd != out_fd) ::close(err_fd);
  };
  if ((!options_.stdout_path.empty() && out_fd < 0) ||
      (!options_.stderr_path.empty() && err_fd < 0)) {
    *error = name_ + ": cannot open its log files (" + options_.stdout_path + ", " +
             options_.stderr_path + "): " + std::strerror(errno);
    close_logs();
    return false;
  }
  std::vector<char*> cargv = CArgv(argv_);
  const pid_t pid = Spawn(cargv, /*envp=*/nullptr, options_.death_signal, out_fd, err_fd);
  const int fork_errno = errno;
  close_logs();
  if (pid < 0) {
    *error = name_ + ": fork failed: " + std::strerror(fork_errno);
    return false;
  }
  pid_ = pid;
  return true;
}

bool ChildProcess::StartAndWaitForReadyFile(std::vector<std::string> argv, const Options& options,
                                            const ReadyFile& ready, std::vector<uint16_t>* ports,
                                            std::string* error) {
  ::unlink(ready.path.c_str());
  if (!Start(std::move(argv), options, error)) return false;
  const auto have_ports = [&] {
    *ports = ReadyPorts(ready.path, ready.ports);
    return !ports->empty();
  };
  switch (WaitUntilReady(have_ports, ready.timeout)) {
    case WaitResult::kReady:
      return true;
    case WaitResult::kExited:
      *error = name_ + " exited before becoming ready (" + exit_status_.DebugString() + ")\nargv:";
      for (const std::string& a : argv_) *error += " " + a;
      *error += "\nstderr:\n" + LogTail();
      return false;
    case WaitResult::kTimedOut:
      *error = name_ + " did not write a usable port to its ready file " + ready.path + " in " +
               std::to_string(
                   std::chrono::duration_cast<std::chrono::milliseconds>(ready.timeout).count()) +
               " ms; the file holds '" + ReadFile(ready.path) + "'\nstderr:\n" + LogTail();
      Stop();
      return false;
  }
  return false;
}

ChildProcess::WaitResult ChildProcess::WaitUntilReady(const std::function<bool()>& ready,
                                                      Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    // Exit first: whatever a file left behind says, a child that has exited is not ready.
    if (!Running()) return WaitResult::kExited;
    if (ready()) return WaitResult::kReady;
    if (Clock::now() >= deadline) return WaitResult::kTimedOut;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool ChildProcess::Running() {
  if (pid_ <= 0 || exit_status_.exited) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = FromWaitStatus(status);
    return false;
  }
  return r == 0;
}

void ChildProcess::Signal(int signal) {
  if (!Running()) return;
  signalled_ = true;
  ::kill(pid_, signal);
}

ExitStatus ChildProcess::WaitForExit(Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Running() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_status_;
}

ExitStatus ChildProcess::Stop() {
  Signal(SIGTERM);
  WaitForExit(options_.stop_grace);
  return Kill();
}

ExitStatus ChildProcess::Kill() {
  if (!Running()) return exit_status_;
  signalled_ = true;
  ::kill(pid_, SIGKILL);
  int status = 0;
  if (::waitpid(pid_, &status, 0) == pid_) exit_status_ = FromWaitStatus(status);
  return exit_status_;
}

std::string ChildProcess::LogTail(size_t max_bytes) const {
  return FileTail(options_.stderr_path, max_bytes);
}

int64_t ChildProcess::ProcStatusKb(std::string_view field) const {
  if (pid_ <= 0 || exit_status_.exited) return -1;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::strtoll(line.c_str() + prefix.size(), nullptr, 10);
  }
  return -1;
}

std::string CommandResult::DebugString() const {
  std::string out;
  if (!started) {
    out = "not started";
  } else if (timed_out) {
    out = "timed out";
  } else if (signal != 0) {
    out = "killed by signal " + std::to_string(signal);
  } else {
    out = "exit " + std::to_string(exit_code);
  }
  out += " after " +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()) +
         " ms: " + output;
  return out;
}

CommandResult RunCommand(const std::vector<std::string>& argv, Clock::duration timeout) {
  return RunCommand(argv, CommandOptions{.timeout = timeout});
}

CommandResult RunCommand(const std::vector<std::string>& argv, const CommandOptions& options) {
  CommandResult result;
  const auto start = Clock::now();
  if (!IsExecutable(argv)) {
    result.output = "not found or not executable: '" + (argv.empty() ? "" : argv[0]) + "'";
    return result;
  }
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    result.output = std::string("pipe failed: ") + std::strerror(errno);
    return result;
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.output = std::string("pipe failed: ") + std::strerror(errno);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return result;
  }
  // Everything the child needs is built before the fork: the test process has threads,
  // so the child may only make async-signal-safe calls until exec.
  std::vector<std::string> args = argv;
  std::vector<char*> cargv = CArgv(args);
  std::vector<std::string> env_strings;
  std::vector<char*> cenv;
  if (options.env.has_value()) {
    for (const auto& [key, value] : *options.env) {
      env_strings.push_back(std::string(key).append("=").append(value));
    }
    cenv = CArgv(env_strings);
  }
  const pid_t pid =
      Spawn(cargv, cenv.empty() ? nullptr : cenv.data(), SIGKILL, out_pipe[1], err_pipe[1]);
  const int fork_errno = errno;
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    result.output = std::string("fork failed: ") + std::strerror(fork_errno);
    return result;
  }
  result.started = true;
  result.timed_out = !ReadUntilEof(out_pipe[0], err_pipe[0], start + options.timeout, result);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  if (result.timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const ExitStatus exit = FromWaitStatus(status);
  result.exit_code = exit.code;
  result.signal = exit.signal;
  result.elapsed = Clock::now() - start;
  return result;
}

}  // namespace switchyard::testing
