// A stand-in for switchyard-proxy used only by harness_test, so ProxyProcess's start-up,
// failure reporting and shutdown paths are tested without the real proxy. The config text
// selects the behaviour: "fail" exits 2 with a field-naming message, "never_ready" never
// writes the ready file, "ignore_sigterm" needs SIGKILL, "alloc" touches 64 MiB (so VmHWM
// rises). Otherwise it serves HTTP like a default TestBackend named "fake".
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tests/support/proxy_process.h"
#include "tests/support/test_backend.h"

int main(int argc, char** argv) {
  using switchyard::testing::ReadFile;
  std::string config_path;
  std::string ready_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--config=", 0) == 0) config_path = arg.substr(9);
    if (arg.rfind("--ready_file=", 0) == 0) ready_path = arg.substr(13);
  }
  const std::string config = ReadFile(config_path);
  if (config.find("fail") != std::string::npos) {
    std::fprintf(stderr, "invalid snapshot: clusters[c].endpoints[0].port: must be 1..65535\n");
    return 2;
  }
  // Block SIGTERM in every thread (the backend's threads inherit the mask) so sigwait below
  // is the only place it is handled.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  if (config.find("ignore_sigterm") == std::string::npos) {
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
  } else {
    signal(SIGTERM, SIG_IGN);
  }
  std::vector<char> ballast;
  if (config.find("alloc") != std::string::npos) {
    ballast.resize(64u << 20);
    std::memset(ballast.data(), 1, ballast.size());
  }
  switchyard::testing::TestBackend backend("fake");
  if (config.find("never_ready") == std::string::npos) {
    FILE* f = std::fopen(ready_path.c_str(), "w");
    std::fprintf(f, "%u\n", static_cast<unsigned>(backend.port()));
    std::fclose(f);
  }
  std::fprintf(stderr, "fake proxy serving on %u\n", static_cast<unsigned>(backend.port()));
  std::fflush(stderr);
  if (config.find("ignore_sigterm") != std::string::npos) {
    for (;;) pause();
  }
  int sig = 0;
  sigwait(&set, &sig);
  return ballast.empty() ? 0 : static_cast<int>(ballast[ballast.size() / 2]) - 1;
}
