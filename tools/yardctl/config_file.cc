#include "tools/yardctl/config_file.h"

#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/secret_file.h"

namespace switchyard::yardctl {
namespace {

const std::set<std::string, std::less<>>& KnownKeys() {
  static const auto* const kKeys = new std::set<std::string, std::less<>>{
      "server", "timeout", "ca", "cert", "key", "server-name", "token", "token-file", "insecure"};
  return *kKeys;
}

std::optional<std::string> NonEmpty(const Environment& env, const char* name) {
  std::optional<std::string> value = env.getenv(name);
  if (value.has_value() && value->empty()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::string> ConfigFile::Get(std::string_view key) const {
  auto it = values.find(key);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::string ConfigFilePath(const Environment& env) {
  if (std::optional<std::string> explicit_path = NonEmpty(env, kConfigEnv)) return *explicit_path;
  if (std::optional<std::string> xdg = NonEmpty(env, "XDG_CONFIG_HOME")) {
    return *xdg + "/yardctl/config";
  }
  if (std::optional<std::string> home = NonEmpty(env, "HOME")) {
    return *home + "/.config/yardctl/config";
  }
  return "";
}

std::string ExpandHome(const std::string& path, const Environment& env) {
  if (path.rfind("~/", 0) != 0) return path;
  std::optional<std::string> home = NonEmpty(env, "HOME");
  return home.has_value() ? *home + path.substr(1) : path;
}

absl::StatusOr<ConfigFile> LoadConfigFile(const Environment& env) {
  ConfigFile config;
  const std::string path = ConfigFilePath(env);
  if (path.empty()) return config;
  std::ifstream in(path);
  if (!in) {
    if (NonEmpty(env, kConfigEnv).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read config file ", path, " (from ", kConfigEnv, ")"));
    }
    return config;  // the default location need not exist
  }
  config.path = path;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string trimmed(absl::StripAsciiWhitespace(line));
    if (trimmed.empty() || trimmed.front() == '#') continue;
    const size_t eq = trimmed.find('=');
    const std::string key(absl::StripAsciiWhitespace(trimmed.substr(0, eq)));
    if (eq == std::string::npos || !KnownKeys().contains(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number,
                       ": expected KEY = VALUE with KEY one of server, timeout, ca, cert, "
                       "key, server-name, token, token-file, insecure"));
    }
    config.values[key] = std::string(absl::StripAsciiWhitespace(trimmed.substr(eq + 1)));
  }
  if (config.values.contains("token")) {
    if (absl::Status owner_only = CheckOwnerOnly(path, "config file"); !owner_only.ok()) {
      return owner_only;
    }
  }
  return config;
}

}  // namespace switchyard::yardctl
