// The PROXY protocol parser: both versions, headers arriving in pieces, what is not a
// header at all, and malformed or oversized headers refused with a reason.
#include "dataplane/server/proxy_protocol.h"

#include <string>

#include "gtest/gtest.h"

namespace switchyard::server {
namespace {

struct Outcome {
  ProxyParse parse;
  ProxyHeader header;
  std::string error;
};

Outcome Parse(std::string_view bytes) {
  Outcome out;
  out.parse = ParseProxyHeader(bytes, out.header, out.error);
  return out;
}

std::string V2(unsigned version_command, unsigned family, const std::string& body) {
  std::string header("\r\n\r\n\0\r\nQUIT\n", 12);
  header += static_cast<char>(version_command);
  header += static_cast<char>(family);
  header += static_cast<char>(body.size() >> 8);
  header += static_cast<char>(body.size() & 0xff);
  return header + body;
}

// 192.0.2.7:56324 -> 198.51.100.1:443, and `tlvs` after.
std::string V2Tcp4Body(const std::string& tlvs = "") {
  return std::string("\xc0\x00\x02\x07\xc6\x33\x64\x01\xdc\x04\x01\xbb", 12) + tlvs;
}

TEST(ProxyProtocolTest, VersionOneAddressesAndWhatFollows) {
  const std::string head = "PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n";
  const Outcome v4 = Parse(head + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(v4.parse, ProxyParse::kParsed) << v4.error;
  EXPECT_EQ(v4.header.length, head.size());
  EXPECT_EQ(v4.header.source_address, "192.0.2.7");
  EXPECT_EQ(v4.header.source_port, 56324);

  const Outcome v6 = Parse("PROXY TCP6 2001:DB8::0:1 2001:db8::2 1 65535\r\n");
  ASSERT_EQ(v6.parse, ProxyParse::kParsed) << v6.error;
  EXPECT_EQ(v6.header.source_address, "2001:db8::1");  // canonical form

  const Outcome unknown = Parse("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\nGET");
  ASSERT_EQ(unknown.parse, ProxyParse::kParsed);
  EXPECT_EQ(unknown.header.source_address, "");  // the peer's address stands
  EXPECT_EQ(unknown.header.length, std::string("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n").size());
}

TEST(ProxyProtocolTest, AHeaderInPiecesNeedsMoreUntilComplete) {
  const std::string v1 = "PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n";
  for (size_t n = 1; n < v1.size(); ++n) {
    EXPECT_EQ(Parse(v1.substr(0, n)).parse, ProxyParse::kNeedMore) << n;
  }
  const std::string v2 = V2(0x21, 0x11, V2Tcp4Body());
  for (size_t n = 1; n < v2.size(); ++n) {
    EXPECT_EQ(Parse(v2.substr(0, n)).parse, ProxyParse::kNeedMore) << n;
  }
  EXPECT_EQ(Parse(v2).parse, ProxyParse::kParsed);
}

TEST(ProxyProtocolTest, RequestsAndOtherBytesAreNotAHeader) {
  for (const char* bytes : {"GET / HTTP/1.1\r\n", "POST /", "PROPFIND /", "PRI * HTTP/2.0\r\n",
                            "\r\n\r\nGET", "\x16\x03\x01"}) {
    EXPECT_EQ(Parse(bytes).parse, ProxyParse::kAbsent) << bytes;
  }
}

TEST(ProxyProtocolTest, MalformedVersionOneHeadersAreRefused) {
  for (const char* bytes : {
           "PROXY TCP4 192.0.2.7 198.51.100.1 56324\r\n",        // a field missing
           "PROXY TCP4 192.0.2.7  198.51.100.1 56324 443\r\n",   // two spaces
           "PROXY TCP4 2001:db8::1 198.51.100.1 56324 443\r\n",  // family mismatch
           "PROXY TCP4 192.0.2.300 198.51.100.1 56324 443\r\n",  // not an address
           "PROXY TCP4 192.0.2.7 198.51.100.1 65536 443\r\n",    // port too large
           "PROXY TCP4 192.0.2.7 198.51.100.1 -1 443\r\n",       // not a number
           "PROXY UDP4 192.0.2.7 198.51.100.1 1 443\r\n",        // not TCP
       }) {
    const Outcome out = Parse(bytes);
    EXPECT_EQ(out.parse, ProxyParse::kInvalid) << bytes;
    EXPECT_FALSE(out.error.empty());
  }
  // No CRLF within the 107 bytes the specification allows.
  const Outcome endless = Parse("PROXY TCP4 " + std::string(200, '1'));
  EXPECT_EQ(endless.parse, ProxyParse::kInvalid);
  EXPECT_NE(endless.error.find("107"), std::string::npos) << endless.error;
}

TEST(ProxyProtocolTest, VersionTwoAddressesLocalAndTlvs) {
  const std::string tlvs(
      "\x04\x00\x03"
      "abc",
      6);  // a NOOP TLV, skipped
  const std::string v4 = V2(0x21, 0x11, V2Tcp4Body(tlvs));
  const Outcome out = Parse(v4 + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(out.parse, ProxyParse::kParsed) << out.error;
  EXPECT_EQ(out.header.length, v4.size());
  EXPECT_EQ(out.header.source_address, "192.0.2.7");
  EXPECT_EQ(out.header.source_port, 56324);

  std::string body6(16, '\0');
  body6[0] = '\x20';
  body6[1] = '\x01';
  body6[2] = '\x0d';
  body6[3] = '\xb8';
  body6[15] = '\x09';
  body6 += std::string(16, '\0') + std::string("\x00\x50\x01\xbb", 4);
  const Outcome v6 = Parse(V2(0x21, 0x21, body6));
  ASSERT_EQ(v6.parse, ProxyParse::kParsed) << v6.error;
  EXPECT_EQ(v6.header.source_address, "2001:db8::9");
  EXPECT_EQ(v6.header.source_port, 80);

  // LOCAL (a health check from the balancer itself): no address, addresses ignored.
  const Outcome local = Parse(V2(0x20, 0x11, V2Tcp4Body()));
  ASSERT_EQ(local.parse, ProxyParse::kParsed);
  EXPECT_EQ(local.header.source_address, "");
  // UNSPEC and UNIX families: parsed, the peer's address stands.
  EXPECT_EQ(Parse(V2(0x21, 0x00, "")).header.source_address, "");
  EXPECT_EQ(Parse(V2(0x21, 0x31, std::string(216, 'u'))).parse, ProxyParse::kParsed);
}

TEST(ProxyProtocolTest, MalformedVersionTwoHeadersAreRefused) {
  EXPECT_EQ(Parse(V2(0x11, 0x11, V2Tcp4Body())).parse, ProxyParse::kInvalid);  // version 1
  EXPECT_EQ(Parse(V2(0x22, 0x11, V2Tcp4Body())).parse, ProxyParse::kInvalid);  // command 2
  EXPECT_EQ(Parse(V2(0x21, 0x41, V2Tcp4Body())).parse, ProxyParse::kInvalid);  // family 4
  EXPECT_EQ(Parse(V2(0x21, 0x11, "short")).parse, ProxyParse::kInvalid);
  EXPECT_EQ(Parse(V2(0x21, 0x21, V2Tcp4Body())).parse, ProxyParse::kInvalid);  // IPv6, 12 bytes
  // Longer than the gateway buffers: refused as soon as the length is read.
  const std::string huge = V2(0x21, 0x11, std::string(4000, 't')).substr(0, 16);
  const Outcome out = Parse(huge);
  EXPECT_EQ(out.parse, ProxyParse::kInvalid);
  EXPECT_NE(out.error.find("longer than"), std::string::npos);
}

TEST(ProxyProtocolTest, Modes) {
  ProxyProtocolMode mode = ProxyProtocolMode::kOff;
  ASSERT_TRUE(ParseProxyProtocolMode("required", mode));
  EXPECT_EQ(mode, ProxyProtocolMode::kRequired);
  ASSERT_TRUE(ParseProxyProtocolMode("optional", mode));
  EXPECT_EQ(mode, ProxyProtocolMode::kOptional);
  ASSERT_TRUE(ParseProxyProtocolMode("off", mode));
  EXPECT_EQ(mode, ProxyProtocolMode::kOff);
  EXPECT_FALSE(ParseProxyProtocolMode("true", mode));
}

}  // namespace
}  // namespace switchyard::server
