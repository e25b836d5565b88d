// Authentication and authorization at the edge (docs/auth.md), through the real proxy:
// API keys in a header or the query, JWTs of each algorithm and each way to be wrong,
// rules (on claims too), a virtual host's default policy and a public route, the identity
// passed upstream and spoofed identity removed, credentials hidden from the upstream and
// from the access log, and gRPC's statuses for 401 and 403.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "dataplane/auth/testing/test_tokens.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/http_message.h"
#include "tests/support/poll.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::seconds;

constexpr char kAcmeKey[] = "sy_acme-partner-key-0123456789abcdef";
constexpr char kBobKey[] = "sy_bob-key-fedcba9876543210";

class AuthTest : public ProxyTest {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("auth");
    backend_ = &AddBackend("b");
  }

  // Consumers acme (partners) and bob (no group); `policies` and `routes` as given.
  std::string Config(const std::string& policies, const std::string& routes,
                     const std::string& vhost_extra = "") {
    return absl::StrCat(R"(
consumers:
  - name: acme
    groups: [partners, beta]
    api_keys: [{name: k1, sha256: ")",
                        Sha256Hex(kAcmeKey), R"("}]
  - name: bob
    api_keys: [{name: k1, sha256: ")",
                        Sha256Hex(kBobKey), R"("}]
auth_policies:
)",
                        policies, R"(
virtual_hosts:
  - name: api
    domains: ["*"]
)",
                        vhost_extra, "    routes:\n", routes, R"(
clusters:
  - {name: b, endpoints: [{address: 127.0.0.1, port: )",
                        backend_->port(), "}]}\n");
  }

  std::string PartnersOnly(const std::string& api_key = "{header: x-api-key}") {
    return Config("  - {name: partners-only, api_key: " + api_key +
                      ", rules: [{allow: {groups: [partners]}}]}",
                  "      - {name: all, match: {prefix: /}, route: {cluster: b}, "
                  "auth_policy: partners-only}\n");
  }

  Response Send(const std::string& target, const std::string& extra_headers = "") {
    return RoundTrip("GET " + target + " HTTP/1.1\r\nHost: api.example.com\r\n" + extra_headers +
                     "\r\n");
  }

  std::string dir_;
  TestBackend* backend_ = nullptr;
};

TEST_F(AuthTest, ApiKeyInAHeaderAuthenticatesAndRulesAuthorize) {
  ASSERT_TRUE(StartProxy(PartnersOnly()));

  const Response missing = Send("/orders");
  EXPECT_TRUE(IsLocalReply(missing, 401, {"missing_credential"})) << missing.DebugString();
  EXPECT_EQ(missing.headers.Joined("www-authenticate"),
            "ApiKey realm=\"switchyard\", header=\"x-api-key\"");

  const Response wrong = Send("/orders", "X-Api-Key: sy_not-a-key\r\n");
  EXPECT_TRUE(IsLocalReply(wrong, 401, {"invalid_credential"})) << wrong.DebugString();
  EXPECT_TRUE(wrong.headers.Has("www-authenticate"));
  EXPECT_EQ(wrong.body.find("sy_not-a-key"), std::string::npos) << wrong.body;

  // bob's key is valid, but only partners are allowed.
  const Response bob = Send("/orders", std::string("X-Api-Key: ") + kBobKey + "\r\n");
  EXPECT_TRUE(IsLocalReply(bob, 403, {"access_denied"})) << bob.DebugString();
  EXPECT_FALSE(bob.headers.Has("www-authenticate"));
  EXPECT_EQ(backend_->request_count(), 0u);

  const Response acme = Send("/orders", std::string("X-Api-Key: ") + kAcmeKey + "\r\n");
  ASSERT_EQ(acme.status, 200) << acme.DebugString();
  ASSERT_EQ(backend_->request_count(), 1u);
  const ReceivedRequest seen = backend_->requests()[0];
  EXPECT_EQ(seen.headers.Joined("x-switchyard-consumer"), "acme");
  EXPECT_EQ(seen.headers.Joined("x-switchyard-consumer-groups"), "partners,beta");
  // Not hidden unless the policy says so.
  EXPECT_EQ(seen.headers.Joined("x-api-key"), kAcmeKey);
}

