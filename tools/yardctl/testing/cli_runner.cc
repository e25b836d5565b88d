#include "tools/yardctl/testing/cli_runner.h"

#include <sstream>

#include "tests/support/child_process.h"
#include "tools/yardctl/context.h"
#include "tools/yardctl/yardctl.h"

namespace switchyard::yardctl::testing {

std::string CliResult::DebugString() const {
  return "exit " + std::to_string(code) + "\nstdout:\n" + out + "\nstderr:\n" + err;
}

CliResult RunCli(const std::vector<std::string>& args, const CliOptions& options) {
  std::ostringstream out;
  std::ostringstream err;
  std::istringstream in(options.stdin_text);
  Environment env;
  env.out = &out;
  env.err = &err;
  env.in = &in;
  env.getenv = [&options](const std::string& name) -> std::optional<std::string> {
    auto it = options.env.find(name);
    if (it == options.env.end()) return std::nullopt;
    return it->second;
  };
  env.hostname = [&options] { return options.hostname; };
  env.now = [&options] { return options.now; };
  env.connect = options.connect ? options.connect : NewGrpcAdminClient;
  CliResult result;
  result.code = RunYardctl(args, env);
  result.out = out.str();
  result.err = err.str();
  return result;
}

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  const std::string dir = ::switchyard::testing::MakeTempDir("yardctl");
  if (dir.empty()) return "";
  const std::string path = dir + "/" + name;
  return ::switchyard::testing::WriteFile(path, contents) ? path : "";
}

}  // namespace switchyard::yardctl::testing
