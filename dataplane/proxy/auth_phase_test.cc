#include "dataplane/proxy/auth_phase.h"

#include "gtest/gtest.h"

namespace switchyard::proxy {
namespace {

TEST(ForwardedClientAddressTest, CountsFromTheRightAcrossFields) {
  http::HeaderMap headers;
  EXPECT_EQ(ForwardedClientAddress(headers, 1), "");
  headers.Add("x-forwarded-for", "203.0.113.9, 10.0.0.1");
  headers.Add("X-Forwarded-For", " 10.0.0.2 ,10.0.0.3");
  EXPECT_EQ(ForwardedClientAddress(headers, 1), "10.0.0.3");
  EXPECT_EQ(ForwardedClientAddress(headers, 2), "10.0.0.2");
  EXPECT_EQ(ForwardedClientAddress(headers, 3), "10.0.0.1");
  EXPECT_EQ(ForwardedClientAddress(headers, 4), "203.0.113.9");
  // Fewer addresses than trusted hops: not through the trusted proxies.
  EXPECT_EQ(ForwardedClientAddress(headers, 5), "");
  // Empty entries are not addresses.
  http::HeaderMap sparse;
  sparse.Add("x-forwarded-for", "192.0.2.1,, ,");
  EXPECT_EQ(ForwardedClientAddress(sparse, 1), "192.0.2.1");
  EXPECT_EQ(ForwardedClientAddress(sparse, 2), "");
}

}  // namespace
}  // namespace switchyard::proxy
