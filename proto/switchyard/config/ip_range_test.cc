#include "switchyard/config/ip_range.h"

#include <string>

#include "gtest/gtest.h"

namespace switchyard::config {
namespace {

bool In(const std::string& range, const std::string& address) {
  const std::optional<IpRange> parsed = IpRange::Parse(range);
  const std::optional<IpAddress> ip = IpAddress::Parse(address);
  EXPECT_TRUE(parsed.has_value()) << range;
  EXPECT_TRUE(ip.has_value()) << address;
  return parsed.has_value() && ip.has_value() && parsed->Contains(*ip);
}

TEST(IpRangeTest, Ipv4Prefixes) {
  EXPECT_TRUE(In("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(In("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(In("192.168.4.0/22", "192.168.7.255"));
  EXPECT_FALSE(In("192.168.4.0/22", "192.168.8.0"));
  EXPECT_TRUE(In("0.0.0.0/0", "203.0.113.9"));
  EXPECT_TRUE(In("203.0.113.9", "203.0.113.9"));
  EXPECT_FALSE(In("203.0.113.9", "203.0.113.8"));
}

TEST(IpRangeTest, Ipv6PrefixesAndMappedIpv4) {
  EXPECT_TRUE(In("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(In("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(In("::1", "::1"));
  // What a dual-stack listener reports for an IPv4 client is that IPv4 address.
  EXPECT_TRUE(In("127.0.0.0/8", "::ffff:127.0.0.1"));
  // The families never match each other.
  EXPECT_FALSE(In("::/0", "127.0.0.1"));
  EXPECT_FALSE(In("0.0.0.0/0", "::1"));
}

TEST(IpRangeTest, RefusesWhatIsNotARange) {
  for (const char* bad : {"", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x",
                          "10.0.0.1/8", "2001:db8::1/32", "::/129", "example.com", "10.0.0",
                          "[::1]", "1.2.3.4:80", "10.0.0.0/08x"}) {
    EXPECT_FALSE(IpRange::Parse(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace switchyard::config
