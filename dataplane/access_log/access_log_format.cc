#include "dataplane/access_log/access_log_format.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "common/json_escape.h"

namespace switchyard::access_log {
namespace {

void Field(const char* name, std::string_view value, std::string& out) {
  out += ",\"";
  out += name;
  out += "\":";
  AppendJsonString(value, out);
}

void Field(const char* name, uint64_t value, std::string& out) {
  char text[24];
  const int n = std::snprintf(text, sizeof(text), "%" PRIu64, value);
  out += ",\"";
  out += name;
  out += "\":";
  out.append(text, static_cast<size_t>(n));
}

// Milliseconds with microsecond precision ("12.345"), or null.
void Millis(const char* name, int64_t micros, std::string& out) {
  out += ",\"";
  out += name;
  out += "\":";
  if (micros < 0) {
    out += "null";
    return;
  }
  char text[32];
  const int n =
      std::snprintf(text, sizeof(text), "%" PRId64 ".%03" PRId64, micros / 1000, micros % 1000);
  out.append(text, static_cast<size_t>(n));
}

}  // namespace

void AppendJsonLine(const AccessLogRecord& record, std::string& out) {
  const time_t seconds = static_cast<time_t>(record.start_unix_micros / 1'000'000);
  tm utc;
  gmtime_r(&seconds, &utc);
  char stamp[64];
  const int n = std::snprintf(stamp, sizeof(stamp),
                              "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%06" PRId64 "Z\"",
                              utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                              utc.tm_min, utc.tm_sec, record.start_unix_micros % 1'000'000);
  out.append(stamp, static_cast<size_t>(n));
  Field("request_id", record.request_id, out);
  Field("trace_id", record.trace_id, out);
  Field("protocol", record.protocol, out);
  Field("method", record.method, out);
  Field("authority", record.authority, out);
  Field("path", record.path, out);
  Field("status", static_cast<uint64_t>(record.status), out);
  Field("reason", record.reason, out);
  Field("route", record.route, out);
  Field("cluster", record.cluster, out);
  Field("endpoint", record.endpoint, out);
  Field("bytes_received", record.bytes_received, out);
  Field("bytes_sent", record.bytes_sent, out);
  Millis("duration_ms", record.duration_us, out);
  Millis("upstream_connect_ms", record.upstream_connect_us, out);
  Millis("upstream_response_head_ms", record.upstream_response_head_us, out);
  Field("client_address", record.client_address, out);
  out += "}\n";
}

}  // namespace switchyard::access_log
