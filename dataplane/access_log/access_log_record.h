// One request as the access log records it (docs/operations.md, "Access log"). Filled on
// a worker thread into storage the writer lends (its strings keep their capacity from
// request to request), formatted and written on the writer's thread.
#ifndef SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_RECORD_H_
#define SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace switchyard::access_log {

struct AccessLogRecord {
  // When the request's first byte was taken up, in microseconds since the Unix epoch.
  int64_t start_unix_micros = 0;
  std::string request_id;
  std::string trace_id;
  // A literal with static storage ("HTTP/1.1").
  std::string_view protocol;
  std::string method;
  std::string authority;  // the client's Host / :authority
  std::string path;       // path and query, after normalization
  int status = 0;         // 0: no response was sent
  std::string reason;     // the local reply's error code; empty when the upstream answered
  std::string route;
  std::string cluster;
  std::string endpoint;         // the upstream endpoint last chosen, "ip:port"
  uint64_t bytes_received = 0;  // request body bytes
  uint64_t bytes_sent = 0;      // response body bytes
  // Microseconds from the request's start; -1 when the stage was not reached.
  int64_t duration_us = -1;
  int64_t upstream_connect_us = -1;
  int64_t upstream_response_head_us = -1;
  std::string client_address;
};

}  // namespace switchyard::access_log

#endif  // SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_RECORD_H_
