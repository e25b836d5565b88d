// IPv4 and IPv6 address ranges in CIDR notation, for auth rules' client_ips
// (docs/auth.md): validation's checks and the proxy's matching use this one parser.
// Parsed with inet_pton; an IPv4-mapped IPv6 address (::ffff:10.0.0.1, what a dual-stack
// listener reports for an IPv4 client) counts as the IPv4 address it maps.
#ifndef SWITCHYARD_CONFIG_IP_RANGE_H_
#define SWITCHYARD_CONFIG_IP_RANGE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::config {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4
  bool v6 = false;

  // An address literal without brackets or port; nullopt otherwise.
  static std::optional<IpAddress> Parse(std::string_view text);
};

class IpRange {
 public:
  // "10.0.0.0/8", "2001:db8::/32", or one address ("192.0.2.7", "::1"). nullopt when the
  // address or the prefix length does not parse, or when bits after the prefix are set;
  // then `problem`, if given, says why: what follows the quoted text in validation's
  // message (`"10.0.0.1/8" has bits set after the prefix; write 10.0.0.0/8`).
  static std::optional<IpRange> Parse(std::string_view text, std::string* problem = nullptr);

  bool Contains(const IpAddress& address) const;

 private:
  IpAddress network_;
  int prefix_length_ = 0;
};

}  // namespace switchyard::config

#endif  // SWITCHYARD_CONFIG_IP_RANGE_H_
