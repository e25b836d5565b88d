#include "common/endpoint.h"

#include <cstdint>

#include "absl/strings/numbers.h"

namespace switchyard {

bool ParseEndpoint(const std::string& text, boost::asio::ip::tcp::endpoint& out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port > 65535) return false;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return false;
  out = {address, static_cast<uint16_t>(port)};
  return true;
}

}  // namespace switchyard
