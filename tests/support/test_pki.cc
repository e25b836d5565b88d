#include "tests/support/test_pki.h"

#include "tests/support/child_process.h"

namespace switchyard::testing {

TestPki::TestPki() : dir_(MakeTempDir("pki") + "/pki") {}

bool TestPki::Make(const std::vector<std::string>& args, std::string* error) {
  std::vector<std::string> argv = {"/bin/bash", RunfilePath("deploy/pki/make-pki.sh"), "-d", dir_};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult result = RunCommand(argv, std::chrono::seconds(60));
  if (result.started && !result.timed_out && result.exit_code == 0) return true;
  *error = "make-pki.sh failed: " + result.output;
  return false;
}

std::string TestPki::AdminToken() const { return ReadFile(Path("admin-token")); }

}  // namespace switchyard::testing
