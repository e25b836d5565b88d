#include "dataplane/upstream/pool_key.h"

#include "gtest/gtest.h"

namespace switchyard::upstream {
namespace {

TEST(PoolKeyTest, EqualExactlyWhenEverySettingIs) {
  const PoolKeyParts plain{.address = "10.0.0.1:80"};
  PoolKeyParts tls = plain;
  tls.tls = true;
  tls.tls_settings = "0123";
  PoolKeyParts other_settings = tls;
  other_settings.tls_settings = "4567";

  EXPECT_EQ(MakePoolKey(plain), MakePoolKey(PoolKeyParts{.address = "10.0.0.1:80"}));
  EXPECT_NE(MakePoolKey(plain), MakePoolKey(tls));
  EXPECT_NE(MakePoolKey(tls), MakePoolKey(other_settings));
  PoolKeyParts http2 = plain;
  http2.protocol = UpstreamProtocol::kHttp2;
  EXPECT_NE(MakePoolKey(plain), MakePoolKey(http2));
  EXPECT_NE(MakePoolKey(plain), MakePoolKey(PoolKeyParts{.address = "10.0.0.1:81"}));
}

TEST(PoolKeyTest, PlainAndTlsNeverCollide) {
  // An address cannot carry " tls ", and the TLS part is length-prefixed.
  PoolKeyParts a{.address = "10.0.0.1:80", .tls = true};
  a.tls_settings = "";
  EXPECT_NE(MakePoolKey(a), MakePoolKey(PoolKeyParts{.address = "10.0.0.1:80"}));
  EXPECT_EQ(MakePoolKey(a), "h1 10.0.0.1:80 tls 0:");
}

}  // namespace
}  // namespace switchyard::upstream
