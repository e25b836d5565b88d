#include "dataplane/access_log/access_log_format.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace switchyard::access_log {
namespace {

using std::chrono::microseconds;

// The example's start on the steady clock, and the offset that makes it
// 2026-11-30T07:01:02.012345Z (1796022062.012345 s since the Unix epoch).
constexpr microseconds kSteadyStart(5'000'000'123);
constexpr microseconds kSteadyToUnix(1796022062'012345 - 5'000'000'123);

std::string Line(const AccessLogRecord& r, microseconds steady_to_unix = kSteadyToUnix) {
  std::string line;
  AppendJsonLine(r, steady_to_unix, line);
  return line;
}

AccessLogRecord Example() {
  AccessLogRecord r;
  r.start = std::chrono::steady_clock::time_point(kSteadyStart);
  r.request_id = "1b4e28ba-2fa1-4d2a-883f-0016d3cca427";
  r.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  r.protocol = "HTTP/1.1";
  r.method = "GET";
  r.authority = "api.example.com";
  r.path = "/users/7?x=\"1\"";
  r.status = 200;
  r.route = "users";
  r.cluster = "blue";
  r.endpoint = "127.0.0.1:8081";
  r.bytes_received = 0;
  r.bytes_sent = 1234;
  r.duration_us = 12345;
  r.upstream_connect_us = 250;
  r.upstream_response_head_us = 12001;
  r.client_address = "127.0.0.1";
  return r;
}

TEST(AccessLogFormatTest, OneLineWithEveryFieldInOrder) {
  EXPECT_EQ(Line(Example()),
            "{\"time\":\"2026-11-30T07:01:02.012345Z\","
            "\"request_id\":\"1b4e28ba-2fa1-4d2a-883f-0016d3cca427\","
            "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\",\"protocol\":\"HTTP/1.1\","
            "\"method\":\"GET\",\"authority\":\"api.example.com\","
            "\"path\":\"/users/7?x=\\\"1\\\"\",\"status\":200,\"reason\":\"\","
            "\"route\":\"users\",\"cluster\":\"blue\",\"endpoint\":\"127.0.0.1:8081\","
            "\"bytes_received\":0,\"bytes_sent\":1234,\"duration_ms\":12.345,"
            "\"upstream_connect_ms\":0.250,\"upstream_response_head_ms\":12.001,"
            "\"client_address\":\"127.0.0.1\"}\n");
}

TEST(AccessLogFormatTest, StagesNotReachedAreNullAndHostileBytesStayInsideTheString) {
  AccessLogRecord r = Example();
  r.upstream_connect_us = -1;
  r.upstream_response_head_us = -1;
  r.status = 431;
  r.reason = "headers_too_large";
  const std::string hostile("/a\nb\r\x01\xff\0", 8);  // a forged second line, control bytes
  r.path = hostile;
  const std::string line = Line(r);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_TRUE(parsed["upstream_connect_ms"].is_null());
  EXPECT_TRUE(parsed["upstream_response_head_ms"].is_null());
  EXPECT_EQ(parsed["status"], 431);
  EXPECT_EQ(parsed["reason"], "headers_too_large");
  EXPECT_EQ(parsed["path"], std::string("/a\nb\r\x01\xc3\xbf\0", 9));  // \u00ff: U+00FF
  EXPECT_EQ(parsed.size(), 18u);
}

TEST(AccessLogFormatTest, TimestampsAcrossDateBoundaries) {
  const auto time_of = [](int64_t unix_micros) {
    return nlohmann::json::parse(Line(Example(), microseconds(unix_micros) - kSteadyStart))["time"]
        .get<std::string>();
  };
  EXPECT_EQ(time_of(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(time_of(1835481599'999999), "2028-02-29T23:59:59.999999Z");  // a leap day
  EXPECT_EQ(time_of(1835481600'000000), "2028-03-01T00:00:00.000000Z");
  EXPECT_EQ(time_of(1767225599'000001), "2025-12-31T23:59:59.000001Z");
  EXPECT_EQ(time_of(-5), "1970-01-01T00:00:00.000000Z");  // clamped, never a bad line
  EXPECT_EQ(time_of(INT64_MAX / 2), "9999-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace switchyard::access_log
