#include "dataplane/upstream/pool_key.h"

#include "gtest/gtest.h"

namespace switchyard::upstream {
namespace {

TEST(PoolKeyTest, EqualExactlyWhenEverySettingIs) {
  const PoolKeyParts plain{.address = "10.0.0.1:80"};
  PoolKeyParts tls = plain;
  tls.tls = true;
  tls.tls_server_name = "a.example";
  PoolKeyParts other_sni = tls;
  other_sni.tls_server_name = "b.example";
  PoolKeyParts other_ca = tls;
  other_ca.tls_ca = "sha256:1234";
  PoolKeyParts other_cert = tls;
  other_cert.tls_client_certificate = "sha256:abcd";

  EXPECT_EQ(MakePoolKey(plain), MakePoolKey(PoolKeyParts{.address = "10.0.0.1:80"}));
  EXPECT_NE(MakePoolKey(plain), MakePoolKey(tls));
  EXPECT_NE(MakePoolKey(tls), MakePoolKey(other_sni));
  EXPECT_NE(MakePoolKey(tls), MakePoolKey(other_ca));
  EXPECT_NE(MakePoolKey(tls), MakePoolKey(other_cert));
  EXPECT_NE(MakePoolKey(plain), MakePoolKey(PoolKeyParts{.address = "10.0.0.1:81"}));
}

TEST(PoolKeyTest, ValuesCannotForgeSeparators) {
  PoolKeyParts a{.address = "10.0.0.1:80", .tls = true};
  a.tls_server_name = "x";
  a.tls_ca = "1:y";
  PoolKeyParts b{.address = "10.0.0.1:80", .tls = true};
  b.tls_server_name = "x1:y";
  EXPECT_NE(MakePoolKey(a), MakePoolKey(b));
}

}  // namespace
}  // namespace switchyard::upstream
