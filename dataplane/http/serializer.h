// Writes HTTP/1.1 message heads and chunk framing into a byte string for the next hop.
// Framing headers (Content-Length, Transfer-Encoding, Connection) are written from the
// arguments, never copied from `headers`, so a message's framing is decided in one place.
#ifndef SWITCHYARD_DATAPLANE_HTTP_SERIALIZER_H_
#define SWITCHYARD_DATAPLANE_HTTP_SERIALIZER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/http/header_map.h"
#include "dataplane/http/message_parser.h"

namespace switchyard::http {

// Appends "METHOD target HTTP/1.1", the fields, and the framing header for `framing`
// (kContentLength writes `content_length`; kChunked writes chunked; kNone writes nothing).
void AppendRequestHead(std::string& out, std::string_view method, std::string_view target,
                       const HeaderMap& headers, BodyFraming framing, uint64_t content_length);

struct ResponseFraming {
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  // Adds "Connection: close"; the sender closes after the body.
  bool close = false;
  // HEAD responses and 304 keep their Content-Length field but carry no body.
  bool keep_length_without_body = false;
};

// Appends "HTTP/1.1 status reason", the fields and the framing headers.
void AppendResponseHead(std::string& out, int status, const HeaderMap& headers,
                        const ResponseFraming& framing);

// The line that starts a chunk of `size` bytes ("1a2b\r\n") into `out` (replaced).
void FormatChunkHeader(std::string& out, uint64_t size);

// The last chunk of a chunked body, with `trailers` as its trailer section, into `out`
// (replaced): "0\r\n", the fields, "\r\n".
void FormatLastChunk(std::string& out, const HeaderMap& trailers);

inline constexpr std::string_view kCrlf = "\r\n";
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_SERIALIZER_H_
