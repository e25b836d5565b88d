// The ext-authz messages: what the service is told about a request, and how its answers
// (allow with header changes, deny with a reply, and every malformed one) become decisions.
#include "dataplane/auth/ext_authz.h"

#include <string>

#include "envoy/service/auth/v3/external_auth.pb.h"
#include "gtest/gtest.h"

namespace switchyard::auth {
namespace {

namespace envoy_auth = ::envoy::service::auth::v3;
using Outcome = CheckDecision::Outcome;

// `message` as a gRPC body: flag 0 and a big-endian length.
std::string Framed(const std::string& message) {
  std::string framed(5, '\0');
  framed[3] = static_cast<char>(message.size() >> 8);
  framed[4] = static_cast<char>(message.size());
  return framed + message;
}

CheckDecision Read(const envoy_auth::CheckResponse& response) {
  const std::string type = "application/grpc";
  const std::string ok = "0";
  return ReadCheckResponse(200, &type, &ok, Framed(response.SerializeAsString()));
}

TEST(ExtAuthzTest, TheCheckRequestDescribesTheRequest) {
  http::HeaderMap headers;
  headers.Add("Accept", "a");
  headers.Add("accept", "b");
  headers.Add("x-switchyard-consumer", "acme");
  const tls::ClientIdentity identity{.subject = "CN=svc"};
  const ExtAuthzConfig config{.cluster = "authz", .context_extensions = {{"tier", "gold"}}};
  const std::string call = BuildCheckCall({.request_id = "r1",
                                           .method = "POST",
                                           .target = "/v1/items?x=1",
                                           .host = "api.example.com",
                                           .scheme = "https",
                                           .protocol = "HTTP/2",
                                           .headers = &headers,
                                           .client_ip = "10.1.2.3",
                                           .body_size = 12,
                                           .client_identity = &identity,
                                           .config = &config});
  ASSERT_GE(call.size(), 5u);
  EXPECT_EQ(call[0], 0);
  envoy_auth::CheckRequest check;
  ASSERT_TRUE(check.ParseFromString(call.substr(5)));
  EXPECT_EQ(call.size() - 5, check.ByteSizeLong());
  const auto& http = check.attributes().request().http();
  EXPECT_EQ(http.id(), "r1");
  EXPECT_EQ(http.method(), "POST");
  EXPECT_EQ(http.path(), "/v1/items?x=1");
  EXPECT_EQ(http.host(), "api.example.com");
  EXPECT_EQ(http.scheme(), "https");
  EXPECT_EQ(http.protocol(), "HTTP/2");
  EXPECT_EQ(http.size(), 12);
  EXPECT_EQ(http.headers().at("accept"), "a,b");
  EXPECT_EQ(http.headers().at("x-switchyard-consumer"), "acme");
  EXPECT_EQ(check.attributes().source().address().socket_address().address(), "10.1.2.3");
  EXPECT_EQ(check.attributes().source().principal(), "CN=svc");
  EXPECT_EQ(check.attributes().context_extensions().at("tier"), "gold");
}

TEST(ExtAuthzTest, AnAllowedAnswerChangesHeaders) {
  envoy_auth::CheckResponse response;
  auto* ok = response.mutable_ok_response();
  auto* set = ok->add_headers();
  set->mutable_header()->set_key("X-User");
  set->mutable_header()->set_value("alice");
  auto* append = ok->add_headers();
  append->mutable_header()->set_key("x-tag");
  append->mutable_header()->set_value("2");
  append->mutable_append()->set_value(true);
  auto* if_absent = ok->add_headers();
  if_absent->mutable_header()->set_key("x-tenant");
  if_absent->mutable_header()->set_value("t9");
  if_absent->set_append_action(::envoy::config::core::v3::HeaderValueOption::ADD_IF_ABSENT);
  auto* empty = ok->add_headers();
  empty->mutable_header()->set_key("x-empty");
  ok->add_headers_to_remove("Authorization");
  const CheckDecision decision = Read(response);
  ASSERT_EQ(decision.outcome, Outcome::kAllowed) << decision.error;

  http::HeaderMap headers;
  headers.Add("x-user", "mallory");
  headers.Add("x-tag", "1");
  headers.Add("x-tenant", "t1");
  headers.Add("authorization", "Bearer abc");
  ApplyHeaderChanges(decision, headers);
  EXPECT_EQ(*headers.Get("x-user"), "alice");
  ASSERT_NE(headers.Get("x-tenant"), nullptr);
  EXPECT_EQ(*headers.Get("x-tenant"), "t1");
  EXPECT_FALSE(headers.Has("authorization"));
  EXPECT_FALSE(headers.Has("x-empty"));  // empty, without keep_empty_value
  int tags = 0;
  for (const http::HeaderField& field : headers) tags += field.name == "x-tag" ? 1 : 0;
  EXPECT_EQ(tags, 2);
}

TEST(ExtAuthzTest, ADeniedAnswerKeepsItsStatusHeadersAndBody) {
  envoy_auth::CheckResponse response;
  response.mutable_status()->set_code(7);
  auto* denied = response.mutable_denied_response();
  denied->mutable_status()->set_code(::envoy::type::v3::Unauthorized);
  auto* header = denied->add_headers();
  header->mutable_header()->set_key("WWW-Authenticate");
  header->mutable_header()->set_value("Bearer realm=\"opa\"");
  denied->set_body("no entry");
  CheckDecision decision = Read(response);
  ASSERT_EQ(decision.outcome, Outcome::kDenied);
  EXPECT_EQ(decision.status, 401);
  ASSERT_EQ(decision.reply_headers.size(), 1u);
  EXPECT_EQ(decision.reply_headers[0].first, "www-authenticate");
  EXPECT_EQ(decision.message, "no entry");

  // No denied_response: 403 with the status's message; a status that is not an error: 403.
  response.clear_denied_response();
  response.mutable_status()->set_message("policy says no");
  decision = Read(response);
  EXPECT_EQ(decision.status, 403);
  EXPECT_EQ(decision.message, "policy says no");
  response.mutable_denied_response()->mutable_status()->set_code(::envoy::type::v3::OK);
  EXPECT_EQ(Read(response).status, 403);
}

TEST(ExtAuthzTest, HeadersThatCouldSmuggleOrThatTheGatewayOwnsAreRefused) {
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"x-a", "one\r\nx-b: two"},
                                                        {"x-a", std::string("n\0ul", 4)},
                                                        {"bad name", "v"},
                                                        {"", "v"},
                                                        {"Transfer-Encoding", "chunked"},
                                                        {"content-length", "5"},
                                                        {"host", "evil.example"},
                                                        {"connection", "close"}}) {
    envoy_auth::CheckResponse response;
    auto* option = response.mutable_ok_response()->add_headers();
    option->mutable_header()->set_key(key);
    option->mutable_header()->set_value(value);
    const CheckDecision decision = Read(response);
    EXPECT_EQ(decision.outcome, Outcome::kError) << key;
    EXPECT_NE(decision.error.find("the answer sets"), std::string::npos) << decision.error;
  }
  envoy_auth::CheckResponse remove;
  remove.mutable_ok_response()->add_headers_to_remove("Content-Length");
  EXPECT_EQ(Read(remove).outcome, Outcome::kError);
}

