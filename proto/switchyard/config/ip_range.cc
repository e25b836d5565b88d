#include "switchyard/config/ip_range.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>
#include <utility>

namespace switchyard::config {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

void Say(std::string* problem, std::string text) {
  if (problem != nullptr) *problem = std::move(text);
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buffer[INET6_ADDRSTRLEN] = {};
  std::memcpy(buffer, text.data(), text.size());
  // An embedded NUL would cut the text short for inet_pton.
  if (std::strlen(buffer) != text.size()) return std::nullopt;
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

std::optional<IpRange> IpRange::Parse(std::string_view text, std::string* problem) {
  const size_t slash = text.find('/');
  const std::optional<IpAddress> address = IpAddress::Parse(text.substr(0, slash));
  if (!address.has_value()) {
    Say(problem,
        " is not an IP address or CIDR range (such as \"10.0.0.0/8\" or \"2001:db8::/32\")");
    return std::nullopt;
  }
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
      Say(problem, std::string(": the prefix length of an ") + (address->v6 ? "IPv6" : "IPv4") +
                       " range must be 0.." + std::to_string(bits));
      return std::nullopt;
    }
    range.prefix_length_ = value;
  }
  // Bits after the prefix would make the range mean something other than it says.
  IpAddress network = *address;
  bool host_bits = false;
  for (int bit = range.prefix_length_; bit < bits; ++bit) {
    const auto mask = static_cast<uint8_t>(0x80U >> (bit % 8));
    if ((network.bytes[bit / 8] & mask) != 0) {
      host_bits = true;
      network.bytes[bit / 8] &= static_cast<uint8_t>(~mask);
    }
  }
  if (host_bits) {
    char text_form[INET6_ADDRSTRLEN] = {};
    inet_ntop(network.v6 ? AF_INET6 : AF_INET, network.bytes.data(), text_form, sizeof text_form);
    Say(problem, std::string(" has bits set after the prefix; write ") + text_form + "/" +
                     std::to_string(range.prefix_length_));
    return std::nullopt;
  }
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

}  // namespace switchyard::config
