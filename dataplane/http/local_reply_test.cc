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
  AppendLocalReply(out, reply, "req-1", /*close=*/false);
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
  AppendLocalReply(out, reply, "req-2", /*close=*/true);
  EXPECT_EQ(out.find("forged"), std::string::npos) << out;
  EXPECT_EQ(out.find("keep-alive"), std::string::npos) << out;
  EXPECT_EQ(out.find("content-length: 0"), std::string::npos) << out;
  EXPECT_EQ(out.find(": false"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\nconnection: close\r\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace switchyard::http
