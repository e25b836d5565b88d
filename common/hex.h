// Lowercase hex of raw bytes, for digests and random values shown or stored as text.
#ifndef SWITCHYARD_COMMON_HEX_H_
#define SWITCHYARD_COMMON_HEX_H_

#include <cstddef>
#include <string>

namespace switchyard {

inline std::string LowerHex(const unsigned char* bytes, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * size);
  for (size_t i = 0; i < size; ++i) {
    hex.push_back(kDigits[bytes[i] >> 4]);
    hex.push_back(kDigits[bytes[i] & 0xF]);
  }
  return hex;
}

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_HEX_H_
