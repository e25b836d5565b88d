#include "common/secret_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace switchyard {

absl::Status CheckOwnerOnly(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", what, " ", path, ": ", std::strerror(errno)));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, " holds a token and is readable by others (mode ",
                     absl::StrFormat("%03o", st.st_mode & 0777), "); run: chmod 600 ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path, const std::string& what) {
  if (absl::Status owner_only = CheckOwnerOnly(path, what); !owner_only.ok()) return owner_only;
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  std::string secret(absl::StripAsciiWhitespace(contents.str()));
  if (!in || secret.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, " is empty or unreadable"));
  }
  return secret;
}

}  // namespace switchyard
