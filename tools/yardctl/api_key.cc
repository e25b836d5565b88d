#include "tools/yardctl/api_key.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/sha256.h"

namespace switchyard::yardctl {
namespace {

// As validate.h's rule for every name in a snapshot, which the control plane enforces.
constexpr size_t kMaxKeyNameLength = 128;

bool IsNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

absl::StatusOr<GeneratedApiKey> GenerateApiKey() {
  std::array<unsigned char, kApiKeyRandomBytes> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    OPENSSL_cleanse(random.data(), random.size());
    return absl::InternalError("OpenSSL's random generator failed; no key was made");
  }
  GeneratedApiKey out;
  out.key = absl::StrCat(kApiKeyPrefix,
                         absl::WebSafeBase64Escape(absl::string_view(
                             reinterpret_cast<const char*>(random.data()), random.size())));
  OPENSSL_cleanse(random.data(), random.size());
  out.sha256 = Sha256Hex(out.key);
  return out;
}

std::string DefaultApiKeyName(const GeneratedApiKey& key) {
  return absl::StrCat("key-", key.sha256.substr(0, 8));
}

std::string ApiKeyNameProblem(std::string_view name) {
  if (name.empty()) return "a key name must not be empty";
  if (name.size() > kMaxKeyNameLength) {
    return absl::StrCat("a key name must be at most ", kMaxKeyNameLength, " characters, got ",
                        name.size());
  }
  for (char c : name) {
    if (!IsNameCharacter(c)) {
      return absl::StrCat("a key name must match [A-Za-z0-9_.-]+, got \"",
                          absl::CEscape(absl::string_view(name.data(), name.size())), "\"");
    }
  }
  return "";
}

}  // namespace switchyard::yardctl
