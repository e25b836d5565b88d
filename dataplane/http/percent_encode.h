// Percent-encoding for header values the gateway writes from data it does not control
// (gRPC's grpc-message, client certificate SANs): bytes outside printable ASCII
// (0x20..0x7e), '%' itself, and any of `also` become %XX (upper-case hex).
#ifndef SWITCHYARD_DATAPLANE_HTTP_PERCENT_ENCODE_H_
#define SWITCHYARD_DATAPLANE_HTTP_PERCENT_ENCODE_H_

#include <string>
#include <string_view>

namespace switchyard::http {

inline void AppendPercentEncoded(std::string_view value, std::string_view also, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte <= 0x7e && c != '%' && also.find(c) == std::string_view::npos) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
}

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_PERCENT_ENCODE_H_
