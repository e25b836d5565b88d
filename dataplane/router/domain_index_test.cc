#include "dataplane/router/domain_index.h"

#include <string>

#include "gtest/gtest.h"

namespace switchyard::router {
namespace {

TEST(HostWithoutPortTest, StripsPortsAndOneTrailingDot) {
  EXPECT_EQ(HostWithoutPort("example.com"), "example.com");
  EXPECT_EQ(HostWithoutPort("Example.com:8080"), "Example.com");
  EXPECT_EQ(HostWithoutPort("example.com."), "example.com");
  EXPECT_EQ(HostWithoutPort("example.com.:443"), "example.com");
  EXPECT_EQ(HostWithoutPort("10.0.0.1:80"), "10.0.0.1");
  EXPECT_EQ(HostWithoutPort("[::1]:80"), "[::1]");
  EXPECT_EQ(HostWithoutPort("[::1]"), "[::1]");
  EXPECT_EQ(HostWithoutPort("[::1"), "[::1");
  EXPECT_EQ(HostWithoutPort("::1"), "::1");
  EXPECT_EQ(HostWithoutPort("example.com:"), "example.com");
  EXPECT_EQ(HostWithoutPort(""), "");
}

class DomainIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(index_.Add("api.example.com", 1).ok());
    ASSERT_TRUE(index_.Add("*.example.com", 2).ok());
    ASSERT_TRUE(index_.Add("*.API.example.com", 3).ok());
    ASSERT_TRUE(index_.Add("[::1]", 4).ok());
    ASSERT_TRUE(index_.Add("10.0.0.1", 5).ok());
  }
  DomainIndex index_;
};

TEST_F(DomainIndexTest, ExactBeatsWildcard) { EXPECT_EQ(index_.Find("api.example.com"), 1u); }

TEST_F(DomainIndexTest, LongestWildcardWins) {
  EXPECT_EQ(index_.Find("v1.api.example.com"), 3u);
  EXPECT_EQ(index_.Find("a.b.api.example.com"), 3u);
  EXPECT_EQ(index_.Find("www.example.com"), 2u);
  EXPECT_EQ(index_.Find("a.b.example.com"), 2u);
}

TEST_F(DomainIndexTest, WildcardNeedsALabel) {
  EXPECT_EQ(index_.Find("example.com"), DomainIndex::kNotFound);
  EXPECT_EQ(index_.Find(".example.com"), DomainIndex::kNotFound);
}

TEST_F(DomainIndexTest, CaseAndPortAreIgnored) {
  EXPECT_EQ(index_.Find("API.Example.COM:8443"), 1u);
  EXPECT_EQ(index_.Find("WWW.EXAMPLE.COM"), 2u);
  EXPECT_EQ(index_.Find("[::1]:8080"), 4u);
  EXPECT_EQ(index_.Find("10.0.0.1:80"), 5u);
  EXPECT_EQ(index_.Find("api.example.com."), 1u);
}

TEST_F(DomainIndexTest, NoCatchAllMeansNotFound) {
  EXPECT_EQ(index_.Find("other.org"), DomainIndex::kNotFound);
  EXPECT_EQ(index_.Find(""), DomainIndex::kNotFound);
}

TEST_F(DomainIndexTest, CatchAllTakesTheRest) {
  ASSERT_TRUE(index_.Add("*", 9).ok());
  EXPECT_EQ(index_.Find("other.org"), 9u);
  EXPECT_EQ(index_.Find("example.com"), 9u);
  EXPECT_EQ(index_.Find(""), 9u);
  EXPECT_EQ(index_.Find("api.example.com"), 1u);
}

TEST_F(DomainIndexTest, VeryLongHostsStillMatchWildcards) {
  ASSERT_TRUE(index_.Add("*", 9).ok());
  const std::string long_host = std::string(300, 'a') + ".Example.com";
  EXPECT_EQ(index_.Find(long_host), 2u);
  EXPECT_EQ(index_.Find(std::string(300, 'a')), 9u);
}

TEST_F(DomainIndexTest, DuplicatesAreRefusedCaseInsensitively) {
  EXPECT_FALSE(index_.Add("API.EXAMPLE.COM", 7).ok());
  EXPECT_FALSE(index_.Add("*.Example.com", 7).ok());
  ASSERT_TRUE(index_.Add("*", 7).ok());
  const absl::Status again = index_.Add("*", 8);
  EXPECT_EQ(again.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(again.message(), "domain \"*\" is in more than one virtual host");
}

}  // namespace
}  // namespace switchyard::router
