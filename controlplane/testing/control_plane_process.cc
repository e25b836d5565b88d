#include "controlplane/testing/control_plane_process.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace switchyard::controlplane::testing {
namespace {

using ::switchyard::testing::BinaryPath;
using ::switchyard::testing::HasFlag;
using ::switchyard::testing::MakeTempDir;

}  // namespace

std::string ControlPlaneBinaryPath() {
  return BinaryPath("SWITCHYARD_CONTROL_BIN", "controlplane/switchyard-control");
}

ControlPlaneProcess::ControlPlaneProcess() : ControlPlaneProcess(Options()) {}

ControlPlaneProcess::ControlPlaneProcess(Options options) : options_(std::move(options)) {}

ControlPlaneProcess::~ControlPlaneProcess() { Stop(); }

bool ControlPlaneProcess::Start(std::string* error) {
  if (Running()) {
    *error = "already running";
    return false;
  }
  const std::string binary = options_.binary.empty() ? ControlPlaneBinaryPath() : options_.binary;
  // Checked here as well as by ChildProcess, for the hint on how to get the binary.
  if (binary.empty() || ::access(binary.c_str(), X_OK) != 0) {
    *error = "switchyard-control not found or not executable at '" + binary +
             "' (set SWITCHYARD_CONTROL_BIN, or depend on //controlplane/testing:"
             "control_plane_process, which brings it into runfiles)";
    return false;
  }
  // Made once: a restart keeps the database and appends to the same logs.
  if (dir_.empty()) {
    dir_ = MakeTempDir("switchyard_control");
    if (dir_.empty()) {
      *error = std::string("mkdtemp: ") + std::strerror(errno);
      return false;
    }
    db_path_ = options_.db_path.empty() ? dir_ + "/switchyard.db" : options_.db_path;
    ready_path_ = dir_ + "/ready";
  }
  port_ = 0;
  std::vector<std::string> argv = {binary};
  if (!HasFlag(options_.flags, "--listen")) argv.push_back("--listen=127.0.0.1:0");
  // Plaintext on loopback unless the test set up TLS.
  if (!HasFlag(options_.flags, "--insecure") && !HasFlag(options_.flags, "--tls_ca")) {
    argv.push_back("--insecure");
  }
  if (!HasFlag(options_.flags, "--db")) argv.push_back("--db=" + db_path_);
  if (!HasFlag(options_.flags, "--ready_file")) argv.push_back("--ready_file=" + ready_path_);
  argv.insert(argv.end(), options_.flags.begin(), options_.flags.end());
  std::vector<uint16_t> ports;
  if (!child_.StartAndWaitForReadyFile(
          std::move(argv),
          {.stdout_path = dir_ + "/stdout.log",
           .stderr_path = dir_ + "/stderr.log",
           .stop_grace = options_.stop_grace},
          {.path = ready_path_,
           .ports = HasFlag(options_.flags, "--metrics_listen") ? 2u : 1u,
           .timeout = options_.ready_timeout},
          &ports, error)) {
    return false;
  }
  port_ = ports[0];
  metrics_port_ = ports.size() > 1 ? ports[1] : 0;
  return true;
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

}  // namespace switchyard::controlplane::testing
