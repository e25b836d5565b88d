#include "dataplane/server/proxy_protocol.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace switchyard::server {
namespace {

constexpr std::string_view kV1Signature = "PROXY ";
constexpr std::string_view kV2Signature("\r\n\r\n\0\r\nQUIT\n", 12);

// Whether `bytes` is `signature`'s beginning or starts with all of it.
bool Matches(std::string_view bytes, std::string_view signature, bool& complete) {
  const size_t n = std::min(bytes.size(), signature.size());
  complete = n == signature.size();
  return bytes.substr(0, n) == signature.substr(0, n);
}

// An address literal of the family, in its canonical text form; empty when invalid.
std::string CanonicalAddress(int family, const std::string& text) {
  std::array<unsigned char, 16> binary;
  if (::inet_pton(family, text.c_str(), binary.data()) != 1) return {};
  std::array<char, INET6_ADDRSTRLEN> out;
  if (::inet_ntop(family, binary.data(), out.data(), out.size()) == nullptr) return {};
  return out.data();
}

bool ParsePort(absl::string_view text, uint16_t& port) {
  uint32_t value = 0;
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != text.npos ||
      !absl::SimpleAtoi(text, &value) || value > 65535) {
    return false;
  }
  port = static_cast<uint16_t>(value);
  return true;
}

ProxyParse Invalid(std::string& error, std::string message) {
  error = std::move(message);
  return ProxyParse::kInvalid;
}

// "PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n", "PROXY UNKNOWN ...\r\n".
ProxyParse ParseV1(std::string_view bytes, ProxyHeader& header, std::string& error) {
  const size_t end = bytes.substr(0, kMaxProxyV1Bytes).find("\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() >= kMaxProxyV1Bytes) {
      return Invalid(error, "PROXY v1 header without CRLF in its first 107 bytes");
    }
    return ProxyParse::kNeedMore;
  }
  const std::string_view line = bytes.substr(0, end);
  const std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(line.data(), line.size()), ' ');
  header = ProxyHeader{.length = end + 2};
  if (fields.size() >= 2 && fields[1] == "UNKNOWN") return ProxyParse::kParsed;
  if (fields.size() != 6 || (fields[1] != "TCP4" && fields[1] != "TCP6")) {
    return Invalid(error, "PROXY v1 header is not 'PROXY TCP4|TCP6 src dst sport dport'");
  }
  const int family = fields[1] == "TCP4" ? AF_INET : AF_INET6;
  header.source_address = CanonicalAddress(family, std::string(fields[2]));
  uint16_t destination_port = 0;
  if (header.source_address.empty() || CanonicalAddress(family, std::string(fields[3])).empty() ||
      !ParsePort(fields[4], header.source_port) || !ParsePort(fields[5], destination_port)) {
    return Invalid(error, "PROXY v1 header has an invalid address or port");
  }
  return ProxyParse::kParsed;
}

// The binary form: signature, version and command, family, length, addresses, TLVs.
ProxyParse ParseV2(std::string_view bytes, ProxyHeader& header, std::string& error) {
  if (bytes.size() < 16) return ProxyParse::kNeedMore;
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned version = byte(12) >> 4;
  const unsigned command = byte(12) & 0x0f;
  const unsigned family = byte(13);
  const size_t length = (size_t{byte(14)} << 8) | byte(15);
  if (version != 2) return Invalid(error, "PROXY v2 header with a version other than 2");
  if (command > 1) return Invalid(error, "PROXY v2 header with an unknown command");
  if (16 + length > kMaxProxyV2Bytes) {
    return Invalid(error,
                   "PROXY v2 header longer than " + std::to_string(kMaxProxyV2Bytes) + " bytes");
  }
  if (bytes.size() < 16 + length) return ProxyParse::kNeedMore;
  header = ProxyHeader{.length = 16 + length};
  if (command == 0) return ProxyParse::kParsed;  // LOCAL: the balancer's own connection
  const unsigned address_family = family >> 4;
  const unsigned transport = family & 0x0f;
  if (address_family > 3 || transport > 2) {
    return Invalid(error, "PROXY v2 header with an unknown address family");
  }
  if (address_family == 0 || address_family == 3) return ProxyParse::kParsed;  // UNSPEC, UNIX
  const size_t address_bytes = address_family == 1 ? 4 : 16;
  if (length < 2 * address_bytes + 4) {
    return Invalid(error, "PROXY v2 header too short for its addresses");
  }
  std::array<char, INET6_ADDRSTRLEN> text;
  if (::inet_ntop(address_family == 1 ? AF_INET : AF_INET6, bytes.data() + 16, text.data(),
                  text.size()) == nullptr) {
    return Invalid(error, "PROXY v2 header with an invalid address");
  }
  header.source_address = text.data();
  const size_t port_at = 16 + 2 * address_bytes;
  header.source_port = static_cast<uint16_t>((byte(port_at) << 8) | byte(port_at + 1));
  return ProxyParse::kParsed;
}

}  // namespace

bool ParseProxyProtocolMode(std::string_view text, ProxyProtocolMode& mode) {
  if (text == "off") {
    mode = ProxyProtocolMode::kOff;
  } else if (text == "optional") {
    mode = ProxyProtocolMode::kOptional;
  } else if (text == "required") {
    mode = ProxyProtocolMode::kRequired;
  } else {
    return false;
  }
  return true;
}

ProxyParse ParseProxyHeader(std::string_view bytes, ProxyHeader& header, std::string& error) {
  if (bytes.empty()) return ProxyParse::kNeedMore;
  bool complete = false;
  if (Matches(bytes, kV1Signature, complete)) {
    return complete ? ParseV1(bytes, header, error) : ProxyParse::kNeedMore;
  }
  if (Matches(bytes, kV2Signature, complete)) {
    return complete ? ParseV2(bytes, header, error) : ProxyParse::kNeedMore;
  }
  return ProxyParse::kAbsent;
}

}  // namespace switchyard::server
