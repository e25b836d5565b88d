// Authentication and authorization at the edge (docs/auth.md), through the real proxy:
// API keys in a header or the query, rules, a virtual host's default policy and a public
// route, the identity passed upstream and spoofed identity removed, credentials hidden
// from the upstream and from the access log, and gRPC's statuses for 401 and 403.
#include <openssl/sha.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
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

std::string Sha256Hex(std::string_view key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

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
