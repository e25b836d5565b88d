#include "common/endpoint.h"

#include "gtest/gtest.h"

namespace switchyard {
namespace {

TEST(ParseEndpointTest, AddressesAndPorts) {
  boost::asio::ip::tcp::endpoint e;
  ASSERT_TRUE(ParseEndpoint("127.0.0.1:8080", e));
  EXPECT_EQ(e.address().to_string(), "127.0.0.1");
  EXPECT_EQ(e.port(), 8080);
  ASSERT_TRUE(ParseEndpoint("[::1]:0", e));
  EXPECT_TRUE(e.address().is_v6());
  EXPECT_EQ(e.port(), 0);
  for (const char* bad : {"localhost:80", "127.0.0.1", "127.0.0.1:65536", "127.0.0.1:-1",
                          "127.0.0.1:8o", ":80", "::1:80x"}) {
    EXPECT_FALSE(ParseEndpoint(bad, e)) << bad;
  }
}

}  // namespace
}  // namespace switchyard
