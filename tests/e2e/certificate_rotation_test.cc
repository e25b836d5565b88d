// A certificate rotated through the control plane (yardctl apply) reaches the proxy's TLS
// listener live: new connections get the new certificate while a connection opened
// before keeps working on the old one. The private key never leaves the control plane in
// clear (yardctl get shows it redacted, and applying that output back changes nothing),
// and an expired certificate is refused by validation with the previous one still served.
#include <string>

#include "dataplane/tls/testing/test_certificates.h"
#include "gtest/gtest.h"
#include "tests/e2e/support/e2e_test.h"
#include "tests/support/tls_client.h"

namespace switchyard::e2e {
namespace {

namespace certs = tls::testing;
using ::switchyard::testing::ServedCommonName;
using ::switchyard::testing::TlsConnection;

class CertificateRotationTest : public E2eTest {
 protected:
  std::string Config(const certs::TestCertificate& cert) {
    return SnapshotYaml({{"all", "prefix: /", "a"}}, {{"a", {backend_->port()}}}) +
           "certificates:\n- name: api\n  domains: [api.test]\n  cert_pem: |\n" +
           IndentLines(cert.chain_pem, 4) + "  key_pem: |\n" + IndentLines(cert.key_pem, 4);
  }
  certs::TestCertificate Issue(const std::string& cn) {
    return certs::IssueCertificate({.common_name = cn, .dns_names = {"api.test"}}, ca_);
  }

  certs::TestCertificate ca_ = certs::CertificateAuthority();
  TestBackend* backend_ = nullptr;
};

TEST_F(CertificateRotationTest, NewConnectionsGetTheNewCertificateOpenOnesKeepWorking) {
  backend_ = &AddBackend("a", [](BackendExchange& ex) { ex.Reply(200, "hello"); });
  ASSERT_TRUE(StartControlPlane());
  const certs::TestCertificate v1 = Issue("v1"), v2 = Issue("v2");
  uint64_t version1 = 0;
  ASSERT_TRUE(Apply(Config(v1), &version1));
  ASSERT_TRUE(StartProxies(1, {"--listen_tls=127.0.0.1:0"}));
  const uint16_t port = proxy(0).tls_port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(ServedCommonName(port, "api.test"), "v1");
  TlsConnection open(port, "api.test");
  ASSERT_TRUE(open.Connected());
  EXPECT_EQ(open.Get("api.test"), 200);

  // The key is shown redacted, and that output applied back is no change at all.
  const CommandResult get = yardctl().Run({"get", "-o", "yaml"});
  ASSERT_EQ(get.exit_code, 0) << get.DebugString();
  EXPECT_NE(get.output.find("[redacted]"), std::string::npos) << get.output;
  EXPECT_EQ(get.output.find("PRIVATE KEY"), std::string::npos) << "the key left in clear";
  const CommandResult again = yardctl().Apply(get.output);
  EXPECT_EQ(again.exit_code, 0) << again.DebugString();
  EXPECT_EQ(Yardctl::AppliedVersion(again), version1)
      << "a redacted round trip stored a new version: " << again.output;

  uint64_t version2 = 0;
  ASSERT_TRUE(Apply(Config(v2), &version2));
  ASSERT_TRUE(WaitForVersion(version2, std::chrono::seconds(20)));
  EXPECT_EQ(version2, version1 + 1);
  EXPECT_EQ(ServedCommonName(port, "api.test"), "v2");
  // The connection from before the swap still works, on its own certificate.
  EXPECT_EQ(open.Get("api.test"), 200);
  EXPECT_EQ(open.PeerCommonName(), "v1");

  // An expired certificate is refused, naming it; v2 keeps serving.
  const CommandResult expired = yardctl().Apply(Config(certs::Expired({"api.test"})));
  EXPECT_NE(expired.exit_code, 0);
  EXPECT_NE(expired.output.find("certificates[api].cert_pem"), std::string::npos) << expired.output;
  EXPECT_EQ(proxy(0).Version(), version2);
  EXPECT_EQ(ServedCommonName(port, "api.test"), "v2");
}

}  // namespace
}  // namespace switchyard::e2e
