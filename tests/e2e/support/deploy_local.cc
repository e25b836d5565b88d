#include "tests/e2e/support/deploy_local.h"

#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "absl/strings/str_split.h"
#include "tests/support/child_process.h"

namespace switchyard::e2e {

using ::switchyard::testing::CommandResult;
using ::switchyard::testing::ReadFile;

CommandResult RunUpSh(const std::vector<std::string>& args, const std::string& state_dir) {
  using ::switchyard::testing::RunfilePath;
  using ::switchyard::testing::RunfilesWorkspaceDir;
  std::vector<std::string> argv = {"/bin/bash", RunfilePath("deploy/local/up.sh")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--state-dir", state_dir, "--bin-dir", RunfilesWorkspaceDir()});
  return ::switchyard::testing::RunCommand(argv, std::chrono::seconds(120));
}

std::map<std::string, std::string> ReadEnvFile(const std::string& path) {
  std::map<std::string, std::string> out;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

uint16_t PortOf(const std::map<std::string, std::string>& env, const std::string& key) {
  const auto it = env.find(key);
  if (it == env.end()) return 0;
  const int64_t port = std::strtol(it->second.c_str(), nullptr, 10);
  return port > 0 && port <= 65535 ? static_cast<uint16_t>(port) : 0;
}

std::vector<RecordedProcess> ReadComponents(const std::string& path) {
  std::vector<RecordedProcess> out;
  for (const absl::string_view line : absl::StrSplit(ReadFile(path), '\n')) {
    const std::vector<std::string> f = absl::StrSplit(line, '\t');
    if (f.size() >= 4) {
      out.push_back({f[0], static_cast<pid_t>(std::strtol(f[2].c_str(), nullptr, 10)), f[3]});
    }
  }
  return out;
}

bool StillRunning(const RecordedProcess& process) {
  const std::string stat = ReadFile("/proc/" + std::to_string(process.pid) + "/stat");
  // The command name (field 2) may hold spaces: fields are counted after its last ')'.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 > stat.size()) return false;
  std::istringstream rest(stat.substr(paren + 2));
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  std::string f;
  while (rest >> f) fields.push_back(f);
  return fields.size() > 19 && fields[19] == process.starttime && fields[0] != "Z";
}

}  // namespace switchyard::e2e
