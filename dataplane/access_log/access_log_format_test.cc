#include "dataplane/access_log/access_log_format.h"

#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace switchyard::access_log {
namespace {

AccessLogRecord Example() {
  AccessLogRecord r;
  r.start_unix_micros = 1796022062'012345;  // 2026-11-30T07:01:02.012345Z
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
  std::string line;
  AppendJsonLine(Example(), line);
  EXPECT_EQ(line,
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
  r.path = std::string("/a\nb\r\x01\xff\0", 8);  // a forged second line, control bytes
  std::string line;
  AppendJsonLine(r, line);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_TRUE(parsed["upstream_connect_ms"].is_null());
  EXPECT_TRUE(parsed["upstream_response_head_ms"].is_null());
  EXPECT_EQ(parsed["status"], 431);
  EXPECT_EQ(parsed["reason"], "headers_too_large");
  EXPECT_EQ(parsed["path"], std::string("/a\nb\r\x01\xc3\xbf\0", 9));  // \u00ff: U+00FF
  EXPECT_EQ(parsed.size(), 18u);
}

}  // namespace
}  // namespace switchyard::access_log
