#include "switchyard/config/syntax.h"

#include <string>

#include "gtest/gtest.h"

namespace switchyard::config {
namespace {

TEST(SyntaxTest, NameCharacters) {
  for (char c : std::string("azAZ09_.-")) EXPECT_TRUE(IsNameCharacter(c)) << c;
  for (char c : std::string(" /:[]*\"\n\0", 9)) EXPECT_FALSE(IsNameCharacter(c)) << int(c);
}

TEST(SyntaxTest, HttpTokens) {
  EXPECT_TRUE(IsHttpToken("GET"));
  EXPECT_TRUE(IsHttpToken("M-SEARCH"));
  EXPECT_TRUE(IsHttpToken("x-request-id"));
  EXPECT_TRUE(IsHttpToken("!#$%&'*+-.^_`|~09azAZ"));
  EXPECT_FALSE(IsHttpToken(""));
  EXPECT_FALSE(IsHttpToken("x y"));
  EXPECT_FALSE(IsHttpToken(":authority"));
  EXPECT_FALSE(IsHttpToken("a\"b"));
  EXPECT_FALSE(IsHttpToken("caf\xc3\xa9"));
}

TEST(SyntaxTest, IpLiterals) {
  EXPECT_TRUE(IsIpLiteral("10.0.0.1"));
  EXPECT_TRUE(IsIpLiteral("::1"));
  EXPECT_TRUE(IsIpLiteral("2001:db8::8a2e:370:7334"));
  EXPECT_TRUE(IsIpLiteral("::ffff:10.0.0.1"));
  EXPECT_FALSE(IsIpLiteral(""));
  EXPECT_FALSE(IsIpLiteral("localhost"));
  EXPECT_FALSE(IsIpLiteral("[::1]"));
  EXPECT_FALSE(IsIpLiteral("10.0.0.256"));
  EXPECT_FALSE(IsIpLiteral("10.0.0.1:80"));
  EXPECT_FALSE(IsIpLiteral(std::string("10.0.0.1\0x", 10)));
}

TEST(SyntaxTest, ValidDomains) {
  for (const char* domain :
       {"*", "*.example.com", "api.example.com", "API.Example.COM", "svc_name.internal", "10.0.0.1",
        "[::1]", "[2001:db8::1]", "localhost", "a-b.c"}) {
    EXPECT_EQ(DomainProblem(domain), "") << domain;
  }
}

TEST(SyntaxTest, InvalidDomains) {
  EXPECT_EQ(DomainProblem(""), "must not be empty");
  EXPECT_EQ(DomainProblem("api.example.com:8080"), "must not carry a port");
  EXPECT_EQ(DomainProblem("[::1]:80"), "must not carry a port");
  EXPECT_EQ(DomainProblem("[zz]"), "invalid bracketed IPv6 literal");
  EXPECT_EQ(DomainProblem("a..b"), "empty label");
  EXPECT_EQ(DomainProblem("example.com."), "empty label");
  EXPECT_EQ(DomainProblem(".example.com"), "empty label");
  EXPECT_EQ(DomainProblem("*."), "empty host name");
  EXPECT_EQ(DomainProblem("*foo.com"), "'*' is only allowed as \"*\" or as a leading \"*.\"");
  EXPECT_EQ(DomainProblem("a.*.com"), "'*' is only allowed as \"*\" or as a leading \"*.\"");
  EXPECT_EQ(DomainProblem("*.*.com"), "'*' is only allowed as \"*\" or as a leading \"*.\"");
  EXPECT_EQ(DomainProblem("a b"), "invalid character byte 0x20");
  EXPECT_EQ(DomainProblem("a/b"), "invalid character '/'");
  EXPECT_EQ(DomainProblem(std::string(64, 'a') + ".com"), "label longer than 63 characters");
  EXPECT_EQ(DomainProblem(std::string(256, 'a')), "longer than 255 characters");
}

TEST(SyntaxTest, Hosts) {
  for (const char* host : {"backend", "backend.internal", "backend.internal:8443", "10.0.0.1:80",
                           "[::1]", "[::1]:8080", "a:65535"}) {
    EXPECT_EQ(HostProblem(host), "") << host;
  }
  EXPECT_EQ(HostProblem(""), "must not be empty");
  EXPECT_EQ(HostProblem("a:0"), "port must be 1..65535");
  EXPECT_EQ(HostProblem("a:65536"), "port must be 1..65535");
  EXPECT_EQ(HostProblem("a:123456"), "port must be 1..65535");
  EXPECT_EQ(HostProblem("a:http"), "port must be 1..65535");
  EXPECT_EQ(HostProblem("a:"), "empty port");
  EXPECT_EQ(HostProblem("::1"), "an IPv6 literal must be in brackets");
  EXPECT_EQ(HostProblem("[::1"), "invalid bracketed IPv6 literal");
  EXPECT_EQ(HostProblem("[::1]x"), "unexpected text after the IPv6 literal");
  EXPECT_EQ(HostProblem("*.example.com"), "must not contain '*'");
  EXPECT_EQ(HostProblem("bad host"), "invalid character byte 0x20");
}

TEST(SyntaxTest, PathCharacters) {
  EXPECT_EQ(FindNonPathCharacter("/a/b-c_d.e~f%20;x=1"), std::string_view::npos);
  EXPECT_EQ(FindNonPathCharacter("/caf\xc3\xa9"), std::string_view::npos);
  EXPECT_EQ(FindNonPathCharacter("/a b"), 2u);
  EXPECT_EQ(FindNonPathCharacter("/a?b"), 2u);
  EXPECT_EQ(FindNonPathCharacter("/a#b"), 2u);
  EXPECT_EQ(FindNonPathCharacter("/\t"), 1u);
  EXPECT_EQ(FindNonPathCharacter("/\x7f"), 1u);
  EXPECT_EQ(FindNonPathCharacter(std::string("/\0", 2)), 1u);
}

}  // namespace
}  // namespace switchyard::config
