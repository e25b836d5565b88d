// Files that hold a secret (a bearer token): refused when others can read them, as ssh
// refuses private keys.
#ifndef SWITCHYARD_COMMON_SECRET_FILE_H_
#define SWITCHYARD_COMMON_SECRET_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace switchyard {

// OK when `path` exists and neither group nor others may read or write it;
// INVALID_ARGUMENT naming `what`, the path and the fix (chmod 600) otherwise.
absl::Status CheckOwnerOnly(const std::string& path, const std::string& what);

// The file's contents without surrounding whitespace, after CheckOwnerOnly.
// INVALID_ARGUMENT when it is unreadable or empty.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path, const std::string& what);

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_SECRET_FILE_H_
