// What a yardctl command runs with: the outside world (streams, environment, clock,
// how to reach the server) and the global flags. main() passes the real process's;
// tests pass string streams, a fixed clock and their own environment, and run commands
// in-process.
#ifndef SWITCHYARD_TOOLS_YARDCTL_CONTEXT_H_
#define SWITCHYARD_TOOLS_YARDCTL_CONTEXT_H_

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/yardctl/admin_client.h"
#include "tools/yardctl/args.h"
#include "tools/yardctl/grpc_admin_client.h"

namespace switchyard::yardctl {

inline constexpr char kDefaultServer[] = "127.0.0.1:18000";
inline constexpr char kServerEnv[] = "YARDCTL_SERVER";

struct Environment {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Read for "-f -".
  std::istream* in = nullptr;
  // An environment variable, or nullopt when unset.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::function<std::string()> hostname;
  std::function<absl::Time()> now;
  // Opens the admin client; NewGrpcAdminClient unless a test substitutes it.
  std::function<std::unique_ptr<AdminClient>(const GrpcClientOptions&)> connect;
};

// std::cout, std::cerr, std::cin, ::getenv, gethostname(), the system clock, gRPC.
Environment ProcessEnvironment();

// The global flags, resolved against the environment.
struct GlobalOptions {
  std::string server;
  // Where `server` came from, for error messages: "--server", "YARDCTL_SERVER" or
  // "the default".
  std::string server_source;
  absl::Duration timeout = absl::Seconds(5);
  // Recorded with every version this invocation stores.
  std::string author;
  // How to reach and authenticate to the server; resolved only for commands that talk to
  // one (validate does not).
  ConnectionSecurity security;
};

// The global flags every command accepts (also before the command name).
const std::vector<FlagSpec>& GlobalFlags();

// Each setting from its flag, else its YARDCTL_* variable, else the config file
// (config_file.h), else its default: --server (kDefaultServer); --timeout (5s); --author
// ($USER@hostname, LOGNAME when USER is unset; flag only). With `needs_server`, also the
// connection: --insecure, or TLS with --ca (required), --cert/--key and --server-name, and
// the token from --token-file, $YARDCTL_TOKEN, $YARDCTL_TOKEN_FILE, or the config file's
// token / token-file. Errors are usage errors.
absl::StatusOr<GlobalOptions> ResolveGlobalOptions(const ParsedArgs& args, const Environment& env,
                                                   bool needs_server = true);

class CommandContext {
 public:
  CommandContext(const Environment& env, std::string command, GlobalOptions global)
      : env_(env), command_(std::move(command)), global_(std::move(global)) {}

  std::ostream& out() const { return *env_.out; }
  std::ostream& err() const { return *env_.err; }
  std::istream& in() const { return *env_.in; }
  absl::Time now() const { return env_.now(); }
  const GlobalOptions& global() const { return global_; }
  // The running command's name ("apply"), for messages that point at its help.
  const std::string& command() const { return command_; }

  // Created on first use, so offline commands never open a channel.
  AdminClient& client();

 private:
  const Environment& env_;
  std::string command_;
  GlobalOptions global_;
  std::unique_ptr<AdminClient> client_;
};

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_CONTEXT_H_
