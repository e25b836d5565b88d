// "IP:PORT" flags (--listen, --admin, --metrics_listen) to endpoints.
#ifndef SWITCHYARD_COMMON_ENDPOINT_H_
#define SWITCHYARD_COMMON_ENDPOINT_H_

#include <string>

#include "boost/asio/ip/tcp.hpp"

namespace switchyard {

// "127.0.0.1:8080", "[::1]:8080" or "0.0.0.0:0" into `out`. False, leaving `out` alone,
// for anything else (a host name, a missing or out-of-range port).
bool ParseEndpoint(const std::string& text, boost::asio::ip::tcp::endpoint& out);

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_ENDPOINT_H_