TEST_F(AuthTest, IdentityHeadersFromClientsAreRemovedOnEveryRoute) {
  ASSERT_TRUE(StartProxy(Config(
      "  - {name: partners-only, api_key: {header: x-api-key}, rules: [{allow: {groups: "
      "[partners]}}]}",
      "      - {name: public, match: {prefix: /public}, route: {cluster: b}, skip_auth: true}\n"
      "      - {name: all, match: {prefix: /}, route: {cluster: b}, auth_policy: "
      "partners-only}\n")));
  const std::string spoofed =
      "X-Switchyard-Consumer: admin\r\nx-switchyard-consumer-groups: root\r\n"
      "X-Switchyard-Anything: 1\r\n";
  ASSERT_EQ(Send("/public/x", spoofed).status, 200);
  ASSERT_EQ(Send("/private", spoofed + "x-api-key: " + kAcmeKey + "\r\n").status, 200);
  const std::vector<ReceivedRequest> seen = backend_->requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_FALSE(seen[0].headers.Has("x-switchyard-consumer")) << seen[0].raw_head;
  EXPECT_FALSE(seen[0].headers.Has("x-switchyard-consumer-groups")) << seen[0].raw_head;
  EXPECT_FALSE(seen[0].headers.Has("x-switchyard-anything")) << seen[0].raw_head;
  // On the protected route: only the gateway's own value.
  EXPECT_EQ(seen[1].headers.GetAll("x-switchyard-consumer"), std::vector<std::string>{"acme"});
  EXPECT_EQ(seen[1].headers.Joined("x-switchyard-consumer-groups"), "partners,beta");
  EXPECT_FALSE(seen[1].headers.Has("x-switchyard-anything"));
}

TEST_F(AuthTest, VirtualHostDefaultPolicyAndAPublicRoute) {
  ASSERT_TRUE(StartProxy(
      Config("  - {name: keys, api_key: {header: x-api-key}}",
             "      - {name: health, match: {path: /health}, route: {cluster: b}, skip_auth: "
             "true}\n"
             "      - {name: all, match: {prefix: /}, route: {cluster: b}}\n",
             "    auth_policy: keys\n")));
  EXPECT_EQ(Send("/health").status, 200);
  EXPECT_TRUE(IsLocalReply(Send("/other"), 401, {"missing_credential"}));
  // A policy without rules: any consumer it authenticates.
  EXPECT_EQ(Send("/other", std::string("x-api-key: ") + kBobKey + "\r\n").status, 200);
}

TEST_F(AuthTest, HiddenCredentialsDoNotReachTheUpstream) {
  ASSERT_TRUE(StartProxy(
      Config("  - {name: header, api_key: {header: x-api-key, hide_credentials: true}}\n"
             "  - {name: query, api_key: {query: api_key, hide_credentials: true}}",
             "      - {name: q, match: {prefix: /q}, route: {cluster: b}, auth_policy: query}\n"
             "      - {name: h, match: {prefix: /}, route: {cluster: b}, auth_policy: header}\n")));
  ASSERT_EQ(Send("/h", std::string("x-api-key: ") + kBobKey + "\r\n").status, 200);
  ASSERT_EQ(Send(std::string("/q/x?a=1&api_key=") + kBobKey + "&b=2").status, 200);
  ASSERT_EQ(Send(std::string("/q/y?api_key=") + kBobKey).status, 200);
  const std::vector<ReceivedRequest> seen = backend_->requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_FALSE(seen[0].headers.Has("x-api-key")) << seen[0].raw_head;
  EXPECT_EQ(seen[0].headers.Joined("x-switchyard-consumer"), "bob");
  EXPECT_EQ(seen[1].target, "/q/x?a=1&b=2");
  EXPECT_EQ(seen[2].target, "/q/y");
  EXPECT_EQ(seen[2].headers.Joined("x-switchyard-consumer"), "bob");
}

