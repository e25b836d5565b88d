// What ConfigManager installs: the rules that depend on where a snapshot comes from.
#include "dataplane/config/config_manager.h"

#include <string>

#include "dataplane/tls/testing/test_certificates.h"
#include "gtest/gtest.h"
#include "proto/switchyard/config/loader.h"

namespace switchyard::config {
namespace {

v1::Snapshot WithCertificate(const tls::testing::TestCertificate& cert) {
  absl::StatusOr<v1::Snapshot> snapshot = ParseSnapshot(
      "virtual_hosts: [{name: v, domains: ['*'], routes: [{name: r, match: {prefix: /}, "
      "route: {cluster: c}}]}]\n"
      "clusters: [{name: c, endpoints: [{address: 127.0.0.1, port: 9}]}]\n",
      "test");
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  if (!snapshot.ok()) return v1::Snapshot();
  v1::Certificate& certificate = *snapshot->add_certificates();
  certificate.set_name("api");
  certificate.add_domains("api.test");
  certificate.set_cert_pem(cert.chain_pem);
  certificate.set_key_pem(cert.key_pem);
  return *snapshot;
}

using Source = ConfigManager::Source;

// A certificate that expired while the proxy was down must not stop it from booting on
// the snapshot it served before: everything else in it serves, and the expiry metric
// tells.
TEST(ConfigManagerTest, TheCachedSnapshotBootsWithACertificateThatHasExpiredSince) {
  ConfigManager booting({});
  const absl::Status booted =
      booting.Install(WithCertificate(tls::testing::Expired({"api.test"})), Source::kCache);
  EXPECT_TRUE(booted.ok()) << booted;
  ASSERT_NE(booting.current(), nullptr);
  EXPECT_NE(booting.current()->certificates(), nullptr);
}

// A proxy that joins (or restarts without a cache) while an applied certificate has
// expired: the control plane judged the inline one already, and let it through as
// applied before it expired, so the proxy serves the snapshot too.
TEST(ConfigManagerTest, AnInlineCertificateTheControlPlaneLetThroughIsNotJudgedAgain) {
  ConfigManager joining({});
  const absl::Status joined =
      joining.Install(WithCertificate(tls::testing::Expired({"api.test"})), Source::kControlPlane);
  EXPECT_TRUE(joined.ok()) << joined;
  EXPECT_NE(joining.current(), nullptr);
}

// What no one judged before is judged here: --config's certificates, and files (which the
// control plane cannot read) whatever the source.
TEST(ConfigManagerTest, ExpiredCertificatesNewToTheProxyAreRefused) {
  ConfigManager fresh({});
  const absl::Status refused =
      fresh.Install(WithCertificate(tls::testing::Expired({"api.test"})), Source::kFile);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("certificates[api].cert_pem"), std::string::npos) << refused;
  EXPECT_EQ(fresh.current(), nullptr);

  const std::string dir = tls::testing::MakeTempDir();
  const tls::testing::TestCertificate expired = tls::testing::Expired({"api.test"});
  ASSERT_TRUE(tls::testing::WriteFile(dir + "/cert.pem", expired.chain_pem).ok());
  ASSERT_TRUE(tls::testing::WriteFile(dir + "/key.pem", expired.key_pem).ok());
  v1::Snapshot with_files = WithCertificate(expired);
  v1::Certificate& certificate = *with_files.mutable_certificates(0);
  certificate.clear_cert_pem();
  certificate.clear_key_pem();
  certificate.set_cert_file(dir + "/cert.pem");
  certificate.set_key_file(dir + "/key.pem");
  const absl::Status from_files = fresh.Install(with_files, Source::kControlPlane);
  EXPECT_FALSE(from_files.ok());
  EXPECT_NE(from_files.message().find("certificates[api].cert_file"), std::string::npos)
      << from_files;
}

}  // namespace
}  // namespace switchyard::config
