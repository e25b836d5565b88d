#include "dataplane/auth/auth_config.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"

namespace switchyard::auth {
namespace {

std::unique_ptr<const AuthConfig> Build(const std::string& yaml) {
  absl::StatusOr<v1::Snapshot> snapshot = config::ParseSnapshot(yaml, "auth.yaml");
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  if (!snapshot.ok()) return nullptr;
  absl::StatusOr<std::unique_ptr<const AuthConfig>> built = AuthConfig::Build(*snapshot);
  EXPECT_TRUE(built.ok()) << built.status();
  return built.ok() ? *std::move(built) : nullptr;
}

class AuthConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = Build(absl::StrCat(R"(
consumers:
  - name: acme
    groups: [partners, beta]
    api_keys: [{name: k1, sha256: ")",
                                 Sha256Hex("acme-key"), R"("}]
  - name: bob
    api_keys: [{name: k1, sha256: ")",
                                 Sha256Hex("bob-key"), R"("}]
auth_policies:
  - name: partners-only
    api_key: {header: X-Api-Key}
    rules: [{allow: {groups: [partners]}}]
  - name: by-query
    api_key: {query: api_key}
  - name: office
    rules:
      - {deny: {methods: [DELETE]}}
      - {allow: {client_ips: ["10.0.0.0/8", "2001:db8::/32"], path_prefixes: [/admin]}}
  - name: allow-all-but-bob
    api_key: {header: x-api-key}
    rules: [{deny: {consumers: [bob]}}]
    default_action: ALLOW
)"));
    ASSERT_NE(config_, nullptr);
  }

  AuthResult Check(const std::string& policy, const AuthRequest& request) {
    const int index = config_->FindPolicy(policy);
    EXPECT_GE(index, 0) << policy;
    return config_->Check(config_->policy(index), request);
  }

  std::unique_ptr<const AuthConfig> config_;
  http::HeaderMap headers_;
};

TEST_F(AuthConfigTest, ApiKeyInAHeaderAuthenticatesItsConsumer) {
  const AuthRequest request{
      .method = "GET", .target = "/x", .client_ip = "127.0.0.1", .headers = &headers_};
  EXPECT_EQ(Check("partners-only", request).outcome, AuthOutcome::kMissingCredential);
  headers_.Add("x-api-key", "wrong");
  EXPECT_EQ(Check("partners-only", request).outcome, AuthOutcome::kInvalidCredential);
  headers_.Set("x-api-key", "acme-key");
  const AuthResult acme = Check("partners-only", request);
  EXPECT_EQ(acme.outcome, AuthOutcome::kAllowed);
  ASSERT_NE(acme.consumer, nullptr);
  EXPECT_EQ(acme.consumer->name, "acme");
  EXPECT_EQ(acme.consumer->groups_header, "partners,beta");
  // bob's key is valid, but bob is no partner: nothing allows him, and the policy has rules.
  headers_.Set("x-api-key", "bob-key");
  const AuthResult bob = Check("partners-only", request);
  EXPECT_EQ(bob.outcome, AuthOutcome::kDenied);
  EXPECT_EQ(bob.consumer->name, "bob");
}

TEST_F(AuthConfigTest, ApiKeyInTheQuery) {
  AuthRequest request{.method = "GET",
                      .target = "/x?a=1&api_key=bob-key&b=2",
                      .client_ip = "127.0.0.1",
                      .headers = &headers_};
  const AuthResult result = Check("by-query", request);
  EXPECT_EQ(result.outcome, AuthOutcome::kAllowed);  // no rules: authentication alone
  ASSERT_NE(result.consumer, nullptr);
  EXPECT_EQ(result.consumer->name, "bob");
  request.target = "/x?api_key=&b=2";
  EXPECT_EQ(Check("by-query", request).outcome, AuthOutcome::kMissingCredential);
  request.target = "/x?xapi_key=bob-key";
  EXPECT_EQ(Check("by-query", request).outcome, AuthOutcome::kMissingCredential);
}

TEST_F(AuthConfigTest, RulesInOrderThenTheDefault) {
  AuthRequest request{
      .method = "GET", .target = "/admin/users", .client_ip = "10.1.2.3", .headers = &headers_};
  EXPECT_EQ(Check("office", request).outcome, AuthOutcome::kAllowed);
  request.method = "DELETE";  // the first rule holds first
  EXPECT_EQ(Check("office", request).outcome, AuthOutcome::kDenied);
  request.method = "GET";
  request.client_ip = "192.0.2.1";  // no rule holds: a policy with rules denies
  EXPECT_EQ(Check("office", request).outcome, AuthOutcome::kDenied);
  request.client_ip = "2001:db8::7";
  EXPECT_EQ(Check("office", request).outcome, AuthOutcome::kAllowed);
  request.target = "/public?x=/admin";  // the query is not the path
  EXPECT_EQ(Check("office", request).outcome, AuthOutcome::kDenied);
  // An explicit default.
  headers_.Set("x-api-key", "acme-key");
  EXPECT_EQ(Check("allow-all-but-bob", request).outcome, AuthOutcome::kAllowed);
  headers_.Set("x-api-key", "bob-key");
  EXPECT_EQ(Check("allow-all-but-bob", request).outcome, AuthOutcome::kDenied);
}

TEST_F(AuthConfigTest, ChallengeNamesWhereTheKeyGoes) {
  EXPECT_EQ(config_->policy(config_->FindPolicy("partners-only")).challenges[0],
            "ApiKey realm=\"switchyard\", header=\"x-api-key\"");
  EXPECT_EQ(config_->policy(config_->FindPolicy("by-query")).challenges[0],
            "ApiKey realm=\"switchyard\", query=\"api_key\"");
  EXPECT_EQ(config_->FindPolicy("nope"), -1);
}

TEST(QueryParameterTest, FindRemoveRedact) {
  EXPECT_EQ(FindQueryParameter("/p?a=1&key=x&key=y", "key"), "x");
  EXPECT_EQ(FindQueryParameter("/p?key", "key"), "");
  EXPECT_EQ(FindQueryParameter("/p", "key"), "");
  EXPECT_EQ(FindQueryParameter("/p?akey=1", "key"), "");

  const auto removed = [](std::string target) {
    RemoveQueryParameter(target, "key");
    return target;
  };
  EXPECT_EQ(removed("/p?a=1&key=x&b=2"), "/p?a=1&b=2");
  EXPECT_EQ(removed("/p?key=x"), "/p");
  EXPECT_EQ(removed("/p?a=1&key=x"), "/p?a=1");
  EXPECT_EQ(removed("/p?key=x&key=y&b"), "/p?b");
  EXPECT_EQ(removed("/p?a=1"), "/p?a=1");
  EXPECT_EQ(removed("/p"), "/p");

  EXPECT_EQ(RedactQueryParameter("/p?a=1&key=secret&b=2", "key"), "/p?a=1&key=[redacted]&b=2");
  EXPECT_EQ(RedactQueryParameter("/p?key=s1&key=s2", "key"), "/p?key=[redacted]&key=[redacted]");
  EXPECT_EQ(RedactQueryParameter("/p?a=1", "key"), "/p?a=1");
}

}  // namespace
}  // namespace switchyard::auth