TEST_F(AuthTest, TheAccessLogNeverShowsAKey) {
  const std::string log = dir_ + "/access.log";
  ASSERT_TRUE(StartProxy(
      Config("  - {name: query, api_key: {query: api_key}}\n"
             "  - {name: header, api_key: {header: x-api-key}}",
             "      - {name: q, match: {prefix: /q}, route: {cluster: b}, auth_policy: query}\n"
             "      - {name: h, match: {prefix: /}, route: {cluster: b}, auth_policy: header}\n"),
      {"--access_log=" + log}));
  ASSERT_EQ(Send(std::string("/q?api_key=") + kBobKey + "&x=1").status, 200);
  ASSERT_EQ(Send("/q?api_key=sy_wrong-key-in-query").status, 401);
  ASSERT_EQ(Send("/h", std::string("x-api-key: ") + kAcmeKey + "\r\n").status, 200);
  ASSERT_EQ(Send("/h", "x-api-key: sy_wrong-key-in-header\r\n").status, 401);
  // Not hidden here: the upstream still gets the query key as sent.
  EXPECT_EQ(backend_->requests()[0].target, std::string("/q?api_key=") + kBobKey + "&x=1");

  std::string text;
  ASSERT_TRUE(PollUntil(
      [&] {
        text = ReadFile(log);
        return std::count(text.begin(), text.end(), '\n') >= 4;
      },
      seconds(10)))
      << text;
  for (const char* secret :
       {kBobKey, kAcmeKey, "sy_wrong-key-in-query", "sy_wrong-key-in-header"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << text;
  }
  EXPECT_NE(text.find("/q?api_key=[redacted]&x=1"), std::string::npos) << text;
  EXPECT_NE(text.find("\"invalid_credential\""), std::string::npos) << text;
}

TEST_F(AuthTest, RulesByClientAddress) {
  ASSERT_TRUE(StartProxy(Config(
      "  - {name: office, rules: [{allow: {client_ips: [10.0.0.0/8]}}]}\n"
      "  - {name: local, rules: [{deny: {methods: [DELETE]}}, {allow: {client_ips: "
      "[127.0.0.0/8, \"::1\"]}}]}",
      "      - {name: office, match: {prefix: /office}, route: {cluster: b}, auth_policy: "
      "office}\n"
      "      - {name: all, match: {prefix: /}, route: {cluster: b}, auth_policy: local}\n")));
  EXPECT_TRUE(IsLocalReply(Send("/office"), 403, {"access_denied"}));
  EXPECT_EQ(Send("/anything").status, 200);
  EXPECT_TRUE(IsLocalReply(RoundTrip("DELETE /anything HTTP/1.1\r\nHost: a\r\n\r\n"), 403,
                           {"access_denied"}));
}

class JwtAuthTest : public AuthTest {
 protected:
  using Json = nlohmann::json;

  void SetUp() override {
    AuthTest::SetUp();
    keys_ = {auth::testing::MakeKey("RS256", "rs"), auth::testing::MakeKey("PS256", "ps"),
             auth::testing::MakeKey("ES256", "es"), auth::testing::MakeKey("EdDSA", "ed")};
  }

  // Policy "jwt" with the four keys inline; `extra` goes into its jwt block; routes /admin
  // (admins only, by claim) and / (any valid token).
  std::string JwtConfig(const std::string& extra = "") {
    const Json jwks = auth::testing::Jwks(keys_);
    return Config(
        "  - name: jwt\n"
        "    jwt: {issuer: \"https://id.example.com\", audiences: [api], jwks: " +
            jwks.dump() + extra +
            ", forward_claims: [{claim: org.tier, header: x-switchyard-tier}]}\n"
            "  - name: admins\n"
            "    jwt: {issuer: \"https://id.example.com\", jwks: " +
            jwks.dump() +
            "}\n"
            "    rules: [{allow: {claims: [{name: roles, values: [admin]}]}}]",
        "      - {name: admin, match: {prefix: /admin}, route: {cluster: b}, auth_policy: "
        "admins}\n"
        "      - {name: all, match: {prefix: /}, route: {cluster: b}, auth_policy: jwt}\n");
  }

  static Json Claims(int64_t expires_in = 300) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return {{"iss", "https://id.example.com"}, {"aud", "api"},     {"sub", "user-7"},
            {"exp", now + expires_in},         {"roles", {"dev"}}, {"org", {{"tier", "gold"}}}};
  }

  Response WithToken(const std::string& path, const std::string& token) {
    return Send(path, "Authorization: Bearer " + token + "\r\n");
  }

  std::vector<auth::testing::TestKey> keys_;
};

