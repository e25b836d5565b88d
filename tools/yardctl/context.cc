#include "tools/yardctl/context.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace switchyard::yardctl {
namespace {

std::string ProcessHostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  env.out = &std::cout;
  env.err = &std::cerr;
  env.in = &std::cin;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  env.hostname = ProcessHostname;
  env.now = [] { return absl::Now(); };
  env.connect = NewGrpcAdminClient;
  return env;
}

const std::vector<FlagSpec>& GlobalFlags() {
  static const auto* const kFlags = new std::vector<FlagSpec>{
      {.name = "server",
       .value_name = "HOST:PORT",
       .help = absl::StrCat("control plane admin address (default $", kServerEnv, ", else ",
                            kDefaultServer, ")")},
      {.name = "timeout",
       .value_name = "DURATION",
       .help = "deadline for each call to the control plane, e.g. 5s, 500ms (default 5s)"},
      {.name = "author",
       .value_name = "NAME",
       .help = "recorded with the versions you store (default $USER@hostname)"},
      {.name = "help", .short_name = 'h', .help = "show help"},
  };
  return *kFlags;
}

absl::StatusOr<GlobalOptions> ResolveGlobalOptions(const ParsedArgs& args, const Environment& env) {
  GlobalOptions global;
  if (std::optional<std::string> server = args.Get("server"); server.has_value()) {
    if (server->empty()) return absl::InvalidArgumentError("--server must not be empty");
    global.server = *server;
    global.server_source = "--server";
  } else if (std::optional<std::string> from_env = env.getenv(kServerEnv);
             from_env.has_value() && !from_env->empty()) {
    global.server = *from_env;
    global.server_source = kServerEnv;
  } else {
    global.server = kDefaultServer;
    global.server_source = "the default";
  }

  if (std::optional<std::string> timeout = args.Get("timeout"); timeout.has_value()) {
    absl::StatusOr<absl::Duration> parsed = ParseTimeout(*timeout);
    if (!parsed.ok()) return parsed.status();
    global.timeout = *parsed;
  }

  if (std::optional<std::string> author = args.Get("author"); author.has_value()) {
    global.author = *author;
  } else {
    std::optional<std::string> user = env.getenv("USER");
    if (!user.has_value() || user->empty()) user = env.getenv("LOGNAME");
    global.author =
        absl::StrCat(user.has_value() && !user->empty() ? *user : "unknown", "@", env.hostname());
  }
  return global;
}

AdminClient& CommandContext::client() {
  if (client_ == nullptr) {
    client_ = env_.connect({.target = global_.server, .timeout = global_.timeout});
  }
  return *client_;
}

}  // namespace switchyard::yardctl
