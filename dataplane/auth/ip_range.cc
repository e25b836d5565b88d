#include "dataplane/auth/ip_range.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

namespace switchyard::auth {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Whether bits at and after `from` are zero, over `total` bits.
bool TailIsZero(const std::array<uint8_t, 16>& bytes, int from, int total) {
  for (int bit = from; bit < total; ++bit) {
    if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0) return false;
  }
  return true;
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN] = {};
  std::memcpy(buffer, text.data(), text.size());
  IpAddress address;
  if (inet_pton(AF_INET, buffer, address.bytes.data()) == 1) return address;
  if (inet_pton(AF_INET6, buffer, address.bytes.data()) != 1) return std::nullopt;
  if (std::memcmp(address.bytes.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0) {
    IpAddress v4;
    std::memcpy(v4.bytes.data(), address.bytes.data() + 12, 4);
    return v4;
  }
  address.v6 = true;
  return address;
}

std::optional<IpRange> IpRange::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  const std::optional<IpAddress> address = IpAddress::Parse(text.substr(0, slash));
  if (!address.has_value()) return std::nullopt;
  const int bits = address->v6 ? 128 : 32;
  IpRange range;
  range.network_ = *address;
  range.prefix_length_ = bits;
  if (slash != std::string_view::npos) {
    const std::string_view length = text.substr(slash + 1);
    int value = -1;
    const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), value);
    if (length.empty() || ec != std::errc() || end != length.data() + length.size() || value < 0 ||
        value > bits) {
      return std::nullopt;
    }
    range.prefix_length_ = value;
  }
  if (!TailIsZero(range.network_.bytes, range.prefix_length_, bits)) return std::nullopt;
  return range;
}

bool IpRange::Contains(const IpAddress& address) const {
  if (address.v6 != network_.v6) return false;
  const int whole = prefix_length_ / 8;
  if (std::memcmp(address.bytes.data(), network_.bytes.data(), whole) != 0) return false;
  const int rest = prefix_length_ % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (address.bytes[whole] & mask) == network_.bytes[whole];
}

}  // namespace switchyard::auth