TEST_F(JwtAuthTest, EachAlgorithmAuthenticatesAndClaimsGoUpstream) {
  ASSERT_TRUE(StartProxy(JwtConfig()));
  for (const auth::testing::TestKey& key : keys_) {
    SCOPED_TRACE(key.alg);
    const Response r = WithToken("/orders", auth::testing::SignJwt(key, Claims()));
    ASSERT_EQ(r.status, 200) << r.DebugString();
    const ReceivedRequest seen = backend_->requests().back();
    EXPECT_EQ(seen.headers.Joined("x-switchyard-subject"), "user-7");
    EXPECT_EQ(seen.headers.Joined("x-switchyard-tier"), "gold");
  }
  // Again: the second time from the worker's cache, with the same result.
  const Response again = WithToken("/orders", auth::testing::SignJwt(keys_[0], Claims()));
  EXPECT_EQ(again.status, 200);

  const Response missing = Send("/orders");
  EXPECT_TRUE(IsLocalReply(missing, 401, {"missing_credential"})) << missing.DebugString();
  EXPECT_EQ(missing.headers.Joined("www-authenticate"), "Bearer realm=\"switchyard\"");
  // Another scheme is not a token.
  EXPECT_TRUE(IsLocalReply(Send("/orders", "Authorization: Basic dXNlcjpwYXNz\r\n"), 401,
                           {"missing_credential"}));
}

