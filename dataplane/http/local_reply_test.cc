#include "dataplane/http/local_reply.h"

#include <string>

#include "gtest/gtest.h"

namespace switchyard::http {
namespace {

TEST(LocalReplyTest, CarriesThePhasesHeaders) {
  LocalReply reply{401, "unauthorized", "a key is required"};
  reply.headers.Add("WWW-Authenticate", "Bearer realm=\"api\"");
  reply.headers.Add("retry-after", "3");
  std::string out;
  AppendLocalReply(out, reply, "req-1", LocalReplyFormat::kJson, /*close=*/false);
  EXPECT_EQ(out.rfind("HTTP/1.1 401 ", 0), 0u) << out;
  EXPECT_NE(out.find("\r\nwww-authenticate: Bearer realm=\"api\"\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\nretry-after: 3\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\"request_id\":\"req-1\""), std::string::npos) << out;
}

TEST(LocalReplyTest, FramingAndIdentityStayTheGateways) {
  LocalReply reply{429, "rate_limited", "slow down"};
  reply.headers.Add("content-length", "0");
  reply.headers.Add("Connection", "keep-alive");
  reply.headers.Add("x-request-id", "forged");
  reply.headers.Add("x-switchyard-local-reply", "false");
  std::string out;
  AppendLocalReply(out, reply, "req-2", LocalReplyFormat::kJson, /*close=*/true);
  EXPECT_EQ(out.find("forged"), std::string::npos) << out;
  EXPECT_EQ(out.find("keep-alive"), std::string::npos) << out;
  EXPECT_EQ(out.find("content-length: 0"), std::string::npos) << out;
  EXPECT_EQ(out.find(": false"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\nconnection: close\r\n"), std::string::npos) << out;
}

TEST(LocalReplyTest, AGrpcReplyIsTrailersOnly) {
  LocalReply reply{404, "route_not_found", "no route for /pkg.Svc/Do: 100% \"sure\"\n"};
  reply.headers.Add("grpc-status", "0");  // a phase cannot turn the failure into success
  reply.headers.Add("retry-after", "1");
  HeaderMap headers;
  std::string body = "left over";
  EXPECT_EQ(BuildLocalReply(reply, "req-3", LocalReplyFormat::kGrpc, headers, body), 200);
  EXPECT_TRUE(body.empty());
  EXPECT_EQ(*headers.Get("content-type"), "application/grpc");
  EXPECT_EQ(*headers.Get("grpc-status"), "12");
  EXPECT_EQ(headers.Get("grpc-status"), headers.Get("grpc-status"));
  size_t statuses = 0;
  for (const HeaderField& field : headers) statuses += field.name == "grpc-status" ? 1 : 0;
  EXPECT_EQ(statuses, 1u);
  EXPECT_EQ(*headers.Get("grpc-message"), "no route for /pkg.Svc/Do: 100%25 \"sure\"%0A");
  EXPECT_EQ(*headers.Get("x-request-id"), "req-3");
  EXPECT_EQ(*headers.Get("retry-after"), "1");
  EXPECT_TRUE(headers.Has(kLocalReplyHeader));

  std::string out;
  AppendLocalReply(out, reply, "req-3", LocalReplyFormat::kGrpc, /*close=*/false);
  EXPECT_EQ(out.rfind("HTTP/1.1 200 ", 0), 0u) << out;
  EXPECT_NE(out.find("\r\ncontent-length: 0\r\n"), std::string::npos) << out;
}

TEST(LocalReplyTest, A204HasNoBodyAndNoLength) {
  LocalReply reply{204, "cors_preflight", "answered by the gateway"};
  reply.headers.Add("access-control-allow-origin", "https://app.example.com");
  HeaderMap headers;
  std::string body = "left over";
  EXPECT_EQ(BuildLocalReply(reply, "req-4", LocalReplyFormat::kJson, headers, body), 204);
  EXPECT_TRUE(body.empty());
  EXPECT_FALSE(headers.Has("content-type"));
  EXPECT_EQ(*headers.Get("access-control-allow-origin"), "https://app.example.com");
  EXPECT_TRUE(headers.Has(kLocalReplyHeader));

  std::string out;
  AppendLocalReply(out, reply, "req-4", LocalReplyFormat::kJson, /*close=*/false);
  EXPECT_EQ(out.rfind("HTTP/1.1 204 ", 0), 0u) << out;
  EXPECT_EQ(out.find("content-length"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n") << out;
}

}  // namespace
}  // namespace switchyard::http
