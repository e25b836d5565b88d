#include "dataplane/http/request_id.h"

namespace switchyard::http {

void RequestIdGenerator::Next(std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t bits[2] = {engine_(), engine_()};
  // Version 4 and the RFC 4122 variant, so the value is a well-formed random UUID.
  bits[0] = (bits[0] & ~uint64_t{0xf000}) | uint64_t{0x4000};
  bits[1] = (bits[1] & ~(uint64_t{0xc} << 60)) | (uint64_t{0x8} << 60);
  out.resize(36);
  int pos = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out[pos++] = '-';
    const uint64_t word = bits[i / 16];
    const int shift = 60 - 4 * (i % 16);
    out[pos++] = kHex[(word >> shift) & 0xf];
  }
}

}  // namespace switchyard::http
