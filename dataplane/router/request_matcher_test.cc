#include "dataplane/router/request_matcher.h"

#include <string>

#include "gtest/gtest.h"

namespace switchyard::router {
namespace {

RequestMatcher Build(const v1::RouteMatch& match) {
  absl::StatusOr<RequestMatcher> matcher = RequestMatcher::Build(match);
  EXPECT_TRUE(matcher.ok()) << matcher.status();
  return *std::move(matcher);
}

v1::RouteMatch WithHeader(const std::string& name) {
  v1::RouteMatch match;
  match.add_headers()->set_name(name);
  return match;
}

TEST(RequestMatcherTest, NoConditionsAcceptsAll) {
  const RequestMatcher matcher = Build(v1::RouteMatch());
  EXPECT_TRUE(matcher.accepts_all());
  EXPECT_TRUE(matcher.Matches("GET", nullptr));
  EXPECT_TRUE(matcher.Matches("", nullptr));
}

TEST(RequestMatcherTest, MethodsAreCaseSensitive) {
  v1::RouteMatch match;
  match.add_methods("GET");
  match.add_methods("HEAD");
  const RequestMatcher matcher = Build(match);
  EXPECT_FALSE(matcher.accepts_all());
  EXPECT_TRUE(matcher.Matches("GET", nullptr));
  EXPECT_TRUE(matcher.Matches("HEAD", nullptr));
  EXPECT_FALSE(matcher.Matches("get", nullptr));
  EXPECT_FALSE(matcher.Matches("POST", nullptr));
  EXPECT_FALSE(matcher.Matches("", nullptr));
}

TEST(RequestMatcherTest, ExactPrefixRegex) {
  v1::RouteMatch match = WithHeader("X-Env");
  match.mutable_headers(0)->set_exact("prod");
  match.add_headers()->set_name("x-ver");
  match.mutable_headers(1)->set_prefix("v2");
  match.add_headers()->set_name("x-id");
  match.mutable_headers(2)->set_regex("[0-9]+");
  const RequestMatcher matcher = Build(match);

  http::HeaderMap headers;
  headers.Add("x-env", "prod");
  headers.Add("X-Ver", "v2.1");
  headers.Add("x-id", "123");
  EXPECT_TRUE(matcher.Matches("GET", &headers));

  headers.Set("x-id", "123a");  // regex must match the whole value
  EXPECT_FALSE(matcher.Matches("GET", &headers));
  headers.Set("x-id", "9");
  headers.Set("x-env", "Prod");  // values are case-sensitive
  EXPECT_FALSE(matcher.Matches("GET", &headers));
  headers.Set("x-env", "prod");
  headers.Set("x-ver", "v1");
  EXPECT_FALSE(matcher.Matches("GET", &headers));
  headers.Remove("x-ver");
  EXPECT_FALSE(matcher.Matches("GET", &headers));
  EXPECT_FALSE(matcher.Matches("GET", nullptr));
}

TEST(RequestMatcherTest, Present) {
  v1::RouteMatch match = WithHeader("x-debug");
  match.mutable_headers(0)->set_present(true);
  const RequestMatcher must_have = Build(match);
  match.mutable_headers(0)->set_present(false);
  const RequestMatcher must_lack = Build(match);

  http::HeaderMap headers;
  EXPECT_FALSE(must_have.Matches("GET", &headers));
  EXPECT_TRUE(must_lack.Matches("GET", &headers));
  EXPECT_TRUE(must_lack.Matches("GET", nullptr));
  headers.Add("X-Debug", "");
  EXPECT_TRUE(must_have.Matches("GET", &headers));
  EXPECT_FALSE(must_lack.Matches("GET", &headers));
}

TEST(RequestMatcherTest, InvertFlipsEveryKindIncludingAbsence) {
  v1::RouteMatch match = WithHeader("x-env");
  match.mutable_headers(0)->set_exact("prod");
  match.mutable_headers(0)->set_invert(true);
  const RequestMatcher not_prod = Build(match);

  http::HeaderMap headers;
  EXPECT_TRUE(not_prod.Matches("GET", &headers));  // absent: exact rejects, invert accepts
  headers.Add("x-env", "dev");
  EXPECT_TRUE(not_prod.Matches("GET", &headers));
  headers.Set("x-env", "prod");
  EXPECT_FALSE(not_prod.Matches("GET", &headers));

  v1::RouteMatch present = WithHeader("x-env");
  present.mutable_headers(0)->set_present(true);
  present.mutable_headers(0)->set_invert(true);
  EXPECT_FALSE(Build(present).Matches("GET", &headers));
  EXPECT_TRUE(Build(present).Matches("GET", nullptr));
}

TEST(RequestMatcherTest, RepeatedHeaderIsMatchedAsCombinedValue) {
  v1::RouteMatch match = WithHeader("x-role");
  match.mutable_headers(0)->set_exact("admin");
  const RequestMatcher admin = Build(match);
  v1::RouteMatch combined = WithHeader("x-role");
  combined.mutable_headers(0)->set_exact("user,admin");
  const RequestMatcher both = Build(combined);

  http::HeaderMap headers;
  headers.Add("x-role", "user");
  headers.Add("x-other", "z");
  headers.Add("X-Role", "admin");
  EXPECT_FALSE(admin.Matches("GET", &headers));
  EXPECT_TRUE(both.Matches("GET", &headers));

  http::HeaderMap empty_first;
  empty_first.Add("x-role", "");
  empty_first.Add("x-role", "admin");
  v1::RouteMatch leading_comma = WithHeader("x-role");
  leading_comma.mutable_headers(0)->set_exact(",admin");
  EXPECT_TRUE(Build(leading_comma).Matches("GET", &empty_first));
}

TEST(RequestMatcherTest, BuildErrors) {
  v1::RouteMatch match = WithHeader("x");
  absl::StatusOr<RequestMatcher> matcher = RequestMatcher::Build(match);
  ASSERT_FALSE(matcher.ok());
  EXPECT_EQ(matcher.status().message(), "headers[0]: no match set");

  match.mutable_headers(0)->set_regex("(");
  matcher = RequestMatcher::Build(match);
  ASSERT_FALSE(matcher.ok());
  EXPECT_EQ(matcher.status().message(), "headers[0].regex: invalid RE2: missing ): (");
}

}  // namespace
}  // namespace switchyard::router