TEST_F(JwtAuthTest, EachWayATokenIsWrongIs401) {
  ASSERT_TRUE(StartProxy(JwtConfig(), {"--max_request_headers_bytes=262144"}));
  const auth::testing::TestKey& rs = keys_[0];
  Json wrong_issuer = Claims();
  wrong_issuer["iss"] = "https://evil.example.com";
  Json wrong_audience = Claims();
  wrong_audience["aud"] = "other-api";
  const int64_t now = Claims()["exp"].get<int64_t>() - 300;
  Json not_yet = Claims();
  not_yet["nbf"] = now + 3600;
  Json huge = Claims();
  huge["padding"] = std::string(size_t{100} * 1024, 'x');
  std::string bad_signature = auth::testing::SignJwt(rs, Claims());
  bad_signature[bad_signature.size() - 5] ^= 1;
  const struct {
    const char* what;
    std::string token;
    const char* error;
  } cases[] = {
      {"expired", auth::testing::SignJwt(rs, Claims(-120)), "token_expired"},
      {"not yet valid", auth::testing::SignJwt(rs, not_yet), "token_not_yet_valid"},
      {"wrong issuer", auth::testing::SignJwt(rs, wrong_issuer), "invalid_token"},
      {"wrong audience", auth::testing::SignJwt(rs, wrong_audience), "invalid_token"},
      {"bad signature", bad_signature, "invalid_token"},
      {"alg none", auth::testing::UnsignedJwt(Claims()), "invalid_token"},
      {"HS256 keyed with the RSA public key",
       auth::testing::Hs256Jwt(auth::testing::PublicKeyPem(rs), "rs", Claims()), "invalid_token"},
      {"unknown kid",
       auth::testing::SignJwtWithHeader(auth::testing::MakeKey("RS256", "stranger"),
                                        {{"alg", "RS256"}, {"kid", "stranger"}}, Claims()),
       "invalid_token"},
      {"100 KB token", auth::testing::SignJwt(rs, huge), "invalid_token"},
      {"garbage", "not.a.token", "invalid_token"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const Response r = WithToken("/orders", c.token);
    EXPECT_TRUE(IsLocalReply(r, 401, {c.error})) << r.DebugString();
    EXPECT_EQ(r.body.find(c.token.substr(0, 40)), std::string::npos)
        << "the reply echoes the token";
  }
  EXPECT_EQ(backend_->request_count(), 0u);
}

TEST_F(JwtAuthTest, RulesOnClaims) {
  ASSERT_TRUE(StartProxy(JwtConfig()));
  Json admin = Claims();
  admin["roles"] = {"dev", "admin"};
  EXPECT_EQ(WithToken("/admin/users", auth::testing::SignJwt(keys_[2], admin)).status, 200);
  EXPECT_TRUE(IsLocalReply(WithToken("/admin/users", auth::testing::SignJwt(keys_[2], Claims())),
                           403, {"access_denied"}));
}

TEST_F(JwtAuthTest, TokenFromACookieHiddenFromTheUpstream) {
  ASSERT_TRUE(StartProxy(JwtConfig(", cookie: session, hide_credentials: true")));
  const std::string token = auth::testing::SignJwt(keys_[3], Claims());
  EXPECT_TRUE(IsLocalReply(WithToken("/orders", token), 401, {"missing_credential"}));
  const Response r = Send("/orders", "Cookie: theme=dark; session=" + token + "; lang=en\r\n");
  ASSERT_EQ(r.status, 200) << r.DebugString();
  const ReceivedRequest seen = backend_->requests().back();
  EXPECT_EQ(seen.headers.Joined("cookie"), "theme=dark; lang=en");
  EXPECT_EQ(seen.headers.Joined("x-switchyard-subject"), "user-7");
}

// The example of docs/auth.md and the README, as shipped.
TEST_F(AuthTest, TheShippedExampleWorks) {
  std::string example = ReadFile("deploy/examples/auth.yaml");
  ASSERT_NE(example.find("port: 9001"), std::string::npos) << example;
  example.replace(example.find("port: 9001"), 10, absl::StrCat("port: ", backend_->port()));
  ASSERT_TRUE(StartProxy(example));
  EXPECT_EQ(Send("/health").status, 200);
  EXPECT_TRUE(IsLocalReply(Send("/orders"), 401, {"missing_credential"}));
  EXPECT_EQ(Send("/orders", "x-api-key: sy_example-acme-key\r\n").status, 200);
  EXPECT_EQ(backend_->requests().back().headers.Joined("x-switchyard-consumer"), "acme");
}

// Behind N trusted proxies, rules see the Nth address from the right of X-Forwarded-For.
TEST_F(AuthTest, RulesSeeTheForwardedClientBehindTrustedProxies) {
  ASSERT_TRUE(StartProxy(
      Config("  - {name: office, rules: [{allow: {client_ips: [203.0.113.0/24]}}]}",
             "      - {name: all, match: {prefix: /}, route: {cluster: b}, auth_policy: office}\n"),
      {"--xff_trusted_hops=2"}));
  // The client, then the two trusted proxies' own appends.
  EXPECT_EQ(Send("/x", "X-Forwarded-For: 198.51.100.1, 203.0.113.5, 10.0.0.1\r\n").status, 200);
  // A client that forged the list leftmost gains nothing.
  EXPECT_TRUE(IsLocalReply(Send("/x", "X-Forwarded-For: 203.0.113.5, 198.51.100.1, 10.0.0.1\r\n"),
                           403, {"access_denied"}));
  // Not through both proxies: no client address, no allow.
  EXPECT_TRUE(IsLocalReply(Send("/x", "X-Forwarded-For: 203.0.113.5\r\n"), 403, {"access_denied"}));
  EXPECT_TRUE(IsLocalReply(Send("/x"), 403, {"access_denied"}));
}

// A gRPC client gets gRPC's statuses for the gateway's 401 and 403 (docs/grpc.md).
TEST_F(AuthTest, GrpcCallsGetUnauthenticatedAndPermissionDenied) {
  ASSERT_TRUE(StartProxy(PartnersOnly()));
  const auto call = [&](const std::string& key) {
    std::vector<std::string> argv = {"/usr/bin/curl",
                                     "-sS",
                                     "--http2-prior-knowledge",
                                     "--max-time",
                                     "30",
                                     "-D",
                                     "-",
                                     "-o",
                                     "/dev/null",
                                     "-H",
                                     "content-type: application/grpc",
                                     "-H",
                                     "te: trailers",
                                     "--data-binary",
                                     "@/dev/null"};
    if (!key.empty()) {
      argv.push_back("-H");
      argv.push_back("x-api-key: " + key);
    }
    argv.push_back(absl::StrCat("http://127.0.0.1:", proxy_port(), "/pkg.Svc/Call"));
    return RunCommand(argv, seconds(60));
  };
  const CommandResult anonymous = call("");
  ASSERT_EQ(anonymous.exit_code, 0) << anonymous.DebugString();
  EXPECT_NE(anonymous.stdout_text.find("HTTP/2 200"), std::string::npos) << anonymous.stdout_text;
  EXPECT_NE(anonymous.stdout_text.find("grpc-status: 16\r\n"), std::string::npos)
      << anonymous.stdout_text;  // UNAUTHENTICATED
  const CommandResult denied = call(kBobKey);
  ASSERT_EQ(denied.exit_code, 0) << denied.DebugString();
  EXPECT_NE(denied.stdout_text.find("grpc-status: 7\r\n"), std::string::npos)
      << denied.stdout_text;  // PERMISSION_DENIED
  EXPECT_EQ(backend_->request_count(), 0u);
}

}  // namespace
}  // namespace switchyard::testing
