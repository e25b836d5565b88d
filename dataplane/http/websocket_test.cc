#include "dataplane/http/websocket.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace switchyard::http {
namespace {

TEST(WebSocketTest, AcceptIsTheRfcsExample) {
  // RFC 6455 1.3's worked example.
  EXPECT_EQ(WebSocketAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_NE(WebSocketAccept("dGhlIHNhbXBsZSBub25jZQ=!"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketTest, AKeyIsSixteenFreshBytesInBase64) {
  const std::string first = NewWebSocketKey();
  const std::string second = NewWebSocketKey();
  EXPECT_EQ(first.size(), 24u);
  std::string raw;
  ASSERT_TRUE(absl::Base64Unescape(first, &raw));
  EXPECT_EQ(raw.size(), 16u);
  EXPECT_NE(first, second);
}

}  // namespace
}  // namespace switchyard::http
