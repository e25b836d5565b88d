#include "tools/yardctl/context.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/secret_file.h"
#include "tools/yardctl/config_file.h"

namespace switchyard::yardctl {
namespace {

std::string ProcessHostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// One setting's value and where it came from ("--ca", "YARDCTL_CA", "/home/x/.config/...").
struct Setting {
  std::string value;
  std::string source;
};

// The flag, else the environment variable (unless empty), else the config file's key.
struct Settings {
  const ParsedArgs& args;
  const Environment& env;
  const ConfigFile& config;

  std::optional<Setting> Get(const std::string& name, const std::string& env_var) const {
    if (std::optional<std::string> flag = args.Get(name)) return Setting{*flag, "--" + name};
    if (std::optional<std::string> value = env.getenv(env_var); value && !value->empty()) {
      return Setting{*value, env_var};
    }
    if (std::optional<std::string> value = config.Get(name)) {
      return Setting{ExpandHome(*value, env), config.path};
    }
    return std::nullopt;
  }

  // Boolean settings: the flag, or "1"/"true"/"yes" in the variable or file.
  absl::StatusOr<bool> IsSet(const std::string& name, const std::string& env_var) const {
    if (args.Has(name)) return args.IsSet(name);
    std::optional<Setting> setting = Get(name, env_var);
    if (!setting.has_value()) return false;
    const std::string& v = setting->value;
    if (v == "1" || v == "true" || v == "yes") return true;
    if (v == "0" || v == "false" || v == "no") return false;
    return absl::InvalidArgumentError(
        absl::StrCat(name, " in ", setting->source, " must be true or false, got '", v, "'"));
  }
};

absl::StatusOr<ConnectionSecurity> ResolveSecurity(const Settings& settings,
                                                   const Environment& env) {
  ConnectionSecurity security;
  absl::StatusOr<bool> insecure = settings.IsSet("insecure", "YARDCTL_INSECURE");
  if (!insecure.ok()) return insecure.status();
  security.insecure = *insecure;
  std::optional<Setting> ca = settings.Get("ca", "YARDCTL_CA");
  std::optional<Setting> cert = settings.Get("cert", "YARDCTL_CERT");
  std::optional<Setting> key = settings.Get("key", "YARDCTL_KEY");
  if (security.insecure) {
    if (settings.args.Has("ca") || settings.args.Has("cert") || settings.args.Has("key") ||
        settings.args.Has("token-file")) {
      return absl::InvalidArgumentError(
          "--insecure talks plaintext: it takes no --ca, --cert, --key or --token-file");
    }
    return security;
  }
  if (!ca.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("yardctl needs the control plane's CA to check who it talks to: give --ca "
                     "FILE, set YARDCTL_CA, or put `ca = FILE` in the config file",
                     ConfigFilePath(env).empty() ? "" : " " + ConfigFilePath(env),
                     "; for a control plane started with --insecure on this machine, use "
                     "--insecure"));
  }
  security.tls = {.ca = ca->value,
                  .cert = cert.has_value() ? cert->value : "",
                  .key = key.has_value() ? key->value : "",
                  .ca_flag = "ca",
                  .cert_flag = "cert",
                  .key_flag = "key"};
  if (absl::Status files = CheckTlsFiles(security.tls, /*require_identity=*/false, absl::Now());
      !files.ok()) {
    return files;
  }
  if (std::optional<Setting> name = settings.Get("server-name", "YARDCTL_SERVER_NAME")) {
    security.server_name = name->value;
  }
  // The token itself may come from the environment or the config file; a token file
  // from a flag, the environment or the config file.
  if (!settings.args.Has("token-file")) {
    if (std::optional<std::string> token = env.getenv("YARDCTL_TOKEN"); token && !token->empty()) {
      security.bearer_token = *token;
      return security;
    }
  }
  std::optional<Setting> token_file = settings.Get("token-file", "YARDCTL_TOKEN_FILE");
  if (token_file.has_value()) {
    absl::StatusOr<std::string> token = ReadSecretFile(token_file->value, "token file");
    if (!token.ok()) return token.status();
    security.bearer_token = *token;
  } else if (std::optional<std::string> token = settings.config.Get("token")) {
    security.bearer_token = *token;
  }
  return security;
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
       .help = "your name for the versions you store; recorded (as unverified) only by a "
               "control plane started with --insecure, which knows no one (default "
               "$USER@hostname)"},
      {.name = "ca",
       .value_name = "FILE",
       .help = "PEM CA the control plane's certificate must chain to (default $YARDCTL_CA)"},
      {.name = "cert",
       .value_name = "FILE",
       .help = "PEM client certificate, to authenticate by certificate ($YARDCTL_CERT)"},
      {.name = "key", .value_name = "FILE", .help = "PEM key of --cert ($YARDCTL_KEY)"},
      {.name = "server-name",
       .value_name = "NAME",
       .help = "check the server's certificate for NAME instead of the --server host"},
      {.name = "token-file",
       .value_name = "FILE",
       .help = "file holding your bearer token, mode 0600 (or $YARDCTL_TOKEN)"},
      {.name = "insecure",
       .help = "plaintext, no authentication: only for a control plane started with "
               "--insecure ($YARDCTL_INSECURE=1)"},
      {.name = "help", .short_name = 'h', .help = "show help"},
  };
  return *kFlags;
}

absl::StatusOr<GlobalOptions> ResolveGlobalOptions(const ParsedArgs& args, const Environment& env,
                                                   bool needs_server) {
  absl::StatusOr<ConfigFile> config = LoadConfigFile(env);
  if (!config.ok()) return config.status();
  const Settings settings{args, env, *config};
  GlobalOptions global;
  if (std::optional<Setting> server = settings.Get("server", kServerEnv)) {
    if (server->value.empty()) return absl::InvalidArgumentError("--server must not be empty");
    global.server = server->value;
    global.server_source = server->source;
  } else {
    global.server = kDefaultServer;
    global.server_source = "the default";
  }

  if (std::optional<Setting> timeout = settings.Get("timeout", "YARDCTL_TIMEOUT")) {
    absl::StatusOr<absl::Duration> parsed = ParseTimeout(timeout->value);
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
  if (!needs_server) return global;
  absl::StatusOr<ConnectionSecurity> security = ResolveSecurity(settings, env);
  if (!security.ok()) return security.status();
  global.security = *std::move(security);
  return global;
}

AdminClient& CommandContext::client() {
  if (client_ == nullptr) {
    client_ = env_.connect(
        {.target = global_.server, .timeout = global_.timeout, .security = global_.security});
  }
  return *client_;
}

}  // namespace switchyard::yardctl
