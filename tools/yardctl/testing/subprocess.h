// Runs a program to completion as a child process (fork/exec) with captured stdout and
// stderr, for tests of the real yardctl binary. The child is killed if it outlives
// `timeout` or the test process.
#ifndef SWITCHYARD_TOOLS_YARDCTL_TESTING_SUBPROCESS_H_
#define SWITCHYARD_TOOLS_YARDCTL_TESTING_SUBPROCESS_H_

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace switchyard::yardctl::testing {

struct ProcessResult {
  // Exit code, or -1 if the child was killed by a signal (then `signal` says which) or
  // could not be started (then `error` says why).
  int code = -1;
  int signal = 0;
  bool timed_out = false;
  std::string out;
  std::string err;
  std::string error;
  std::string DebugString() const;
};

// `argv[0]` is the program's path. The child's environment is exactly `env`.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The runfiles path of a binary of this workspace, e.g. "tools/yardctl/yardctl".
std::string RunfilePath(const std::string& workspace_relative);

}  // namespace switchyard::yardctl::testing

#endif  // SWITCHYARD_TOOLS_YARDCTL_TESTING_SUBPROCESS_H_
