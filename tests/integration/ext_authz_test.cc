// External authorization (docs/auth.md, "External authorization") through the real proxy
// and a real grpc++ service speaking Envoy's envoy.service.auth.v3.Authorization: what
// the service is told, its header changes on an allowed request, its own reply on a
// refused one, and both failure modes when it times out or is down, each counted in
// /metrics.
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/authz_server.h"
#include "tests/support/child_process.h"
#include "tests/support/http_message.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;

// A service that answers `response` only after 5 s (or never, when the call is cancelled
// first): later than any timeout here.
AuthzServer::Handler AnswersTooLate(const AuthzServer::CheckResponse& response) {
  return [response](grpc::ServerContext* context, const AuthzServer::CheckRequest&,
                    AuthzServer::CheckResponse* out) {
    for (int i = 0; i < 500 && !context->IsCancelled(); ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    *out = response;
    return grpc::Status::OK;
  };
}

class ExtAuthzTest : public ProxyTest {
 protected:
  void SetUp() override { backend_ = &AddBackend("b"); }

  // One route behind a policy with ext_authz on `authz`, and `ext_extra` inside its
  // ext_authz mapping.
  ::testing::AssertionResult Start(const AuthzServer& authz, const std::string& ext_extra = "") {
    return StartProxy(absl::StrCat(R"(
consumers:
  - name: acme
    api_keys: [{name: k1, sha256: "5a2bdeb7fc0ddb6e5ab4d6e6a9a0e3fd0d8a2e3ec5d1fce08a93ac4ed4a8ed5e"}]
auth_policies:
  - name: opa
    ext_authz: {cluster: authz, context_extensions: {tier: gold})",
                                   ext_extra, R"(}
virtual_hosts:
  - name: api
    domains: ["*"]
    routes:
      - {name: all, match: {prefix: /}, route: {cluster: b}, auth_policy: opa}
clusters:
  - {name: b, endpoints: [{address: 127.0.0.1, port: )",
                                   backend_->port(), R"(}]}
  - {name: authz, protocol: HTTP2, endpoints: [{address: 127.0.0.1, port: )",
                                   authz.port(), "}]}\n"),
                      {"--admin=127.0.0.1:0"});
  }

  Response Send(const std::string& target, const std::string& extra_headers = "") {
    return RoundTrip("GET " + target + " HTTP/1.1\r\nHost: api.example.com\r\n" + extra_headers +
                     "\r\n");
  }

  int64_t Checks(const std::string& result) {
    return Metric("switchyard_ext_authz_checks_total{result=\"" + result + "\"}");
  }

  TestBackend* backend_ = nullptr;
};

TEST_F(ExtAuthzTest, TheServiceSeesTheRequestAndItsHeaderChangesGoUpstream) {
  AuthzServer authz([](grpc::ServerContext*, const AuthzServer::CheckRequest& request,
                       AuthzServer::CheckResponse* response) {
    *response = AllowResponse();
    if (request.attributes().request().http().path() == "/admin") {
      *response = DenyResponse(401, "admins only");
      auto* header = response->mutable_denied_response()->add_headers();
      header->mutable_header()->set_key("WWW-Authenticate");
      header->mutable_header()->set_value("Bearer realm=\"opa\"");
      return grpc::Status::OK;
    }
    auto* user = response->mutable_ok_response()->add_headers();
    user->mutable_header()->set_key("x-user");
    user->mutable_header()->set_value("alice");
    response->mutable_ok_response()->add_headers_to_remove("x-remove-me");
    return grpc::Status::OK;
  });
  ASSERT_TRUE(Start(authz));

  const Response allowed =
      Send("/orders?id=7", "X-Remove-Me: 1\r\nX-User: mallory\r\nAccept: a\r\nAccept: b\r\n");
  ASSERT_EQ(allowed.status, 200) << allowed.DebugString();
  ASSERT_EQ(backend_->request_count(), 1u);
  const ReceivedRequest seen = backend_->requests()[0];
  EXPECT_EQ(seen.headers.Joined("x-user"), "alice");
  EXPECT_FALSE(seen.headers.Has("x-remove-me"));

  const std::vector<AuthzServer::CheckRequest> checks = authz.requests();
  ASSERT_EQ(checks.size(), 1u);
  const auto& attributes = checks[0].attributes();
  const auto& http = attributes.request().http();
  EXPECT_EQ(http.method(), "GET");
  EXPECT_EQ(http.path(), "/orders?id=7");
  EXPECT_EQ(http.host(), "api.example.com");
  EXPECT_EQ(http.protocol(), "HTTP/1.1");
  EXPECT_EQ(http.headers().at("accept"), "a,b");
  EXPECT_EQ(http.headers().at("x-remove-me"), "1");
  EXPECT_FALSE(http.id().empty());
  EXPECT_EQ(http.id(), seen.headers.Joined("x-request-id"));
  EXPECT_EQ(attributes.source().address().socket_address().address(), "127.0.0.1");
  EXPECT_EQ(attributes.context_extensions().at("tier"), "gold");

  const Response denied = Send("/admin");
  EXPECT_TRUE(IsLocalReply(denied, 401, {"ext_authz_denied"})) << denied.DebugString();
  EXPECT_EQ(denied.headers.Joined("www-authenticate"), "Bearer realm=\"opa\"");
  EXPECT_NE(denied.body.find("admins only"), std::string::npos) << denied.body;
  EXPECT_EQ(backend_->request_count(), 1u);

  EXPECT_EQ(Checks("allowed"), 1);
  EXPECT_EQ(Checks("denied"), 1);
}

TEST_F(ExtAuthzTest, AServiceThatDoesNotAnswerInTimeFailsClosedByDefault) {
  AuthzServer authz(AnswersTooLate(AllowResponse()));
  ASSERT_TRUE(Start(authz, ", timeout: 0.2s"));
  const Response refused = Send("/orders");
  EXPECT_TRUE(IsLocalReply(refused, 403, {"ext_authz_error"})) << refused.DebugString();
  EXPECT_EQ(backend_->request_count(), 0u);
  EXPECT_EQ(Checks("failed_closed"), 1);

  // The connection to the service stays usable for the next check.
  const Response again = Send("/orders");
  EXPECT_TRUE(IsLocalReply(again, 403, {"ext_authz_error"})) << again.DebugString();
  EXPECT_EQ(authz.requests().size(), 2u);
}

TEST_F(ExtAuthzTest, FailureModeAllowLetsRequestsThroughWhenTheServiceTimesOutOrIsDown) {
  AuthzServer authz(AnswersTooLate(DenyResponse(403, "never seen")));
  ASSERT_TRUE(Start(authz, ", timeout: 0.2s, failure_mode_allow: true"));
  const Response slow = Send("/orders");
  EXPECT_EQ(slow.status, 200) << slow.DebugString();

  authz.Stop();
  const Response down = Send("/orders");
  EXPECT_EQ(down.status, 200) << down.DebugString();
  EXPECT_EQ(backend_->request_count(), 2u);
  EXPECT_EQ(Checks("failed_open"), 2);
}

TEST_F(ExtAuthzTest, AServiceThatIsDownOrFailsRefusesWhenFailingClosed) {
  AuthzServer authz([](grpc::ServerContext*, const AuthzServer::CheckRequest& request,
                       AuthzServer::CheckResponse*) {
    if (request.attributes().request().http().path() == "/error") {
      return grpc::Status(grpc::StatusCode::INTERNAL, "policy engine broke");
    }
    return grpc::Status::OK;
  });
  ASSERT_TRUE(Start(authz));
  const Response error = Send("/error");
  EXPECT_TRUE(IsLocalReply(error, 403, {"ext_authz_error"})) << error.DebugString();
  authz.Stop();
  const Response down = Send("/orders");
  EXPECT_TRUE(IsLocalReply(down, 403, {"ext_authz_error"})) << down.DebugString();
  EXPECT_EQ(backend_->request_count(), 0u);
  EXPECT_EQ(Checks("failed_closed"), 2);
}

// deploy/examples/ext-authz.yaml, as shipped: the key first, then the service, which
// sees the consumer.
TEST_F(ExtAuthzTest, TheShippedExampleWorks) {
  AuthzServer authz([](grpc::ServerContext*, const AuthzServer::CheckRequest& request,
                       AuthzServer::CheckResponse* response) {
    const auto& headers = request.attributes().request().http().headers();
    const auto consumer = headers.find("x-switchyard-consumer");
    *response = consumer != headers.end() && consumer->second == "acme" &&
                        request.attributes().context_extensions().at("api") == "orders"
                    ? AllowResponse()
                    : DenyResponse(403, "who is this?");
    return grpc::Status::OK;
  });
  std::string example = ReadFile("deploy/examples/ext-authz.yaml");
  for (const auto& [from, to] : {std::pair<std::string, uint16_t>{"port: 9001", backend_->port()},
                                 std::pair<std::string, uint16_t>{"port: 9191", authz.port()}}) {
    ASSERT_NE(example.find(from), std::string::npos) << example;
    example.replace(example.find(from), from.size(), absl::StrCat("port: ", to));
  }
  ASSERT_TRUE(StartProxy(example));
  EXPECT_TRUE(IsLocalReply(Send("/orders"), 401, {"missing_credential"}));
  const Response allowed = Send("/orders", "x-api-key: sy_example-acme-key\r\n");
  EXPECT_EQ(allowed.status, 200) << allowed.DebugString();
  EXPECT_EQ(authz.requests().size(), 1u);  // the key's 401 never asked the service
}

}  // namespace
}  // namespace switchyard::testing
