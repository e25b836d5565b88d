#include "dataplane/proxy/cors_phase.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "switchyard/config/loader.h"

namespace switchyard::proxy {
namespace {

constexpr char kConfig[] = R"yaml(
virtual_hosts:
  - name: api
    domains: ["*"]
    cors:
      allow_origins: ["https://App.Example.com", "https://*.example.org:8443"]
      allow_methods: [PUT, PATCH]
      allow_headers: [X-Api-Key, content-type]
      expose_headers: [x-request-id, x-total]
      allow_credentials: true
      max_age: 600.5s
    routes:
      - {name: open, match: {prefix: /open}, route: {cluster: b},
         cors: {allow_origins: ["*"], allow_headers: ["*"]}}
      - {name: off, match: {prefix: /off}, route: {cluster: b}, cors: {}}
      - {name: all, match: {prefix: /}, route: {cluster: b}}
clusters:
  - {name: b, endpoints: [{address: 127.0.0.1, port: 1}]}
)yaml";

class CorsPhaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto snapshot = config::ParseSnapshot(kConfig, "cors.yaml");
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    auto compiled = runtime::RuntimeConfig::Compile(*snapshot);
    ASSERT_TRUE(compiled.ok()) << compiled.status();
    config_ = *compiled;
  }

  // A request for `path` with `headers` ({name, value} pairs), routed as MatchRoute does.
  RequestContext& Request(const std::string& method, const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
    ctx_ = std::make_unique<RequestContext>();
    ctx_->method = method;
    ctx_->target = path;
    ctx_->config = config_;
    ctx_->headers.Add("host", "api.example.com");
    for (const auto& [name, value] : headers) ctx_->headers.Add(name, value);
    router::RequestView view;
    view.method = ctx_->method;
    view.host = "api.example.com";
    view.path = ctx_->target;
    view.headers = &ctx_->headers;
    ctx_->route = config_->routes().Match(view);
    EXPECT_NE(ctx_->route, nullptr);
    return *ctx_;
  }

  PhaseStatus Preflight(const std::string& path, const std::string& origin,
                        const std::string& method, const std::string& request_headers = "") {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Origin", origin}, {"Access-Control-Request-Method", method}};
    if (!request_headers.empty()) {
      headers.emplace_back("Access-Control-Request-Headers", request_headers);
    }
    return phase_->OnRequestHeaders(Request("OPTIONS", path, headers));
  }

  // The upstream's response head after the phase, for a GET with `headers`.
  http::HeaderMap Response(const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& headers,
                           http::HeaderMap upstream = {}) {
    RequestContext& ctx = Request("GET", path, headers);
    EXPECT_EQ(phase_->OnRequestHeaders(ctx), PhaseStatus::kContinue);
    int status = 200;
    ResponseHead head{status, upstream};
    EXPECT_EQ(phase_->OnResponseHeaders(ctx, head), PhaseStatus::kContinue);
    return upstream;
  }

  static std::string Value(const http::HeaderMap& headers, std::string_view name) {
    const std::string* value = headers.Get(name);
    return value != nullptr ? *value : "(absent)";
  }

  const http::LocalReply& Reply() const { return ctx_->local_reply; }

  std::shared_ptr<const runtime::RuntimeConfig> config_;
  std::unique_ptr<const Phase> phase_ = MakeCorsPhase();
  std::unique_ptr<RequestContext> ctx_;
};

