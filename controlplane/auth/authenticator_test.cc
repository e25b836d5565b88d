#include "controlplane/auth/authenticator.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "controlplane/store/sqlite_token_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchyard::controlplane {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteTokenStore::Open(TempPath(
        std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    Store("ci", Role::kOperator, ci_token_, absl::InfiniteFuture());
    Store("old", Role::kAdmin, old_token_, kNow - absl::Seconds(1));
    options_.proxy_identity = CertIdentityRule::ProxyDefault();
    options_.cert_roles = {{"alice", Role::kAdmin}};
    options_.bootstrap_tokens = {{.sha256_hex = TokenHash(boot_token_), .name = "admin"}};
  }
  void TearDown() override { store_.reset(); }

  void Store(const std::string& name, Role role, const std::string& token, absl::Time expires) {
    ASSERT_TRUE(store_
                    ->Create({.name = name,
                              .role = role,
                              .sha256_hex = TokenHash(token),
                              .created = kNow,
                              .created_by = "test",
                              .expires = expires})
                    .ok());
  }

  absl::StatusOr<Caller> Auth(std::optional<std::string> header,
                              std::optional<PeerCertificate> cert = std::nullopt) {
    Authenticator auth(options_, store_.get());
    return auth.Authenticate(header, cert, kNow);
  }

  std::unique_ptr<SqliteTokenStore> store_;
  Authenticator::Options options_;
  const std::string ci_token_ = NewToken();
  const std::string old_token_ = NewToken();
  const std::string boot_token_ = NewToken();
};

TEST_F(AuthenticatorTest, TokensLookLikeThis) {
  EXPECT_THAT(NewToken(), MatchesRegex("syt_[0-9a-f]{64}"));
  EXPECT_NE(NewToken(), NewToken());
  // printf %s abc | sha256sum
  EXPECT_EQ(TokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(AuthenticatorTest, StoredAndBootstrapTokensAuthenticate) {
  absl::StatusOr<Caller> ci = Auth("Bearer " + ci_token_);
  ASSERT_TRUE(ci.ok()) << ci.status();
  EXPECT_EQ(ci->name, "ci");
  EXPECT_EQ(ci->via, "token");
  EXPECT_EQ(ci->role, Role::kOperator);
  absl::StatusOr<Caller> boot = Auth("Bearer " + boot_token_);
  ASSERT_TRUE(boot.ok()) << boot.status();
  EXPECT_EQ(boot->name, "admin");
  EXPECT_EQ(boot->role, Role::kAdmin);
}

TEST_F(AuthenticatorTest, BadTokensFailEvenWithACertificate) {
  const PeerCertificate alice{.common_name = "alice"};
  for (const std::string& header :
       std::vector<std::string>{"Bearer " + NewToken(), "Bearer syt_short",
                                "Basic YWxpY2U6cHc=", "Bearer " + old_token_}) {
    absl::StatusOr<Caller> caller = Auth(header, alice);
    EXPECT_EQ(caller.status().code(), absl::StatusCode::kUnauthenticated) << header;
  }
  EXPECT_THAT(Auth("Bearer " + old_token_).status().message(), HasSubstr("'old' has expired"));
  ASSERT_TRUE(*store_->Revoke("ci"));
  EXPECT_THAT(Auth("Bearer " + ci_token_).status().message(), HasSubstr("unknown or revoked"));
}

TEST_F(AuthenticatorTest, CertificatesNeedARoleAndMustNotBeAProxys) {
  absl::StatusOr<Caller> alice = Auth(std::nullopt, PeerCertificate{.common_name = "alice"});
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ(alice->via, "certificate");
  EXPECT_EQ(alice->role, Role::kAdmin);
  EXPECT_THAT(Auth(std::nullopt, PeerCertificate{.common_name = "mallory"}).status().message(),
              HasSubstr("CN 'mallory' has no role"));
  // A proxy's certificate whose CN happens to be an operator's grants nothing.
  PeerCertificate proxy{.common_name = "alice", .uris = {"spiffe://switchyard/proxy/alice"}};
  EXPECT_THAT(Auth(std::nullopt, proxy).status().message(), HasSubstr("a proxy's certificate"));
  // Nor is one that names two proxies (the rule refuses it as ambiguous).
  PeerCertificate two{.common_name = "alice",
                      .uris = {"spiffe://switchyard/proxy/a", "spiffe://switchyard/proxy/b"}};
  EXPECT_THAT(Auth(std::nullopt, two).status().message(), HasSubstr("a proxy's certificate"));
  EXPECT_EQ(Auth(std::nullopt).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, InsecureMakesEveryoneAnUnauthenticatedAdmin) {
  options_.insecure = true;
  absl::StatusOr<Caller> caller = Auth(std::nullopt);
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->name, "unauthenticated");
  EXPECT_EQ(caller->role, Role::kAdmin);
}

TEST(AuthorizeTest, RolesIncludeTheOnesBelow) {
  const Caller viewer{.name = "bob", .via = "token", .role = Role::kViewer};
  EXPECT_TRUE(Authorize(viewer, Role::kViewer, "get").ok());
  absl::Status denied = Authorize(viewer, Role::kOperator, "apply");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "'bob' (viewer) may not apply: that needs the operator role");
  EXPECT_TRUE(Authorize({.role = Role::kAdmin}, Role::kOperator, "apply").ok());
}

TEST(TokenHashFileTest, ReadsHashesAndRefusesLooseFiles) {
  const std::string path = TempPath("hashes");
  std::ofstream(path) << "# bootstrap\n" << TokenHash("x") << " admin\n\n";
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  absl::StatusOr<std::vector<BootstrapToken>> tokens = LoadTokenHashFile(path);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ((*tokens)[0].name, "admin");

  ASSERT_EQ(::chmod(path.c_str(), 0622), 0);
  EXPECT_THAT(LoadTokenHashFile(path).status().message(), HasSubstr("writable by group"));
  std::ofstream(path) << "not-a-hash admin\n";
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_THAT(LoadTokenHashFile(path).status().message(), HasSubstr(path + ":1: expected"));
}

TEST(CertRolesTest, Parses) {
  auto roles = ParseCertRoles("alice=admin, ci-bot=operator");
  ASSERT_TRUE(roles.ok());
  EXPECT_EQ(roles->at("ci-bot"), Role::kOperator);
  EXPECT_THAT(ParseCertRoles("alice=root").status().message(), HasSubstr("'alice=root'"));
  EXPECT_TRUE(ParseCertRoles("")->empty());
}

}  // namespace
}  // namespace switchyard::controlplane
