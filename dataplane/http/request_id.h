// Generates x-request-id values: 128 random bits as a UUID-formatted string.
// One generator per worker thread; not thread-safe.
#ifndef SWITCHYARD_DATAPLANE_HTTP_REQUEST_ID_H_
#define SWITCHYARD_DATAPLANE_HTTP_REQUEST_ID_H_

#include <cstdint>
#include <random>
#include <string>

namespace switchyard::http {

class RequestIdGenerator {
 public:
  // `seed` lets tests get a fixed sequence; workers seed from std::random_device.
  explicit RequestIdGenerator(uint64_t seed) : engine_(seed) {}

  // Replaces `out` with a new id such as "1b4e28ba-2fa1-4d2a-883f-0016d3cca427".
  void Next(std::string& out);

 private:
  std::mt19937_64 engine_;
};

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_REQUEST_ID_H_
