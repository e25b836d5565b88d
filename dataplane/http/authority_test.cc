#include "dataplane/http/authority.h"

#include "gtest/gtest.h"

namespace switchyard::http {
namespace {

TEST(AuthorityTest, ValidHosts) {
  for (const char* host : {"example.com",
                           "EXAMPLE.com",
                           "acl.test:8080",
                           "acl.test:65535",
                           "acl.test:0",
                           "acl.test:",
                           "127.0.0.1",
                           "127.0.0.1:80",
                           "[::1]",
                           "[::1]:8443",
                           "[2001:db8::7]",
                           "[::ffff:192.0.2.1]:1",
                           "[v1.fe80::a+en1]",
                           "xn--bcher-kva.example",
                           "under_score.test",
                           "a~b-c.d",
                           "sub!$&'()*+,;=delims",
                           "%65xample.com",
                           "",
                           "localhost",
                           "0080:0080"}) {
    EXPECT_TRUE(IsValidHostHeader(host)) << host;
  }
}

TEST(AuthorityTest, InvalidHosts) {
  for (const char* host : {"a b",
                           "acl.test/x",
                           "evil.com@acl.test",
                           "user:pw@acl.test",
                           "acl.test:99999",
                           "acl.test:65536",
                           "acl.test:123456789012345678901234567890",
                           "acl.test:8o",
                           "acl.test:-1",
                           "acl.test:80:80",
                           "acl.test?x",
                           "acl.test#x",
                           "acl.test\\x",
                           "[::1",
                           "::1",
                           "[::1]x",
                           "[::1]:99999",
                           "[not-v6]",
                           "[]",
                           "[v1]",
                           "[v.x]",
                           "[vz.x]",
                           "[1.2.3.4]",
                           "a%zzb",
                           "a%4",
                           "ex\"ample",
                           "a<b>",
                           "a\tb",
                           "é.test"}) {
    EXPECT_FALSE(IsValidHostHeader(host)) << host;
  }
}

}  // namespace
}  // namespace switchyard::http
