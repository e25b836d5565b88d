// JWT keys from a URL (docs/auth.md, "Keys from a URL") through the real proxy: the keys
// are fetched before the snapshot serves, a provider's key rotation reaches the proxy (a
// token with an unknown kid asks for a fetch), the last keys keep serving while the
// provider is down, and tokens get 401 jwks_not_ready (counted) until a first fetch
// succeeds.
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "dataplane/auth/testing/test_tokens.h"
#include "dataplane/tls/testing/test_certificates.h"
#include "gtest/gtest.h"
#include "tests/support/certificate_yaml.h"
#include "tests/support/http_message.h"
#include "tests/support/poll.h"
#include "tests/support/proxy_test.h"
#include "tests/support/tls_front.h"

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
namespace certs = tls::testing;
namespace tokens = auth::testing;

class RemoteJwksTest : public ProxyTest {
 protected:
  void SetUp() override {
    backend_ = &AddBackend("b");
    provider_ = std::make_unique<TestBackend>("idp", [this](BackendExchange& ex) {
      std::string document;
      {
        std::lock_guard<std::mutex> lock(mu_);
        document = document_;
      }
      if (document.empty()) {
        ex.Reply(503, "not ready");
      } else {
        ex.Reply(200, document, {{"content-type", "application/json"}});
      }
    });
  }

  void Serve(const std::vector<tokens::TestKey>& keys) {
    std::lock_guard<std::mutex> lock(mu_);
    document_ = keys.empty() ? "" : tokens::Jwks(keys);
  }

