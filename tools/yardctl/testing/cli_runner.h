// Runs yardctl in-process (RunYardctl) with captured stdout and stderr, an environment
// of the test's choosing and a fixed clock, the way a test asserts on a command's
// output and exit code without a child process.
#ifndef SWITCHYARD_TOOLS_YARDCTL_TESTING_CLI_RUNNER_H_
#define SWITCHYARD_TOOLS_YARDCTL_TESTING_CLI_RUNNER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/yardctl/admin_client.h"
#include "tools/yardctl/grpc_admin_client.h"

namespace switchyard::yardctl::testing {

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
  // For failure messages: "exit 3\nstdout:\n...\nstderr:\n...".
  std::string DebugString() const;
};

struct CliOptions {
  // The whole environment the command sees (nothing is inherited from the test).
  // YARDCTL_INSECURE: the scripted servers are plaintext on loopback.
  std::map<std::string, std::string> env = {{"USER", "tester"}, {"YARDCTL_INSECURE", "1"}};
  std::string hostname = "testhost";
  // What "-f -" reads.
  std::string stdin_text;
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  // Called instead of opening a connection when set; lets a test prove a command made
  // none (validate) by failing here.
  std::function<std::unique_ptr<AdminClient>(const GrpcClientOptions&)> connect;
};

CliResult RunCli(const std::vector<std::string>& args, const CliOptions& options = {});

// Writes `contents` to a new file under $TEST_TMPDIR and returns its path.
std::string WriteTempFile(const std::string& name, const std::string& contents);

}  // namespace switchyard::yardctl::testing

#endif  // SWITCHYARD_TOOLS_YARDCTL_TESTING_CLI_RUNNER_H_
