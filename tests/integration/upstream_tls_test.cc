// TLS towards backends (a cluster's `tls:`; docs/upstream-tls.md): the proxy verifies the
// endpoint's chain against the configured CA and its name against server_name (or its IP
// address without one), sends SNI and ALPN http/1.1, presents a client certificate when
// configured, pools TLS connections like plaintext ones, and answers 503
// upstream_tls_failed (logging why) when a handshake fails. The backend is a TestBackend
// behind a TlsFront, so what went upstream is still recorded exactly.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/tls/testing/test_certificates.h"
#include "gtest/gtest.h"
#include "tests/support/certificate_yaml.h"
#include "tests/support/child_process.h"
#include "tests/support/http_message.h"
#include "tests/support/metrics_page.h"
#include "tests/support/poll.h"
#include "tests/support/proxy_test.h"
#include "tests/support/raw_client.h"
#include "tests/support/socket.h"
#include "tests/support/tls_front.h"

namespace switchyard::testing {
namespace {

namespace certs = tls::testing;
using std::chrono::seconds;

class UpstreamTlsTest : public ProxyTest {
 protected:
  void SetUp() override {
    ca_ = certs::CertificateAuthority("backend CA");
    backend_cert_ = certs::IssueCertificate(
        {.common_name = "backend.test", .dns_names = {"backend.test"}}, ca_);
    backend_ = &AddBackend("b", [](BackendExchange& ex) {
      ex.Reply(200, "got " + std::to_string(ex.request().body.size()) + " bytes");
      if (ex.request().target == "/close-after") ex.CloseNow();
    });
  }

  // Starts a front serving `cert` (and requiring a client certificate from `client_ca`
  // when set) and the proxy with one cluster whose tls settings are `tls_yaml` (a flow
  // mapping's inside).
  void Start(const certs::TestCertificate& cert, const std::string& tls_yaml,
             const std::string& client_ca = "") {
    front_ =
        std::make_unique<TlsFront>(backend_->port(), TlsFrontOptions{.chain_pem = cert.chain_pem,
                                                                     .key_pem = cert.key_pem,
                                                                     .client_ca_pem = client_ca});
    const std::string config =
        "virtual_hosts:\n"
        "- {name: vh, domains: [\"*\"], routes: [{name: r, match: {prefix: /}, route: {cluster: "
        "c}}]}\n"
        "clusters:\n"
        "- {name: c, endpoints: [{address: 127.0.0.1, port: " +
        std::to_string(front_->port()) + "}], tls: {" + tls_yaml + "}}\n";
    ASSERT_TRUE(StartProxy(config, {"--admin=127.0.0.1:0"}));
  }
  std::string TrustTheCa() { return "ca_pem: " + YamlQuoted(ca_.cert_pem); }

  // The proxy's log says the handshake failed, and why.
  void ExpectHandshakeFailureLogged(const std::string& why) {
    EXPECT_TRUE(PollUntil([&] {
      const std::string log = proxy().StderrContents();
      return log.find("TLS handshake with 127.0.0.1:" + std::to_string(front_->port()) +
                      " (cluster c) failed") != std::string::npos &&
             log.find(why) != std::string::npos;
    })) << proxy().StderrTail();
  }

