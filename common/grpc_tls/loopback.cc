#include "common/grpc_tls/loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

namespace switchyard {
namespace {

// The host part of "HOST:PORT" or "[HOST]:PORT"; empty when there is none.
std::string_view HostOf(std::string_view address, bool& bracketed) {
  bracketed = !address.empty() && address.front() == '[';
  if (bracketed) {
    const size_t close = address.find(']');
    if (close == std::string_view::npos) return {};
    return address.substr(1, close - 1);
  }
  const size_t colon = address.rfind(':');
  return colon == std::string_view::npos ? address : address.substr(0, colon);
}

}  // namespace

bool IsLoopbackAddress(std::string_view address) {
  if (address.substr(0, 5) == "unix:") return true;
  if (address.substr(0, 5) == "ipv4:") address.remove_prefix(5);
  if (address.substr(0, 5) == "ipv6:") address.remove_prefix(5);
  bool bracketed = false;
  const std::string host(HostOf(address, bracketed));
  if (host == "localhost") return true;
  in_addr v4{};
  if (!bracketed && inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (bracketed && inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6) != 0;
  }
  return false;
}

}  // namespace switchyard
