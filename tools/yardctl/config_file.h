// yardctl's config file: defaults for the global flags, so an operator need not pass the
// server, CA and token on every call.
//
//   # ~/.config/yardctl/config
//   server = control.internal:18000
//   ca = /etc/switchyard/ca.pem
//   token-file = ~/.config/yardctl/token
//
// Keys are the global flags' names (server, timeout, ca, cert, key, server-name,
// token-file, insecure) plus `token` (the token itself). Blank lines and lines starting
// with '#' are skipped; a value may start with "~/" for $HOME. An unknown key or a line
// without '=' is an error naming the file and line, as a mistyped key must not be ignored.
// A file holding a token must not be readable by group or others (like ssh's keys).
#ifndef SWITCHYARD_TOOLS_YARDCTL_CONFIG_FILE_H_
#define SWITCHYARD_TOOLS_YARDCTL_CONFIG_FILE_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "tools/yardctl/context.h"

namespace switchyard::yardctl {

inline constexpr char kConfigEnv[] = "YARDCTL_CONFIG";

struct ConfigFile {
  std::string path;  // empty: no file
  std::map<std::string, std::string, std::less<>> values;

  std::optional<std::string> Get(std::string_view key) const;
};

// $YARDCTL_CONFIG, else $XDG_CONFIG_HOME/yardctl/config, else $HOME/.config/yardctl/config;
// empty when none of these variables is set.
std::string ConfigFilePath(const Environment& env);

// The file at ConfigFilePath(env). A missing file is an empty ConfigFile unless it was
// named by $YARDCTL_CONFIG. Errors are INVALID_ARGUMENT (a usage error).
absl::StatusOr<ConfigFile> LoadConfigFile(const Environment& env);

// "~/x" with $HOME; anything else as it is.
std::string ExpandHome(const std::string& path, const Environment& env);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_CONFIG_FILE_H_
