#include "controlplane/store/sqlite_token_store.h"

#include <cstdlib>

#include "controlplane/store/sqlite_version_store.h"
#include "gtest/gtest.h"

namespace switchyard::controlplane {
namespace {

std::string TempDb(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TokenRecord Record(const std::string& name, Role role, const std::string& hash) {
  return {.name = name,
          .role = role,
          .sha256_hex = hash,
          .created = absl::FromUnixSeconds(1'800'000'000),
          .created_by = "admin"};
}

TEST(SqliteTokenStoreTest, CreateFindListRevoke) {
  auto store = SqliteTokenStore::Open(TempDb("tokens.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  TokenRecord ci = Record("ci", Role::kOperator, "aa");
  ci.expires = absl::FromUnixSeconds(1'900'000'000);
  ASSERT_TRUE((*store)->Create(ci).ok());
  ASSERT_TRUE((*store)->Create(Record("bob", Role::kViewer, "bb")).ok());
  EXPECT_EQ((*store)->Create(Record("ci", Role::kAdmin, "cc")).code(),
            absl::StatusCode::kAlreadyExists);

  absl::StatusOr<std::optional<TokenRecord>> found = (*store)->FindByHash("aa");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->name, "ci");
  EXPECT_EQ((*found)->role, Role::kOperator);
  EXPECT_EQ((*found)->expires, absl::FromUnixSeconds(1'900'000'000));
  EXPECT_FALSE((*store)->FindByHash("zz")->has_value());

  absl::StatusOr<std::vector<TokenRecord>> all = (*store)->List();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "bob");
  EXPECT_EQ((*all)[0].expires, absl::InfiniteFuture());

  EXPECT_TRUE(*(*store)->Revoke("ci"));
  EXPECT_FALSE(*(*store)->Revoke("ci"));
  EXPECT_FALSE((*store)->FindByHash("aa")->has_value());
}

TEST(SqliteTokenStoreTest, SharesTheFileWithTheVersionStore) {
  const std::string path = TempDb("shared.db");
  auto versions = SqliteVersionStore::Open(path);
  ASSERT_TRUE(versions.ok());
  auto tokens = SqliteTokenStore::Open(path);
  ASSERT_TRUE(tokens.ok());
  ASSERT_TRUE((*tokens)->Create(Record("ci", Role::kOperator, "aa")).ok());
  ASSERT_TRUE((*versions)->Append(switchyard::v1::Snapshot(), "a", "m", std::nullopt, 0).ok());
  // A second process's view: the token is there.
  auto again = SqliteTokenStore::Open(path);
  EXPECT_TRUE((*again)->FindByHash("aa")->has_value());
}

}  // namespace
}  // namespace switchyard::controlplane
