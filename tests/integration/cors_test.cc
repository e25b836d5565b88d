// CORS (docs/cors.md) through the real proxy: preflights answered by the gateway (204
// with the headers, never seen by the backend), before authentication, so a protected
// route's preflight is not a 401 while its actual requests still need their key; 403
// cors_forbidden for an origin or method the policy does not allow; the response headers
// on actual requests; a route's policy over its virtual host's; and HTTP/2.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/http_message.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::seconds;

constexpr char kApp[] = "https://app.example.com";

class CorsTest : public ProxyTest {
 protected:
  void SetUp() override { backend_ = &AddBackend("b"); }

  // One virtual host "api" with `vhost_extra` (its cors, auth_policy) and `routes`, and an
  // auth policy "keys": an API key in x-api-key, "test" being consumer acme's.
  std::string Config(const std::string& vhost_extra, const std::string& routes) {
    return absl::StrCat(R"(
consumers:
  - name: acme
    api_keys: [{name: k1, sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]
auth_policies:
  - {name: keys, api_key: {header: x-api-key}}
virtual_hosts:
  - name: api
    domains: ["*"]
)",
                        vhost_extra, "    routes:\n", routes, R"(
clusters:
  - {name: b, endpoints: [{address: 127.0.0.1, port: )",
                        backend_->port(), "}]}\n");
  }

  static std::string AppPolicy() {
    return "    cors: {allow_origins: [\"https://app.example.com\"], allow_methods: [PUT, DELETE], "
           "allow_headers: [x-api-key, content-type], expose_headers: [x-request-id], "
           "allow_credentials: true, max_age: 600s}\n";
  }

  static std::string Preflight(const std::string& path, const std::string& origin,
                               const std::string& method, const std::string& extra = "") {
    return "OPTIONS " + path + " HTTP/1.1\r\nHost: api.example.com\r\nOrigin: " + origin +
           "\r\nAccess-Control-Request-Method: " + method + "\r\n" + extra + "\r\n";
  }

  static std::string Get(const std::string& path, const std::string& extra = "") {
    return "GET " + path + " HTTP/1.1\r\nHost: api.example.com\r\n" + extra + "\r\n";
  }

  TestBackend* backend_ = nullptr;
};

TEST_F(CorsTest, APreflightIsAnsweredByTheGatewayAndNeverReachesTheBackend) {
  ASSERT_TRUE(StartProxy(Config(AppPolicy(),
                                "      - {name: all, match: {prefix: /}, route: "
                                "{cluster: b}}\n")));
  RawClient client = Connect();
  ASSERT_TRUE(client.connected());
  const Response r = client.RoundTrip(
      Preflight("/orders/7", kApp, "PUT", "Access-Control-Request-Headers: X-Api-Key\r\n"));
  ASSERT_EQ(r.status, 204) << r.DebugString();
  EXPECT_EQ(r.headers.Joined("access-control-allow-origin"), kApp);
  EXPECT_EQ(r.headers.Joined("access-control-allow-methods"), "PUT, DELETE");
  EXPECT_EQ(r.headers.Joined("access-control-allow-headers"), "x-api-key, content-type");
  EXPECT_EQ(r.headers.Joined("access-control-max-age"), "600");
  EXPECT_EQ(r.headers.Joined("access-control-allow-credentials"), "true");
  EXPECT_EQ(r.headers.Joined("vary"), "Origin");
  EXPECT_FALSE(r.headers.Has("access-control-expose-headers"));
  EXPECT_TRUE(HasLocalReplyMarker(r));
  EXPECT_TRUE(r.headers.Has("x-request-id"));
  EXPECT_FALSE(r.headers.Has("content-length"));
  EXPECT_FALSE(r.headers.Has("content-type"));
  EXPECT_TRUE(r.body.empty()) << r.body;

  // The connection is still in step: the next request on it is served normally.
  const Response next = client.RoundTrip(Get("/orders/7"));
  EXPECT_EQ(next.status, 200) << next.DebugString();
  EXPECT_EQ(next.body, "b");
  const std::vector<ReceivedRequest> seen = backend_->requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
}

TEST_F(CorsTest, AProtectedRoutesPreflightIsNot401ButItsRequestsStillNeedTheKey) {
  ASSERT_TRUE(StartProxy(Config(AppPolicy() + "    auth_policy: keys\n",
                                "      - {name: all, match: {prefix: /}, route: {cluster: b}}\n")));
  const Response preflight = RoundTrip(Preflight(
      "/orders", kApp, "DELETE", "Access-Control-Request-Headers: x-api-key,content-type\r\n"));
  ASSERT_EQ(preflight.status, 204) << preflight.DebugString();
  EXPECT_EQ(preflight.headers.Joined("access-control-allow-origin"), kApp);

  const Response unauthenticated =
      RoundTrip(Get("/orders", absl::StrCat("Origin: ", kApp, "\r\n")));
  EXPECT_TRUE(IsLocalReply(unauthenticated, 401, {"missing_credential"}))
      << unauthenticated.DebugString();
  // The gateway's own answer carries the CORS headers too, so the page can read the 401.
  EXPECT_EQ(unauthenticated.headers.Joined("access-control-allow-origin"), kApp);
  EXPECT_EQ(unauthenticated.headers.Joined("access-control-allow-credentials"), "true");
  EXPECT_EQ(unauthenticated.headers.Joined("vary"), "Origin");
  // Not for an origin the policy does not allow.
  const Response stranger = RoundTrip(Get("/orders", "Origin: https://evil.example.com\r\n"));
  EXPECT_EQ(stranger.status, 401);
  EXPECT_FALSE(stranger.headers.Has("access-control-allow-origin"));

  const Response ok =
      RoundTrip(Get("/orders", absl::StrCat("Origin: ", kApp, "\r\nx-api-key: test\r\n")));
  ASSERT_EQ(ok.status, 200) << ok.DebugString();
  EXPECT_EQ(ok.headers.Joined("access-control-allow-origin"), kApp);
  EXPECT_EQ(ok.headers.Joined("access-control-allow-credentials"), "true");
  ASSERT_EQ(backend_->request_count(), 1u);
  EXPECT_EQ(backend_->requests()[0].method, "GET");
}

TEST_F(CorsTest, APreflightFromAnotherOriginOrForAnotherMethodIsForbidden) {
  ASSERT_TRUE(StartProxy(Config(AppPolicy() + "    auth_policy: keys\n",
                                "      - {name: all, match: {prefix: /}, route: {cluster: b}}\n")));
  const Response origin = RoundTrip(Preflight("/orders", "https://evil.example.com", "PUT"));
  EXPECT_TRUE(IsLocalReply(origin, 403, {"cors_forbidden"})) << origin.DebugString();
  EXPECT_FALSE(origin.headers.Has("access-control-allow-origin"));
  EXPECT_NE(origin.body.find("Origin"), std::string::npos) << origin.body;

  const Response method = RoundTrip(Preflight("/orders", kApp, "PATCH"));
  EXPECT_TRUE(IsLocalReply(method, 403, {"cors_forbidden"})) << method.DebugString();
  EXPECT_FALSE(method.headers.Has("access-control-allow-origin"));

  const Response header =
      RoundTrip(Preflight("/orders", kApp, "PUT", "Access-Control-Request-Headers: x-secret\r\n"));
  EXPECT_TRUE(IsLocalReply(header, 403, {"cors_forbidden"})) << header.DebugString();
  EXPECT_EQ(backend_->request_count(), 0u);
}

TEST_F(CorsTest, ActualRequestsGetTheHeadersOnlyForAnAllowedOrigin) {
  backend_ = &AddBackend("own-cors", [](BackendExchange& ex) {
    // A backend with CORS of its own: on a route with a policy, the gateway's wins.
    ex.Reply(200, "ok",
             {{"Access-Control-Allow-Origin", "*"},
              {"Access-Control-Allow-Credentials", "true"},
              {"Vary", "Accept-Encoding"},
              {"x-total", "3"}});
  });
  ASSERT_TRUE(StartProxy(
      Config(AppPolicy(), "      - {name: all, match: {prefix: /}, route: {cluster: b}}\n")));
  const Response allowed = RoundTrip(Get("/items", absl::StrCat("Origin: ", kApp, "\r\n")));
  ASSERT_EQ(allowed.status, 200) << allowed.DebugString();
  EXPECT_EQ(allowed.headers.GetAll("access-control-allow-origin"), std::vector<std::string>{kApp});
  EXPECT_EQ(allowed.headers.GetAll("access-control-allow-credentials"),
            std::vector<std::string>{"true"});
  EXPECT_EQ(allowed.headers.Joined("access-control-expose-headers"), "x-request-id");
  EXPECT_EQ(allowed.headers.Joined("vary"), "Accept-Encoding, Origin");
  EXPECT_EQ(allowed.body, "ok");

  // Served (CORS is the browser's to enforce), but with nothing that would let a page
  // from that origin read it.
  const Response other =
      RoundTrip(Get("/items", "Origin: https://evil.example.com\r\nCookie: s=1\r\n"));
  ASSERT_EQ(other.status, 200) << other.DebugString();
  EXPECT_FALSE(other.headers.Has("access-control-allow-origin")) << other.DebugString();
  EXPECT_FALSE(other.headers.Has("access-control-allow-credentials"));
  EXPECT_EQ(other.headers.Joined("vary"), "Accept-Encoding, Origin");
  EXPECT_EQ(backend_->request_count(), 2u);
}

TEST_F(CorsTest, ARoutesPolicyReplacesItsVirtualHosts) {
  ASSERT_TRUE(StartProxy(Config(
      AppPolicy(),
      "      - {name: public, match: {prefix: /public}, route: {cluster: b},\n"
      "         cors: {allow_origins: [\"*\"], allow_methods: [PUT], allow_headers: [\"*\"]}}\n"
      "      - {name: partner, match: {prefix: /partner}, route: {cluster: b},\n"
      "         cors: {allow_origins: [\"https://*.partner.test\"], allow_credentials: true}}\n"
      "      - {name: legacy, match: {prefix: /legacy}, route: {cluster: b}, cors: {}}\n"
      "      - {name: all, match: {prefix: /}, route: {cluster: b}}\n")));
  // Any origin on /public, answered with "*" (no credentials there).
  const Response open = RoundTrip(Preflight("/public/x", "https://anyone.test", "PUT",
                                            "Access-Control-Request-Headers: x-custom\r\n"));
  ASSERT_EQ(open.status, 204) << open.DebugString();
  EXPECT_EQ(open.headers.Joined("access-control-allow-origin"), "*");
  EXPECT_EQ(open.headers.Joined("access-control-allow-headers"), "*");
  EXPECT_FALSE(open.headers.Has("access-control-allow-credentials"));
  EXPECT_FALSE(open.headers.Has("access-control-max-age"));  // not inherited
  // ... but not elsewhere: the virtual host's policy.
  EXPECT_TRUE(IsLocalReply(RoundTrip(Preflight("/orders", "https://anyone.test", "PUT")), 403,
                           {"cors_forbidden"}));

  // A subdomain wildcard with credentials echoes the origin.
  const Response partner = RoundTrip(Preflight("/partner/a", "https://eu.acme.partner.test", "GET",
                                               "Access-Control-Request-Headers: x-api-key\r\n"));
  ASSERT_EQ(partner.status, 403) << partner.DebugString();  // allow_headers is empty there
  const Response partner_get =
      RoundTrip(Preflight("/partner/a", "https://eu.acme.partner.test", "GET"));
  ASSERT_EQ(partner_get.status, 204) << partner_get.DebugString();
  EXPECT_EQ(partner_get.headers.Joined("access-control-allow-origin"),
            "https://eu.acme.partner.test");
  EXPECT_EQ(partner_get.headers.Joined("access-control-allow-credentials"), "true");
  EXPECT_FALSE(partner_get.headers.Has("access-control-allow-methods"));
  EXPECT_EQ(RoundTrip(Preflight("/partner/a", "https://partner.test", "GET")).status, 403);
  EXPECT_EQ(backend_->request_count(), 0u);

  // cors: {} turns CORS off: the preflight is the backend's to answer.
  const Response legacy = RoundTrip(Preflight("/legacy", kApp, "PUT"));
  EXPECT_EQ(legacy.status, 200) << legacy.DebugString();
  EXPECT_EQ(legacy.body, "b");
  EXPECT_FALSE(legacy.headers.Has("access-control-allow-origin"));
  ASSERT_EQ(backend_->request_count(), 1u);
  EXPECT_EQ(backend_->requests()[0].method, "OPTIONS");
}

TEST_F(CorsTest, APreflightOverHttp2IsOneHeadersFrame) {
  ASSERT_TRUE(StartProxy(Config(AppPolicy() + "    auth_policy: keys\n",
                                "      - {name: all, match: {prefix: /}, route: {cluster: b}}\n")));
  const std::string dir = MakeTempDir("cors");
  const CommandResult r = RunCommand(
      {"/usr/bin/curl", "-sS", "--http2-prior-knowledge", "--max-time", "30", "-X", "OPTIONS", "-H",
       absl::StrCat("Origin: ", kApp), "-H", "Access-Control-Request-Method: PUT", "-D",
       dir + "/head", "-o", dir + "/body", "-w", "%{http_version} %{response_code}",
       absl::StrCat("http://127.0.0.1:", proxy_port(), "/orders")},
      seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.DebugString();
  EXPECT_EQ(r.stdout_text, "2 204");
  const std::string head = ReadFile(dir + "/head");
  EXPECT_NE(head.find(absl::StrCat("access-control-allow-origin: ", kApp)), std::string::npos)
      << head;
  EXPECT_NE(head.find("access-control-allow-methods: PUT, DELETE"), std::string::npos) << head;
  EXPECT_EQ(head.find("content-length"), std::string::npos) << head;
  EXPECT_EQ(ReadFile(dir + "/body"), "");
  EXPECT_EQ(backend_->request_count(), 0u);
}

}  // namespace
}  // namespace switchyard::testing
