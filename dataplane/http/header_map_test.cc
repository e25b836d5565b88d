#include "dataplane/http/header_map.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::http {
namespace {

std::vector<std::string> Names(const HeaderMap& h) {
  std::vector<std::string> names;
  for (const HeaderField& f : h) names.push_back(f.name);
  return names;
}

TEST(HeaderMapTest, LookupIsCaseInsensitiveAndNamesAreLowerCased) {
  HeaderMap h;
  h.Add("Content-Type", "text/plain");
  ASSERT_NE(h.Get("CONTENT-TYPE"), nullptr);
  EXPECT_EQ(*h.Get("content-type"), "text/plain");
  EXPECT_EQ(Names(h), std::vector<std::string>{"content-type"});
}

TEST(HeaderMapTest, RemoveKeepsOrderOfTheRest) {
  HeaderMap h;
  h.Add("a", "1");
  h.Add("b", "2");
  h.Add("a", "3");
  h.Add("c", "4");
  EXPECT_EQ(h.Remove("A"), 2u);
  EXPECT_EQ(Names(h), (std::vector<std::string>{"b", "c"}));
  h.Set("b", "5");
  EXPECT_EQ(Names(h), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(*h.Get("b"), "5");
}

TEST(HeaderMapTest, ClearedMapIsEmptyAndReusable) {
  HeaderMap h;
  h.Add("x-long-header-name-beyond-sso", std::string(100, 'v'));
  h.Add("y", "1");
  h.clear();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.Get("y"), nullptr);
  EXPECT_EQ(h.begin(), h.end());
  h.Add("z", "2");
  EXPECT_EQ(Names(h), std::vector<std::string>{"z"});
  EXPECT_EQ(*h.Get("z"), "2");
}

TEST(HeaderMapTest, CopyTakesOnlyLiveFields) {
  HeaderMap h;
  h.Add("a", "1");
  h.Add("b", "2");
  h.Remove("b");
  HeaderMap copy = h;
  EXPECT_EQ(Names(copy), std::vector<std::string>{"a"});
  HeaderMap assigned;
  assigned.Add("q", "9");
  assigned = h;
  EXPECT_EQ(Names(assigned), std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace switchyard::http
