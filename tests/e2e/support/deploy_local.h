// Reading what deploy/local/up.sh leaves in its state dir: endpoints.env (where each
// component listens, written once everything is ready) and components.tsv (one line per
// process it started: name, address, pid, start time, log).
#ifndef SWITCHYARD_TESTS_E2E_SUPPORT_DEPLOY_LOCAL_H_
#define SWITCHYARD_TESTS_E2E_SUPPORT_DEPLOY_LOCAL_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace switchyard::e2e {

// Runs deploy/local/up.sh (from the runfiles) with `args`, then --state-dir `state_dir`
// and --bin-dir pointing at the built binaries; two minutes at most.
::switchyard::testing::CommandResult RunUpSh(const std::vector<std::string>& args,
                                             const std::string& state_dir);

// KEY=VALUE lines.
std::map<std::string, std::string> ReadEnvFile(const std::string& path);
// The port under `key`, 0 when missing or not a port.
uint16_t PortOf(const std::map<std::string, std::string>& env, const std::string& key);

struct RecordedProcess {
  std::string name;
  pid_t pid = 0;
  std::string starttime;  // field 22 of /proc/PID/stat when it was started
};
std::vector<RecordedProcess> ReadComponents(const std::string& path);
// True while the PID still belongs to the recorded process (same start time) and it has
// not exited.
bool StillRunning(const RecordedProcess& process);

}  // namespace switchyard::e2e

#endif  // SWITCHYARD_TESTS_E2E_SUPPORT_DEPLOY_LOCAL_H_
