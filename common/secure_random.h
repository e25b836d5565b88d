// Unguessable values (nonces, tokens) from OpenSSL's CSPRNG.
#ifndef SWITCHYARD_COMMON_SECURE_RANDOM_H_
#define SWITCHYARD_COMMON_SECURE_RANDOM_H_

#include <cstddef>
#include <string>

namespace switchyard {

// `bytes` random bytes as 2 * `bytes` lowercase hex digits. Aborts the process when the
// generator fails: a guessable value would be worse than no service.
std::string SecureRandomHex(size_t bytes);

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_SECURE_RANDOM_H_
