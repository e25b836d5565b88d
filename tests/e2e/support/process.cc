#include "tests/e2e/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace switchyard::e2e {
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

// In the child between fork and exec: only async-signal-safe calls. Dies with `signal`
// when the forking thread of `parent` dies, and never runs if that already happened.
void PrepareChild(pid_t parent, int death_signal, int out_fd) {
  ::prctl(PR_SET_PDEATHSIG, death_signal);
  if (::getppid() != parent) ::_exit(126);
  // The parent may have blocked signals (e.g. for sigwait); a server needs defaults.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(out_fd, STDERR_FILENO);
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
}

}  // namespace

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

ChildProcess::~ChildProcess() { Stop(); }

bool ChildProcess::Start(std::vector<std::string> argv, std::string log_path, std::string* error,
                         int death_signal) {
  if (Running()) {
    *error = name_ + " is already running (pid " + std::to_string(pid_) + ")";
    return false;
  }
  if (argv.empty() || ::access(argv[0].c_str(), X_OK) != 0) {
    *error = name_ + ": not found or not executable: '" + (argv.empty() ? "" : argv[0]) + "'";
    return false;
  }
  argv_ = std::move(argv);
  log_path_ = std::move(log_path);
  exit_status_ = ExitStatus();
  signalled_ = false;
  // Appended, so a restarted process's log follows the previous run's.
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    *error = name_ + ": cannot open " + log_path_ + ": " + std::strerror(errno);
    return false;
  }
  std::vector<char*> cargv = CArgv(argv_);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    PrepareChild(parent, death_signal, log_fd);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  if (pid < 0) {
    *error = name_ + ": fork failed: " + std::strerror(errno);
    return false;
  }
  pid_ = pid;
  return true;
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

ExitStatus ChildProcess::Stop(Clock::duration grace) {
  if (!Running()) return exit_status_;
  signalled_ = true;
  ::kill(pid_, SIGTERM);
  WaitForExit(grace);
  if (Running()) return Kill();
  return exit_status_;
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
  std::string s = log_path_.empty() ? "" : ::switchyard::testing::ReadFile(log_path_);
  if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
  return s;
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
  CommandResult result;
  const auto start = Clock::now();
  if (argv.empty() || ::access(argv[0].c_str(), X_OK) != 0) {
    result.output = "not found or not executable: '" + (argv.empty() ? "" : argv[0]) + "'";
    return result;
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.output = std::string("pipe failed: ") + std::strerror(errno);
    return result;
  }
  std::vector<std::string> args = argv;
  std::vector<char*> cargv = CArgv(args);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    PrepareChild(parent, SIGKILL, pipe_fds[1]);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  if (pid < 0) {
    ::close(pipe_fds[0]);
    result.output = std::string("fork failed: ") + std::strerror(errno);
    return result;
  }
  result.started = true;
  // Read until EOF (the command and anything it spawned closed the pipe) or the deadline.
  const auto deadline = start + timeout;
  char buffer[16 * 1024];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd pfd{pipe_fds[0], POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
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

}  // namespace switchyard::e2e
