// The discovery stream of a TLS control plane, attacked as a peer on the network would:
// no certificate, another node's certificate, an operator's certificate, guessed nonces;
// and certificates rotated on both sides while proxies stay connected.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "controlplane/testing/in_process.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/test_pki.h"

namespace switchyard::controlplane {
namespace {

using ::switchyard::testing::TestPki;
using testing::FakeProxy;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::TestControlPlane;
using testing::TlsChannel;

bool CopyFile(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to + ".tmp", std::ios::binary | std::ios::trunc);
  out << in.rdbuf();
  out.close();
  return in.good() || in.eof() ? ::rename((to + ".tmp").c_str(), to.c_str()) == 0 : false;
}

class SecureDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(
        pki_.Make({"--proxy", "edge-1", "--proxy", "edge-2", "--operator", "alice"}, &error))
        << error;
    ControlPlaneOptions options = testing::TestOptions();
    TlsSettings tls;
    tls.files = {.ca = pki_.Path("ca.pem"),
                 .cert = pki_.Path("control-plane.pem"),
                 .key = pki_.Path("control-plane-key.pem")};
    tls.reload_interval = absl::Seconds(1);
    options.tls = tls;
    // Operators' authentication is not this suite's subject: the admin stub presents an
    // operator's certificate.
    options.auth.cert_roles = {{"alice", Role::kAdmin}};
    TlsSettings admin;
    admin.files = {.ca = pki_.Path("ca.pem"),
                   .cert = pki_.Path("operator-alice.pem"),
                   .key = pki_.Path("operator-alice-key.pem")};
    cp_ = std::make_unique<TestControlPlane>(
        options, testing::UniqueTempPath("cp.db"),
        testing::TestClientAuth{.credentials = ChannelTlsCredentials(admin)});
    ASSERT_TRUE(cp_->ok()) << cp_->error();
    target_ = cp_->target();
  }

  std::shared_ptr<grpc::Channel> ProxyChannel(const std::string& node) {
    return TlsChannel(target_, pki_.Path("ca.pem"), pki_.Path("proxy-" + node + ".pem"),
                      pki_.Path("proxy-" + node + "-key.pem"));
  }

  // The node is connected as seen by the control plane's registry.
  bool Connected(const std::string& node) {
    for (const auto& p : cp_->cp().registry().List()) {
      if (p.node_id() == node) return p.connected();
    }
    return false;
  }

  TestPki pki_;
  std::unique_ptr<TestControlPlane> cp_;
  std::string target_;
};

TEST_F(SecureDiscoveryTest, AProxyWithItsOwnCertificateIsServedAndAcks) {
  const uint64_t version = cp_->Apply(testing::MakeSnapshot(1));
  FakeProxy proxy(ProxyChannel("edge-1"), "edge-1", 0);
  std::optional<v1::DiscoveryResponse> offered = proxy.Read();
  ASSERT_TRUE(offered.has_value());
  EXPECT_EQ(offered->version(), version);
  ASSERT_TRUE(proxy.Ack(*offered));
  ASSERT_TRUE(testing::PollUntil([&] {
    std::optional<v1::ProxyStatus> status = cp_->ProxyStatusOf("edge-1");
    return status.has_value() && status->connected() && status->running_version() == version;
  }));
  EXPECT_EQ(proxy.Finish().error_code(), grpc::StatusCode::OK);
}

TEST_F(SecureDiscoveryTest, AStreamWithoutACertificateIsUnauthenticated) {
  FakeProxy proxy(TlsChannel(target_, pki_.Path("ca.pem")), "edge-1", 0);
  const grpc::Status status = proxy.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  EXPECT_FALSE(Connected("edge-1"));
}

TEST_F(SecureDiscoveryTest, AnotherNodesCertificateCannotClaimThisNode) {
  FakeProxy spoof(ProxyChannel("edge-2"), "edge-1", 0);
  const grpc::Status status = spoof.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("'edge-2'"));
  EXPECT_FALSE(Connected("edge-1"));
}

TEST_F(SecureDiscoveryTest, AnOperatorCertificateIsNoProxy) {
  FakeProxy proxy(TlsChannel(target_, pki_.Path("ca.pem"), pki_.Path("operator-alice.pem"),
                             pki_.Path("operator-alice-key.pem")),
                  "alice", 0);
  const grpc::Status status = proxy.Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("not a proxy's"));
}

