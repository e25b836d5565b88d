#include "dataplane/router/prefix_tree.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchyard::router {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Every value stored under a prefix of `key`, shortest prefix first.
std::vector<uint32_t> Lookup(const PrefixTree& tree, std::string_view key) {
  std::vector<uint32_t> out;
  tree.ForEachPrefixOf(key, [&](const std::vector<uint32_t>& values) {
    out.insert(out.end(), values.begin(), values.end());
  });
  return out;
}

TEST(PrefixTreeTest, EmptyTreeFindsNothing) {
  PrefixTree tree;
  EXPECT_TRUE(tree.empty());
  EXPECT_THAT(Lookup(tree, "/a"), IsEmpty());
  EXPECT_THAT(Lookup(tree, ""), IsEmpty());
}

TEST(PrefixTreeTest, FindsEveryStoredPrefixShortestFirst) {
  PrefixTree tree;
  tree.Insert("/api/users/", 3);
  tree.Insert("/", 1);
  tree.Insert("/api/", 2);
  tree.Insert("/apx", 4);
  EXPECT_FALSE(tree.empty());
  EXPECT_THAT(Lookup(tree, "/api/users/42"), ElementsAre(1, 2, 3));
  EXPECT_THAT(Lookup(tree, "/api/users/"), ElementsAre(1, 2, 3));
  EXPECT_THAT(Lookup(tree, "/api/users"), ElementsAre(1, 2));
  EXPECT_THAT(Lookup(tree, "/api"), ElementsAre(1));
  EXPECT_THAT(Lookup(tree, "/apx/y"), ElementsAre(1, 4));
  EXPECT_THAT(Lookup(tree, "x"), IsEmpty());
  EXPECT_THAT(Lookup(tree, ""), IsEmpty());
}

TEST(PrefixTreeTest, SplitsEdgesWhereprefixesDiverge) {
  PrefixTree tree;
  tree.Insert("/abcdef", 1);
  tree.Insert("/abcxyz", 2);  // splits "/abcdef" after "/abc"
  tree.Insert("/ab", 3);      // splits again, above the first split
  tree.Insert("/abc", 4);     // lands on the existing middle node
  EXPECT_THAT(Lookup(tree, "/abcdef"), ElementsAre(3, 4, 1));
  EXPECT_THAT(Lookup(tree, "/abcxyz!"), ElementsAre(3, 4, 2));
  EXPECT_THAT(Lookup(tree, "/abcd"), ElementsAre(3, 4));
  EXPECT_THAT(Lookup(tree, "/a"), IsEmpty());
  // root, "/ab", "c", "def", "xyz"
  EXPECT_EQ(tree.node_count(), 5u);
}

TEST(PrefixTreeTest, KeepsInsertionOrderUnderOnePrefix) {
  PrefixTree tree;
  tree.Insert("/a", 1);
  tree.Insert("/a", 5);
  tree.Insert("/a", 9);
  EXPECT_THAT(Lookup(tree, "/a/b"), ElementsAre(1, 5, 9));
}

TEST(PrefixTreeTest, EmptyPrefixMatchesEverything) {
  PrefixTree tree;
  tree.Insert("", 7);
  tree.Insert("/x", 8);
  EXPECT_THAT(Lookup(tree, ""), ElementsAre(7));
  EXPECT_THAT(Lookup(tree, "/x"), ElementsAre(7, 8));
  EXPECT_THAT(Lookup(tree, "zzz"), ElementsAre(7));
}

TEST(PrefixTreeTest, BytesAreOpaque) {
  PrefixTree tree;
  tree.Insert(std::string("/a\0b", 4), 1);
  tree.Insert("/caf\xc3\xa9", 2);
  EXPECT_THAT(Lookup(tree, std::string("/a\0bc", 5)), ElementsAre(1));
  EXPECT_THAT(Lookup(tree, "/a"), IsEmpty());
  EXPECT_THAT(Lookup(tree, "/caf\xc3\xa9/x"), ElementsAre(2));
  EXPECT_THAT(Lookup(tree, "/caf\xc3"), IsEmpty());
}

TEST(PrefixTreeTest, ManyPrefixes) {
  PrefixTree tree;
  for (uint32_t i = 0; i < 10000; ++i) tree.Insert("/svc/" + std::to_string(i) + "/", i);
  EXPECT_THAT(Lookup(tree, "/svc/1234/x"), ElementsAre(1234));
  EXPECT_THAT(Lookup(tree, "/svc/9999/"), ElementsAre(9999));
  EXPECT_THAT(Lookup(tree, "/svc/12345/"), IsEmpty());
  EXPECT_THAT(Lookup(tree, "/svc/"), IsEmpty());
}

}  // namespace
}  // namespace switchyard::router
