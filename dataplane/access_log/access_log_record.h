// One request as the access log records it (docs/operations.md, "Access log"). A view:
// the worker fills one on its stack from the request's own strings, and the producer
// copies it into its ring (record_ring.h) before the request's memory goes away.
#ifndef SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_RECORD_H_
#define SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_RECORD_H_

#include <chrono>
#include <cstdint>
#include <string_view>

namespace switchyard::access_log {

struct AccessLogRecord {
  // When the request's first byte was taken up, on the steady clock: the writer turns it
  // into wall-clock time, reading both clocks once per batch instead of per request.
  std::chrono::steady_clock::time_point start;
  std::string_view request_id;
  std::string_view trace_id;
  std::string_view protocol;  // "HTTP/1.1"
  std::string_view method;
  std::string_view authority;  // the client's Host / :authority
  std::string_view path;       // path and query, after normalization
  int status = 0;              // 0: no response was sent
  std::string_view reason;     // the local reply's error code; empty when the upstream answered
  std::string_view route;
  std::string_view cluster;
  std::string_view endpoint;    // the upstream endpoint last chosen, "ip:port"
  uint64_t bytes_received = 0;  // request body bytes
  uint64_t bytes_sent = 0;      // response body bytes
  // Microseconds from the request's start; -1 when the stage was not reached.
  int64_t duration_us = -1;
  int64_t upstream_connect_us = -1;
  int64_t upstream_response_head_us = -1;
  std::string_view client_address;
};

}  // namespace switchyard::access_log

#endif  // SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_RECORD_H_
