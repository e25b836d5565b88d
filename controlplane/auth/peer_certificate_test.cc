#include "controlplane/auth/peer_certificate.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchyard::controlplane {
namespace {

using ::testing::HasSubstr;

PeerCertificate ProxyCert(const std::string& node) {
  return {.common_name = node,
          .dns_names = {"proxy.example"},
          .uris = {"https://example/other", "spiffe://switchyard/proxy/" + node}};
}

TEST(CertIdentityRuleTest, TheDefaultTakesTheNodeFromTheSpiffeUri) {
  EXPECT_EQ(*CertIdentityRule::ProxyDefault().Apply(ProxyCert("edge-1")), "edge-1");
  EXPECT_EQ(CertIdentityRule::ProxyDefault().ToString(), "san_uri:spiffe://switchyard/proxy/");
}

TEST(CertIdentityRuleTest, ParsedRulesReadTheirField) {
  EXPECT_EQ(*CertIdentityRule::Parse("cn")->Apply(ProxyCert("edge-1")), "edge-1");
  EXPECT_EQ(*CertIdentityRule::Parse("cn:edge-")->Apply(ProxyCert("edge-1")), "1");
  EXPECT_EQ(*CertIdentityRule::Parse("san_dns")->Apply(ProxyCert("edge-1")), "proxy.example");
  EXPECT_EQ(*CertIdentityRule::Parse("san_uri:https://example/")->Apply(ProxyCert("x")), "other");
}

TEST(CertIdentityRuleTest, ACertificateWithoutAMatchingNameYieldsNone) {
  PeerCertificate operator_cert{.common_name = "alice"};
  absl::StatusOr<std::string> id = CertIdentityRule::ProxyDefault().Apply(operator_cert);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kNotFound);
  // The prefix alone is no name.
  PeerCertificate bare{.uris = {"spiffe://switchyard/proxy/"}};
  EXPECT_FALSE(CertIdentityRule::ProxyDefault().Apply(bare).ok());
  EXPECT_FALSE(CertIdentityRule::Parse("cn")->Apply(PeerCertificate{}).ok());
}

TEST(CertIdentityRuleTest, TwoDifferentNamesAreRefused) {
  PeerCertificate cert{.uris = {"spiffe://switchyard/proxy/a", "spiffe://switchyard/proxy/b"}};
  absl::StatusOr<std::string> id = CertIdentityRule::ProxyDefault().Apply(cert);
  EXPECT_EQ(id.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(id.status().message(), HasSubstr("both 'a' and 'b'"));
}

TEST(CertIdentityRuleTest, UnknownRulesAreRefused) {
  EXPECT_THAT(CertIdentityRule::Parse("subject").status().message(),
              HasSubstr("use cn, san_dns or san_uri"));
  EXPECT_FALSE(CertIdentityRule::Parse("").ok());
}

}  // namespace
}  // namespace switchyard::controlplane
