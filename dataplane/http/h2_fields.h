// Header fields as nghttp2 takes them, for both HTTP/2 codecs: the session towards clients
// (dataplane/server/http2_session.h) and the connections towards backends
// (dataplane/upstream/h2_connection.h).
#ifndef SWITCHYARD_DATAPLANE_HTTP_H2_FIELDS_H_
#define SWITCHYARD_DATAPLANE_HTTP_H2_FIELDS_H_

#include <nghttp2/nghttp2.h>

#include <string_view>
#include <vector>

#include "dataplane/http/header_map.h"

namespace switchyard::http {

// Whether HTTP/2 forbids the field (RFC 9113 8.2.2): the connection-specific ones, and TE
// with any value but "trailers" (which gRPC sends).
inline bool IsForbiddenInHttp2(std::string_view name, std::string_view value) {
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade" || (name == "te" && value != "trailers");
}

// A name-value pair pointing at `name` and `value`; nghttp2 copies them when a frame is
// submitted.
inline nghttp2_nv Nv(std::string_view name, std::string_view value) {
  return nghttp2_nv{
      .name = reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
      .value = reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())),
      .namelen = name.size(),
      .valuelen = value.size(),
      .flags = NGHTTP2_NV_FLAG_NONE,
  };
}

// Appends `fields` to `nva`, less what HTTP/2 forbids; the pairs point into `fields`.
inline void AppendHttp2Fields(const HeaderMap& fields, std::vector<nghttp2_nv>& nva) {
  for (const HeaderField& field : fields) {
    if (!IsForbiddenInHttp2(field.name, field.value)) nva.push_back(Nv(field.name, field.value));
  }
}

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_H2_FIELDS_H_
