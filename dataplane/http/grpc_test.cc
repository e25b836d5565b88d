#include "dataplane/http/grpc.h"

#include <chrono>

#include "gtest/gtest.h"

namespace switchyard::http {
namespace {

using std::chrono::nanoseconds;

TEST(GrpcTest, GrpcRequestsAreToldByTheirContentType) {
  const auto with_type = [](std::string_view type) {
    HeaderMap headers;
    headers.Add("content-type", type);
    return IsGrpcRequest(headers);
  };
  EXPECT_TRUE(with_type("application/grpc"));
  EXPECT_TRUE(with_type("application/grpc+proto"));
  EXPECT_TRUE(with_type("Application/GRPC; charset=utf-8"));
  EXPECT_FALSE(with_type("application/grpc-web"));  // its status is framed in the body
  EXPECT_FALSE(with_type("application/grpcx"));
  EXPECT_FALSE(with_type("application/json"));
  EXPECT_FALSE(with_type("application/grp"));
  EXPECT_FALSE(IsGrpcRequest(HeaderMap()));
}

TEST(GrpcTest, GrpcStatusesStandForTheReplies) {
  EXPECT_EQ(GrpcStatusFor(404, "route_not_found"), 12);          // UNIMPLEMENTED
  EXPECT_EQ(GrpcStatusFor(503, "upstream_connect_failed"), 14);  // UNAVAILABLE
  EXPECT_EQ(GrpcStatusFor(502, "upstream_reset"), 14);
  EXPECT_EQ(GrpcStatusFor(504, "upstream_timeout"), 4);  // DEADLINE_EXCEEDED
  EXPECT_EQ(GrpcStatusFor(408, "request_timeout"), 4);
  EXPECT_EQ(GrpcStatusFor(401, "unauthorized"), 16);  // UNAUTHENTICATED
  EXPECT_EQ(GrpcStatusFor(403, "forbidden"), 7);      // PERMISSION_DENIED
  EXPECT_EQ(GrpcStatusFor(429, "rate_limited"), 8);   // RESOURCE_EXHAUSTED
  EXPECT_EQ(GrpcStatusFor(413, "request_body_too_large"), 8);
  EXPECT_EQ(GrpcStatusFor(400, "bad_request"), 13);  // INTERNAL
  EXPECT_EQ(GrpcStatusFor(418, "teapot"), 2);        // UNKNOWN
}

TEST(GrpcTest, MessagesArePercentEncoded) {
  EXPECT_EQ(PercentEncodeGrpcMessage("plain text: ok"), "plain text: ok");
  EXPECT_EQ(PercentEncodeGrpcMessage("100%\r\n\xc3\xa9"), "100%25%0D%0A%C3%A9");
}

TEST(GrpcTest, TimeoutsParseInEveryUnit) {
  EXPECT_EQ(ParseGrpcTimeout("1H"), std::chrono::hours(1));
  EXPECT_EQ(ParseGrpcTimeout("2M"), std::chrono::minutes(2));
  EXPECT_EQ(ParseGrpcTimeout("3S"), std::chrono::seconds(3));
  EXPECT_EQ(ParseGrpcTimeout("250m"), std::chrono::milliseconds(250));
  EXPECT_EQ(ParseGrpcTimeout("99999999u"), std::chrono::microseconds(99999999));
  EXPECT_EQ(ParseGrpcTimeout("0n"), nanoseconds(0));
}

TEST(GrpcTest, MalformedTimeoutsAreRefused) {
  for (const char* bad : {"", "S", "100", "123456789S", "1s", "1 S", "-1S", "1.5S", "1HH"}) {
    EXPECT_FALSE(ParseGrpcTimeout(bad).has_value()) << bad;
  }
}

TEST(GrpcTest, TimeoutsFormatInTheFinestUnitThatFits) {
  EXPECT_EQ(FormatGrpcTimeout(nanoseconds(999)), "999n");
  EXPECT_EQ(FormatGrpcTimeout(std::chrono::milliseconds(250)), "250000u");
  EXPECT_EQ(FormatGrpcTimeout(std::chrono::seconds(5)), "5000000u");
  EXPECT_EQ(FormatGrpcTimeout(std::chrono::hours(1)), "3600000m");
  EXPECT_EQ(FormatGrpcTimeout(std::chrono::hours(24 * 365)), "31536000S");
  EXPECT_EQ(FormatGrpcTimeout(nanoseconds(-5)), "0n");
  // What is formatted parses back to at most the original.
  const nanoseconds odd(1'234'567'891'234);
  EXPECT_LE(*ParseGrpcTimeout(FormatGrpcTimeout(odd)), odd);
  EXPECT_GT(*ParseGrpcTimeout(FormatGrpcTimeout(odd)), odd - std::chrono::milliseconds(1));
}

}  // namespace
}  // namespace switchyard::http
