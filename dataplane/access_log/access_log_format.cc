#include "dataplane/access_log/access_log_format.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>

#include "common/json_escape.h"

namespace switchyard::access_log {
namespace {

// The writer formats every record, so this stays clear of snprintf and gmtime_r (the
// latter takes glibc's time-zone lock): plain digit arithmetic instead.

// Appends `value` as exactly `width` decimal digits, zero-padded (value < 10^width).
void AppendPadded(uint64_t value, int width, std::string& out) {
  char digits[20];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits, static_cast<size_t>(width));
}

void AppendNumber(uint64_t value, std::string& out) {
  char text[24];
  const auto end = std::to_chars(text, text + sizeof(text), value).ptr;
  out.append(text, end);
}

void Name(const char* name, std::string& out) {
  out += ",\"";
  out += name;
  out += "\":";
}

void Field(const char* name, std::string_view value, std::string& out) {
  Name(name, out);
  AppendJsonString(value, out);
}

void Field(const char* name, uint64_t value, std::string& out) {
  Name(name, out);
  AppendNumber(value, out);
}

// Milliseconds with microsecond precision ("12.345"), or null.
void Millis(const char* name, int64_t micros, std::string& out) {
  Name(name, out);
  if (micros < 0) {
    out += "null";
    return;
  }
  AppendNumber(static_cast<uint64_t>(micros / 1000), out);
  out += '.';
  AppendPadded(static_cast<uint64_t>(micros % 1000), 3, out);
}

// "2026-11-30T07:01:02.012345Z" (RFC 3339, UTC), clamped to years 1970 to 9999.
void AppendTimestamp(int64_t unix_micros, std::string& out) {
  constexpr int64_t kLastMicros = 253'402'300'799'999'999;  // 9999-12-31T23:59:59.999999Z
  unix_micros = std::clamp<int64_t>(unix_micros, 0, kLastMicros);
  using std::chrono::sys_days;
  const int64_t seconds = unix_micros / 1'000'000;
  const std::chrono::year_month_day date{sys_days(std::chrono::days(seconds / 86'400))};
  const int64_t second_of_day = seconds % 86'400;
  out += '"';
  AppendPadded(static_cast<uint64_t>(static_cast<int>(date.year())), 4, out);
  out += '-';
  AppendPadded(static_cast<unsigned>(date.month()), 2, out);
  out += '-';
  AppendPadded(static_cast<unsigned>(date.day()), 2, out);
  out += 'T';
  AppendPadded(static_cast<uint64_t>(second_of_day / 3600), 2, out);
  out += ':';
  AppendPadded(static_cast<uint64_t>(second_of_day / 60 % 60), 2, out);
  out += ':';
  AppendPadded(static_cast<uint64_t>(second_of_day % 60), 2, out);
  out += '.';
  AppendPadded(static_cast<uint64_t>(unix_micros % 1'000'000), 6, out);
  out += "Z\"";
}

}  // namespace

void AppendJsonLine(const AccessLogRecord& record, std::chrono::microseconds steady_to_unix,
                    std::string& out) {
  out += "{\"time\":";
  AppendTimestamp(
      (std::chrono::duration_cast<std::chrono::microseconds>(record.start.time_since_epoch()) +
       steady_to_unix)
          .count(),
      out);
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