TEST(CorsOriginAllowedTest, ExactWildcardAndAny) {
  runtime::CorsPolicy policy;
  policy.origins = {"https://app.example.com", "http://localhost:3000"};
  policy.origin_suffixes = {{"https://", ".example.org"}, {"http://", ".test:8080"}};
  for (const char* origin :
       {"https://app.example.com", "HTTPS://APP.example.COM", "http://localhost:3000",
        "https://a.example.org", "https://a.b-c.example.org", "http://x.test:8080"}) {
    EXPECT_TRUE(CorsOriginAllowed(policy, origin)) << origin;
  }
  for (const char* origin :
       {"", "null", "http://app.example.com", "https://app.example.com:443",
        "https://app.example.com.evil.com", "https://example.org", "https://.example.org",
        "http://a.example.org", "https://a.example.org:8443", "https://evil.com/.example.org",
        "https://u@evil.com?.example.org", "http://x.test", "http://x.test:80801",
        "http://[::1].test:8080", "https://a..example.org"}) {
    EXPECT_FALSE(CorsOriginAllowed(policy, origin)) << origin;
  }
  policy.any_origin = true;
  EXPECT_TRUE(CorsOriginAllowed(policy, "null"));
}

TEST_F(CorsPhaseTest, AnAllowedPreflightIsAnswered204WithTheHeaders) {
  ASSERT_EQ(Preflight("/orders", "https://app.example.com", "PUT", "x-api-key, Content-Type"),
            PhaseStatus::kStop);
  EXPECT_EQ(Reply().status, 204);
  EXPECT_EQ(Reply().error, "cors_preflight");
  EXPECT_EQ(Value(Reply().headers, "access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(Value(Reply().headers, "access-control-allow-credentials"), "true");
  EXPECT_EQ(Value(Reply().headers, "access-control-allow-methods"), "PUT, PATCH");
  EXPECT_EQ(Value(Reply().headers, "access-control-allow-headers"), "X-Api-Key, content-type");
  EXPECT_EQ(Value(Reply().headers, "access-control-max-age"), "600");
  EXPECT_EQ(Value(Reply().headers, "vary"), "Origin");
  EXPECT_FALSE(Reply().headers.Has("access-control-expose-headers"));

  // GET, HEAD and POST pass whatever allow_methods says, as in browsers.
  EXPECT_EQ(Preflight("/orders", "https://shop.example.org:8443", "POST"), PhaseStatus::kStop);
  EXPECT_EQ(Reply().status, 204);
  EXPECT_EQ(Value(Reply().headers, "access-control-allow-origin"), "https://shop.example.org:8443");
}

TEST_F(CorsPhaseTest, AForbiddenPreflightIs403WithoutCorsHeaders) {
  const auto expect_forbidden = [&](const std::string& why) {
    EXPECT_EQ(Reply().status, 403) << why;
    EXPECT_EQ(Reply().error, "cors_forbidden") << why;
    EXPECT_NE(Reply().message.find(why), std::string::npos) << Reply().message;
    EXPECT_FALSE(Reply().headers.Has("access-control-allow-origin")) << why;
  };
  ASSERT_EQ(Preflight("/orders", "https://evil.example.com", "PUT"), PhaseStatus::kStop);
  expect_forbidden("Origin");
  ASSERT_EQ(Preflight("/orders", "https://app.example.com", "DELETE"), PhaseStatus::kStop);
  expect_forbidden("Access-Control-Request-Method");
  // Methods are case-sensitive: fetch() sends "patch" as written.
  ASSERT_EQ(Preflight("/orders", "https://app.example.com", "patch"), PhaseStatus::kStop);
  expect_forbidden("Access-Control-Request-Method");
  ASSERT_EQ(Preflight("/orders", "https://app.example.com", "PUT", "x-api-key, authorization"),
            PhaseStatus::kStop);
  expect_forbidden("Access-Control-Request-Headers");
}

TEST_F(CorsPhaseTest, AWildcardPolicyAnswersStarButNotForAuthorization) {
  ASSERT_EQ(Preflight("/open", "https://anyone.test", "GET", "x-anything"), PhaseStatus::kStop);
  EXPECT_EQ(Reply().status, 204);
  EXPECT_EQ(Value(Reply().headers, "access-control-allow-origin"), "*");
  EXPECT_EQ(Value(Reply().headers, "access-control-allow-headers"), "*");
  EXPECT_FALSE(Reply().headers.Has("access-control-allow-credentials"));
  EXPECT_FALSE(Reply().headers.Has("access-control-allow-methods"));
  EXPECT_FALSE(Reply().headers.Has("access-control-max-age"));
  ASSERT_EQ(Preflight("/open", "https://anyone.test", "GET", "authorization"), PhaseStatus::kStop);
  EXPECT_EQ(Reply().status, 403);
}

TEST_F(CorsPhaseTest, OtherRequestsAndRoutesWithoutAPolicyContinue) {
  // CORS turned off on the route: the upstream answers its own preflights.
  EXPECT_EQ(Preflight("/off", "https://app.example.com", "PUT"), PhaseStatus::kContinue);
  // An OPTIONS without Access-Control-Request-Method, or without Origin, is no preflight.
  EXPECT_EQ(phase_->OnRequestHeaders(
                Request("OPTIONS", "/orders", {{"origin", "https://app.example.com"}})),
            PhaseStatus::kContinue);
  EXPECT_EQ(phase_->OnRequestHeaders(
                Request("OPTIONS", "/orders", {{"access-control-request-method", "PUT"}})),
            PhaseStatus::kContinue);
  EXPECT_EQ(ctx_->local_reply.status, 0);
}

TEST_F(CorsPhaseTest, AnAllowedOriginGetsTheResponseHeaders) {
  http::HeaderMap upstream;
  upstream.Add("content-type", "text/plain");
  upstream.Add("Access-Control-Allow-Origin", "*");  // the gateway's to say on this route
  upstream.Add("access-control-max-age", "99");
  upstream.Add("vary", "Accept-Encoding");
  const http::HeaderMap out =
      Response("/orders", {{"origin", "https://app.example.com"}}, std::move(upstream));
  EXPECT_EQ(Value(out, "access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(Value(out, "access-control-allow-credentials"), "true");
  EXPECT_EQ(Value(out, "access-control-expose-headers"), "x-request-id, x-total");
  EXPECT_FALSE(out.Has("access-control-max-age"));
  EXPECT_EQ(Value(out, "vary"), "Accept-Encoding, Origin");
  EXPECT_EQ(Value(out, "content-type"), "text/plain");
}

TEST_F(CorsPhaseTest, ADisallowedOrMissingOriginGetsOnlyVary) {
  http::HeaderMap upstream;
  upstream.Add("access-control-allow-origin", "https://evil.example.com");
  upstream.Add("access-control-allow-credentials", "true");
  http::HeaderMap out = Response("/orders", {{"origin", "https://evil.example.com"}}, upstream);
  EXPECT_FALSE(out.Has("access-control-allow-origin"));
  EXPECT_FALSE(out.Has("access-control-allow-credentials"));
  EXPECT_EQ(Value(out, "vary"), "Origin");

  out = Response("/orders", {});
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(Value(out, "vary"), "Origin");

  // Already said: left alone.
  http::HeaderMap varies;
  varies.Add("vary", "accept, ORIGIN");
  out = Response("/orders", {}, varies);
  EXPECT_EQ(Value(out, "vary"), "accept, ORIGIN");
  http::HeaderMap star;
  star.Add("vary", "*");
  out = Response("/orders", {}, star);
  EXPECT_EQ(Value(out, "vary"), "*");

  // No policy on the route: untouched.
  out = Response("/off", {{"origin", "https://app.example.com"}}, upstream);
  EXPECT_EQ(Value(out, "access-control-allow-origin"), "https://evil.example.com");
  EXPECT_FALSE(out.Has("vary"));
}

TEST_F(CorsPhaseTest, AWildcardPolicyAnswersActualRequestsWithStar) {
  const http::HeaderMap out = Response("/open", {{"origin", "https://anyone.test"}});
  EXPECT_EQ(Value(out, "access-control-allow-origin"), "*");
  EXPECT_FALSE(out.Has("access-control-allow-credentials"));
  EXPECT_FALSE(out.Has("access-control-expose-headers"));
}

}  // namespace
}  // namespace switchyard::proxy