TEST_F(SecureDiscoveryTest, PlaintextAndForeignCasAreRefusedAtTheHandshake) {
  FakeProxy plaintext(grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()), "edge-1",
                      0);
  EXPECT_EQ(plaintext.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  TestPki other;
  std::string error;
  ASSERT_TRUE(other.Make({"--proxy", "edge-1"}, &error)) << error;
  // A proxy trusting another CA does not trust this control plane...
  FakeProxy wrong_ca(TlsChannel(target_, other.Path("ca.pem"), other.Path("proxy-edge-1.pem"),
                                other.Path("proxy-edge-1-key.pem")),
                     "edge-1", 0);
  EXPECT_EQ(wrong_ca.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  // ...and a certificate from another CA is refused by the control plane.
  FakeProxy foreign(TlsChannel(target_, pki_.Path("ca.pem"), other.Path("proxy-edge-1.pem"),
                               other.Path("proxy-edge-1-key.pem")),
                    "edge-1", 0);
  EXPECT_EQ(foreign.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_FALSE(Connected("edge-1"));
}

TEST_F(SecureDiscoveryTest, AServerCertificateForAnotherHostIsRefused) {
  // The certificate covers localhost, 127.0.0.1 and ::1; this name is none of them.
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("control.example");
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  TlsSettings settings;
  settings.files = {.ca = pki_.Path("ca.pem"),
                    .cert = pki_.Path("proxy-edge-1.pem"),
                    .key = pki_.Path("proxy-edge-1-key.pem")};
  FakeProxy proxy(grpc::CreateCustomChannel(target_, ChannelTlsCredentials(settings), args),
                  "edge-1", 0);
  EXPECT_EQ(proxy.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(SecureDiscoveryTest, NoncesAreUnguessableAndCountOnlyOnTheirStream) {
  ASSERT_GT(cp_->Apply(testing::MakeSnapshot(1)), 0u);
  FakeProxy victim(ProxyChannel("edge-1"), "edge-1", 0);
  std::optional<v1::DiscoveryResponse> offered = victim.Read();
  ASSERT_TRUE(offered.has_value());
  EXPECT_THAT(offered->nonce(), MatchesRegex("[0-9a-f]{32}"));

  // Another proxy, with a valid certificate of its own, answers with the victim's nonce
  // and with the nonces the old scheme (<stream>-<n>) would have used.
  FakeProxy attacker(ProxyChannel("edge-2"), "edge-2", 0);
  std::optional<v1::DiscoveryResponse> own = attacker.Read();
  ASSERT_TRUE(own.has_value());
  for (const std::string& nonce : {offered->nonce(), std::string("1-1"), std::string("2-1")}) {
    v1::DiscoveryRequest nack;
    nack.set_response_nonce(nonce);
    nack.mutable_error_detail()->set_message("forged rejection");
    ASSERT_TRUE(attacker.Send(nack));
  }
  ASSERT_TRUE(victim.Ack(*offered));
  ASSERT_TRUE(testing::PollUntil([&] {
    std::optional<v1::ProxyStatus> status = cp_->ProxyStatusOf("edge-1");
    return status.has_value() && status->running_version() == offered->version();
  }));
  EXPECT_FALSE(cp_->cp().registry().HasRejected("edge-1", offered->version()));
  EXPECT_FALSE(cp_->cp().registry().HasRejected("edge-2", offered->version()));
}

TEST_F(SecureDiscoveryTest, CertificatesRotateOnBothSidesWhileProxiesStayConnected) {
  ASSERT_GT(cp_->Apply(testing::MakeSnapshot(1)), 0u);
  FakeProxy before(ProxyChannel("edge-1"), "edge-1", 0);
  std::optional<v1::DiscoveryResponse> first = before.Read();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(before.Ack(*first));

  // A new CA takes over: the control plane trusts both (a bundle), and both its own
  // certificate and the proxies' are issued by the new one.
  TestPki next;
  std::string error;
  ASSERT_TRUE(next.Make({"--proxy", "edge-1"}, &error)) << error;
  const std::string old_ca = pki_.Path("old-ca.pem");
  ASSERT_TRUE(CopyFile(pki_.Path("ca.pem"), old_ca));
  const std::string bundle = pki_.Path("bundle.pem");
  {
    std::ofstream out(bundle + ".tmp");
    out << switchyard::testing::ReadFile(pki_.Path("ca.pem"))
        << switchyard::testing::ReadFile(next.Path("ca.pem"));
  }
  ASSERT_EQ(::rename((bundle + ".tmp").c_str(), pki_.Path("ca.pem").c_str()), 0);
  ASSERT_TRUE(CopyFile(next.Path("control-plane-key.pem"), pki_.Path("control-plane-key.pem")));
  ASSERT_TRUE(CopyFile(next.Path("control-plane.pem"), pki_.Path("control-plane.pem")));

  // New connections see the new certificate once the watcher has read it: a client that
  // trusts only the new CA gets in with a certificate from it.
  std::optional<v1::DiscoveryResponse> rotated;
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        FakeProxy after(TlsChannel(target_, next.Path("ca.pem"), next.Path("proxy-edge-1.pem"),
                                   next.Path("proxy-edge-1-key.pem")),
                        "edge-1", 0);
        rotated = after.Read();
        return rotated.has_value();
      },
      std::chrono::seconds(20)));
  // The stream set up before the rotation is still up and still gets new versions.
  const uint64_t second = cp_->Apply(testing::MakeSnapshot(2));
  std::optional<v1::DiscoveryResponse> pushed = before.Read();
  ASSERT_TRUE(pushed.has_value());
  EXPECT_EQ(pushed->version(), second);
  // A client that trusts only the old CA no longer accepts the control plane.
  FakeProxy stale(
      TlsChannel(target_, old_ca, pki_.Path("proxy-edge-1.pem"), pki_.Path("proxy-edge-1-key.pem")),
      "edge-1", 0);
  EXPECT_EQ(stale.Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace switchyard::controlplane
