#include "common/secure_random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/hex.h"

namespace switchyard {

std::string SecureRandomHex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    std::fputs("switchyard: OpenSSL's random generator failed; stopping\n", stderr);
    std::abort();
  }
  return LowerHex(raw.data(), raw.size());
}

}  // namespace switchyard