  certs::TestCertificate ca_, backend_cert_;
  TestBackend* backend_ = nullptr;
  std::unique_ptr<TlsFront> front_;
};

TEST_F(UpstreamTlsTest, VerifiesTheBackendSendsSniAndReusesTheConnection) {
  Start(backend_cert_, "server_name: backend.test, " + TrustTheCa());
  RawClient client(proxy_port());
  for (int i = 0; i < 3; ++i) {
    const Response r = client.RoundTrip(SimpleGet("/get"));
    ASSERT_TRUE(r.ok()) << r.DebugString();
    EXPECT_EQ(r.status, 200) << r.DebugString();
    EXPECT_EQ(r.body, "got 0 bytes");
  }
  // Bodies both ways, length-delimited and chunked, larger than a TLS record.
  const std::string big(1 << 20, 'x');
  Response r = client.RoundTrip("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " +
                                std::to_string(big.size()) + "\r\n\r\n" + big);
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, "got 1048576 bytes");
  r = client.RoundTrip(
      "POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, "got 11 bytes");

  // One TLS connection carried all five requests.
  const std::vector<FrontHandshake> handshakes = front_->handshakes();
  ASSERT_EQ(handshakes.size(), 1u);
  EXPECT_TRUE(handshakes[0].ok) << handshakes[0].error;
  EXPECT_EQ(handshakes[0].server_name, "backend.test");
  EXPECT_EQ(handshakes[0].alpn_offered, "http/1.1");
  EXPECT_EQ(handshakes[0].client_subject, "");
  ASSERT_EQ(backend_->request_count(), 5u);
  EXPECT_EQ(backend_->requests()[4].body, "hello world");
}

TEST_F(UpstreamTlsTest, ABackendClosingAPooledConnectionCostsNoRequest) {
  Start(backend_cert_, "server_name: backend.test, " + TrustTheCa());
  ASSERT_EQ(Get("/close-after").status, 200);
  // The backend closed the connection after answering; the front passes that on as
  // close_notify and FIN, which the proxy finds when it next takes the connection.
  ASSERT_TRUE(PollUntil([&] { return backend_->open_connections() == 0; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // for the front to relay it
  // A request with a body, which cannot be retried: the proxy checks the pooled connection
  // first (a non-blocking TLS read) and opens a new one.
  const Response r = RoundTrip("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(r.status, 200) << r.DebugString();
  EXPECT_EQ(r.body, "got 3 bytes");
  EXPECT_EQ(Get("/again").status, 200);
  EXPECT_EQ(front_->handshakes().size(), 2u);
}

// A new connection to an endpoint resumes the session of the one before (the backend's
// TLS 1.3 ticket): no certificate chain, no signature, no key exchange to verify again.
// The backend is OpenSSL's own server, `openssl s_server -www`: it answers each request
// with a page that says whether the session was "New" or "Reused", and closes, so each
// request opens a connection.
TEST_F(UpstreamTlsTest, ANewConnectionResumesTheLastSession) {
  const std::string dir = MakeTempDir("s_server");
  ASSERT_TRUE(certs::WriteFile(dir + "/cert.pem", backend_cert_.chain_pem).ok());
  ASSERT_TRUE(certs::WriteFile(dir + "/key.pem", backend_cert_.key_pem).ok());
  uint16_t port = 0;
  {
    Listener probe;  // a free port, let go just before s_server takes it
    port = probe.port();
  }
  ChildProcess server("openssl s_server");
  std::string error;
  ASSERT_TRUE(
      server.Start({"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:" + std::to_string(port),
                    "-cert", dir + "/cert.pem", "-key", dir + "/key.pem", "-www", "-quiet"},
                   dir + "/s_server.log", &error))
      << error;
  ASSERT_EQ(server.WaitUntilReady(
                [&] { return Socket::Connect(port, std::chrono::milliseconds(200)).valid(); },
                std::chrono::seconds(10)),
            ChildProcess::WaitResult::kReady);
  ASSERT_TRUE(StartProxy(
      "virtual_hosts:\n"
      "- {name: vh, domains: [\"*\"], routes: [{name: r, match: {prefix: /}, route: {cluster: "
      "c}}]}\n"
      "clusters:\n"
      "- {name: c, endpoints: [{address: 127.0.0.1, port: " +
      std::to_string(port) + "}], tls: {server_name: backend.test, " + TrustTheCa() + "}}\n"));
  std::vector<std::string> sessions;
  for (int i = 0; i < 3; ++i) {
    const Response r = Get("/");
    EXPECT_EQ(r.status, 200) << r.DebugString();
    sessions.push_back(r.body.find("Reused, TLSv1.3") != std::string::npos ? "reused"
                       : r.body.find("New, TLSv1.3") != std::string::npos  ? "new"
                                                                           : "?");
  }
  EXPECT_EQ(sessions, (std::vector<std::string>{"new", "reused", "reused"}));
}

TEST_F(UpstreamTlsTest, ANameTheCertificateDoesNotCarryIsRefused) {
  Start(backend_cert_, "server_name: other.test, " + TrustTheCa());
  const Response r = Get("/");
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("upstream_tls_failed"), std::string::npos) << r.body;
  EXPECT_EQ(backend_->request_count(), 0u);
  ExpectHandshakeFailureLogged("certificate verify failed");
  // Counted as the cluster's failure of its own kind (a request is counted just after
  // its answer is sent: polled).
  EXPECT_TRUE(PollUntil([&] {
    RawClient admin(proxy().admin_port());
    return MetricValue(admin.RoundTrip(SimpleGet("/metrics", "admin")).body,
                       R"(switchyard_upstream_failures_total{cluster="c",reason="tls_failed"})") ==
           1;
  }));
}

TEST_F(UpstreamTlsTest, AChainFromAnotherCaIsRefused) {
  const certs::TestCertificate other_ca = certs::CertificateAuthority("other CA");
  Start(backend_cert_, "server_name: backend.test, ca_pem: " + YamlQuoted(other_ca.cert_pem));
  const Response r = Get("/");
  EXPECT_EQ(r.status, 503) << r.DebugString();
  EXPECT_EQ(backend_->request_count(), 0u);
  // The chain the backend sends ends in its own CA, which this one does not trust.
  ExpectHandshakeFailureLogged("self-signed certificate in certificate chain");
}

TEST_F(UpstreamTlsTest, WithoutACaTheSystemTrustStoreDecides) {
  // The test CA is in no system trust store: the default is to verify, not to trust.
  Start(backend_cert_, "server_name: backend.test");
  const Response r = Get("/");
  EXPECT_EQ(r.status, 503) << r.DebugString();
  EXPECT_EQ(backend_->request_count(), 0u);
}

TEST_F(UpstreamTlsTest, AnExpiredCertificateIsRefused) {
  const certs::TestCertificate expired = certs::IssueCertificate({.common_name = "backend.test",
                                                                  .dns_names = {"backend.test"},
                                                                  .valid_from = absl::Hours(-48),
                                                                  .valid_until = absl::Hours(-1)},
                                                                 ca_);
  Start(expired, "server_name: backend.test, " + TrustTheCa());
  EXPECT_EQ(Get("/").status, 503);
  ExpectHandshakeFailureLogged("certificate has expired");
}

TEST_F(UpstreamTlsTest, InsecureSkipVerifyAcceptsAnyCertificateAndSaysSo) {
  Start(certs::SelfSignedFor({"whatever.test"}),
        "server_name: backend.test, insecure_skip_verify: true");
  const Response r = Get("/");
  EXPECT_EQ(r.status, 200) << r.DebugString();
  EXPECT_NE(proxy().StderrContents().find("clusters[c].tls.insecure_skip_verify is set"),
            std::string::npos)
      << proxy().StderrTail();
}

TEST_F(UpstreamTlsTest, WithoutServerNameTheEndpointsIpAddressIsVerified) {
  const certs::TestCertificate by_ip = certs::IssueCertificate(
      {.common_name = "backend by address", .ip_addresses = {"127.0.0.1"}}, ca_);
  Start(by_ip, TrustTheCa());
  EXPECT_EQ(Get("/").status, 200);
  const std::vector<FrontHandshake> handshakes = front_->handshakes();
  ASSERT_EQ(handshakes.size(), 1u);
  EXPECT_EQ(handshakes[0].server_name, "");  // no SNI for an address
}

TEST_F(UpstreamTlsTest, WithoutServerNameACertificateForANameIsRefused) {
  Start(backend_cert_, TrustTheCa());
  EXPECT_EQ(Get("/").status, 503);
  ExpectHandshakeFailureLogged("certificate verify failed");
}

TEST_F(UpstreamTlsTest, AClientCertificateIsPresentedWhenConfigured) {
  const certs::TestCertificate client_ca = certs::CertificateAuthority("client CA");
  const certs::TestCertificate client =
      certs::IssueCertificate({.common_name = "edge-proxy", .client = true}, client_ca);
  const std::string dir = MakeTempDir("upstream-tls");
  ASSERT_TRUE(certs::WriteFile(dir + "/client.pem", client.chain_pem).ok());
  ASSERT_TRUE(certs::WriteFile(dir + "/client.key", client.key_pem).ok());
  ASSERT_TRUE(certs::WriteFile(dir + "/ca.pem", ca_.cert_pem).ok());
  // Files this time: ca_file and the client pair.
  Start(backend_cert_,
        "server_name: backend.test, ca_file: " + dir + "/ca.pem, client_cert_file: " + dir +
            "/client.pem, client_key_file: " + dir + "/client.key",
        client_ca.cert_pem);
  const Response r = Get("/");
  EXPECT_EQ(r.status, 200) << r.DebugString();
  const std::vector<FrontHandshake> handshakes = front_->handshakes();
  ASSERT_EQ(handshakes.size(), 1u);
  EXPECT_EQ(handshakes[0].client_subject, "CN=edge-proxy");
}

TEST_F(UpstreamTlsTest, ABackendThatRequiresAClientCertificateRefusesOneWithout) {
  const certs::TestCertificate client_ca = certs::CertificateAuthority("client CA");
  Start(backend_cert_, "server_name: backend.test, " + TrustTheCa(), client_ca.cert_pem);
  const Response r = Get("/");
  // Under TLS 1.3 the backend refuses after the proxy's side of the handshake is done, so
  // the refusal arrives as the connection failing under the request (502) rather than as
  // a failed handshake (503); either way nothing reaches the backend.
  EXPECT_TRUE(r.status == 502 || r.status == 503) << r.DebugString();
  EXPECT_EQ(backend_->request_count(), 0u);
  ASSERT_TRUE(front_->WaitForHandshakes(1, seconds(10)));
  EXPECT_FALSE(front_->handshakes()[0].ok);
}

}  // namespace
}  // namespace switchyard::testing