  // `idp_port` and `idp_tls` (a flow mapping's inside): the provider's cluster, by default
  // the provider itself in plaintext.
  ::testing::AssertionResult Start(uint16_t idp_port = 0, const std::string& idp_tls = "") {
    return StartProxy(absl::StrCat(R"(
auth_policies:
  - name: jwt
    jwt:
      issuer: https://id.example.com
      remote_jwks: {cluster: idp, path: /.well-known/jwks.json, host: id.example.com, refresh_interval: 1s}
virtual_hosts:
  - name: api
    domains: ["*"]
    routes:
      - {name: all, match: {prefix: /}, route: {cluster: b}, auth_policy: jwt}
clusters:
  - {name: b, endpoints: [{address: 127.0.0.1, port: )",
                                   backend_->port(), R"(}]}
  - {name: idp, endpoints: [{address: 127.0.0.1, port: )",
                                   idp_port != 0 ? idp_port : provider_->port(), "}]",
                                   idp_tls.empty() ? "" : ", tls: {" + idp_tls + "}", "}\n"),
                      {"--admin=127.0.0.1:0"});
  }

  // The provider behind TLS (front_) with a certificate for id.example.com that `issuer`
  // signed, and the proxy fetching from it, trusting `trusted` for that name.
  ::testing::AssertionResult StartBehindTls(const certs::TestCertificate& issuer,
                                            const certs::TestCertificate& trusted) {
    const certs::TestCertificate cert = certs::IssueCertificate(
        {.common_name = "id.example.com", .dns_names = {"id.example.com"}}, issuer);
    front_ = std::make_unique<TlsFront>(
        provider_->port(), TlsFrontOptions{.chain_pem = cert.chain_pem, .key_pem = cert.key_pem});
    return Start(front_->port(),
                 "server_name: id.example.com, ca_pem: " + YamlQuoted(trusted.cert_pem));
  }

  static std::string Token(const tokens::TestKey& key) {
    const int64_t now =
        std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    return tokens::SignJwt(key,
                           {{"iss", "https://id.example.com"}, {"sub", "u1"}, {"exp", now + 300}});
  }

  Response WithToken(const std::string& token) {
    return RoundTrip("GET /orders HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: Bearer " +
                     token + "\r\n\r\n");
  }

  // Polls (real time, loosely bounded: fetches come on the fetcher's schedule) until a
  // request with `token` gets `status`.
  bool EventuallyStatus(const std::string& token, int status) {
    for (int i = 0; i < 100; ++i) {
      if (WithToken(token).status == status) return true;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return false;
  }

  int64_t LocalReplies(const std::string& reason) {
    return Metric("switchyard_local_replies_total{reason=\"" + reason + "\"}");
  }

  TestBackend* backend_ = nullptr;
  std::unique_ptr<TestBackend> provider_;
  std::unique_ptr<TlsFront> front_;
  std::mutex mu_;
  std::string document_;
};

TEST_F(RemoteJwksTest, RotatedKeysArriveAndTheLastKeysServeWhileTheProviderIsDown) {
  const tokens::TestKey a = tokens::MakeKey("RS256", "a");
  const tokens::TestKey b = tokens::MakeKey("ES256", "b");
  Serve({a});
  ASSERT_TRUE(Start());
  // Fetched before the snapshot served: the very first request passes.
  const Response first = WithToken(Token(a));
  EXPECT_EQ(first.status, 200) << first.DebugString();
  ASSERT_GE(provider_->request_count(), 1u);
  const ReceivedRequest fetch = provider_->requests()[0];
  EXPECT_EQ(fetch.target, "/.well-known/jwks.json");
  EXPECT_EQ(fetch.headers.Joined("host"), "id.example.com");

  // The provider rotates: b in, a out.
  Serve({b});
  EXPECT_TRUE(EventuallyStatus(Token(b), 200));
  const Response old = WithToken(Token(a));
  EXPECT_TRUE(IsLocalReply(old, 401, {"invalid_token"})) << old.DebugString();

  // The provider goes away: the proxy keeps the last keys through several refreshes.
  const uint16_t port = provider_->port();
  provider_.reset();
  RefusingPort refusing(port);
  ASSERT_TRUE(refusing.ok());
  std::this_thread::sleep_for(milliseconds(2500));
  const Response down = WithToken(Token(b));
  EXPECT_EQ(down.status, 200) << down.DebugString();
  EXPECT_LE(LocalReplies("jwks_not_ready"), 0);  // -1: the series never appeared
}

TEST_F(RemoteJwksTest, TokensGetJwksNotReadyUntilAFirstFetchSucceeds) {
  Serve({});             // the provider answers 503 for now
  ASSERT_TRUE(Start());  // the snapshot serves anyway, after one bounded attempt
  const tokens::TestKey key = tokens::MakeKey("EdDSA", "k");
  const Response early = WithToken(Token(key));
  EXPECT_TRUE(IsLocalReply(early, 401, {"jwks_not_ready"})) << early.DebugString();
  EXPECT_TRUE(early.headers.Has("www-authenticate"));
  // Counted at the request's end, which may come just after its reply.
  EXPECT_TRUE(PollUntil([&] { return LocalReplies("jwks_not_ready") >= 1; }, seconds(10)));
  EXPECT_EQ(backend_->request_count(), 0u);

  Serve({key});
  EXPECT_TRUE(EventuallyStatus(Token(key), 200));
  EXPECT_GE(Metric("switchyard_jwks_fetches_total{result=\"failure\"}"), 1);
  // Counted once the keys are in, which a request may see first.
  EXPECT_TRUE(
      PollUntil([&] { return Metric("switchyard_jwks_fetches_total{result=\"success\"}") >= 1; },
                seconds(10)));
}

// The provider over TLS, as identity providers serve their keys: fetched when its
// certificate verifies against the cluster's CA for its name, never when it does not.
TEST_F(RemoteJwksTest, KeysComeOverVerifiedTls) {
  const certs::TestCertificate ca = certs::CertificateAuthority("idp CA");
  const tokens::TestKey key = tokens::MakeKey("ES256", "k");
  Serve({key});
  ASSERT_TRUE(StartBehindTls(/*issuer=*/ca, /*trusted=*/ca));
  const Response verified = WithToken(Token(key));
  EXPECT_EQ(verified.status, 200) << verified.DebugString();
  ASSERT_FALSE(front_->handshakes().empty());
  EXPECT_EQ(front_->handshakes()[0].server_name, "id.example.com");
}

TEST_F(RemoteJwksTest, KeysFromAProviderWhoseCertificateDoesNotVerifyAreNeverUsed) {
  const certs::TestCertificate ca = certs::CertificateAuthority("idp CA");
  const certs::TestCertificate impostors_ca = certs::CertificateAuthority("someone else");
  const tokens::TestKey key = tokens::MakeKey("ES256", "k");
  Serve({key});
  ASSERT_TRUE(StartBehindTls(/*issuer=*/impostors_ca, /*trusted=*/ca));
  const Response refused = WithToken(Token(key));
  EXPECT_TRUE(IsLocalReply(refused, 401, {"jwks_not_ready"})) << refused.DebugString();
  EXPECT_EQ(provider_->request_count(), 0u);
}

}  // namespace
}  // namespace switchyard::testing