TEST(ExtAuthzTest, AnswersThatAreNotAProperCheckResponseAreErrors) {
  const std::string grpc = "application/grpc";
  const std::string text = "text/html";
  const std::string ok = "0";
  const std::string unavailable = "14";
  const std::string message = Framed(envoy_auth::CheckResponse().SerializeAsString());
  EXPECT_EQ(ReadCheckResponse(200, &grpc, &ok, message).outcome, Outcome::kAllowed);
  EXPECT_EQ(ReadCheckResponse(503, &grpc, &ok, message).outcome, Outcome::kError);
  EXPECT_EQ(ReadCheckResponse(200, &text, &ok, message).outcome, Outcome::kError);
  EXPECT_EQ(ReadCheckResponse(200, nullptr, &ok, message).outcome, Outcome::kError);
  EXPECT_EQ(ReadCheckResponse(200, &grpc, nullptr, message).outcome, Outcome::kError);
  const CheckDecision failed = ReadCheckResponse(200, &grpc, &unavailable, "");
  EXPECT_EQ(failed.outcome, Outcome::kError);
  EXPECT_EQ(failed.error, "the call failed with gRPC status 14");
  EXPECT_EQ(ReadCheckResponse(200, &grpc, &ok, "").outcome, Outcome::kError);
  EXPECT_EQ(ReadCheckResponse(200, &grpc, &ok, message + "x").outcome, Outcome::kError);
  EXPECT_EQ(ReadCheckResponse(200, &grpc, &ok, message + message).outcome, Outcome::kError);
  std::string compressed = message;
  compressed[0] = 1;
  EXPECT_EQ(ReadCheckResponse(200, &grpc, &ok, compressed).outcome, Outcome::kError);
  EXPECT_EQ(ReadCheckResponse(200, &grpc, &ok, Framed("\xff\xff\xff")).outcome, Outcome::kError);
}

}  // namespace
}  // namespace switchyard::auth
