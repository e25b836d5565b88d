// What a message says about its body, independent of the protocol that carries it: the
// stream passes it from one side to the other, and each codec frames it its own way
// (Content-Length or chunked for HTTP/1.1, DATA frames for HTTP/2).
#ifndef SWITCHYARD_DATAPLANE_HTTP_BODY_INFO_H_
#define SWITCHYARD_DATAPLANE_HTTP_BODY_INFO_H_

#include <cstdint>

namespace switchyard::http {

struct BodyInfo {
  // False: no body follows (a request without one; HEAD, 1xx, 204 and 304 responses).
  bool has_body = false;
  // The body's exact length, when the sender declared one. For a response without a
  // body (HEAD, 304) it may still be set: the length the resource would have.
  bool length_known = false;
  uint64_t length = 0;
};

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_BODY_INFO_H_
