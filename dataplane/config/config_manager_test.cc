// What ConfigManager installs: the rules that depend on where a snapshot comes from.
#include "dataplane/config/config_manager.h"

#include <chrono>
#include <string>
#include <thread>

#include "dataplane/auth/jwks_fetcher.h"
#include "dataplane/auth/testing/test_tokens.h"
#include "dataplane/tls/testing/test_certificates.h"
#include "gtest/gtest.h"
#include "proto/switchyard/config/loader.h"
#include "tests/support/test_backend.h"

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

// A snapshot whose policy takes JWT keys from a URL is served with the keys fetched
// (docs/auth.md, "Keys from a URL"); one that no longer names the source stops its
// fetching.
TEST(ConfigManagerTest, JwksSourcesAreFetchedBeforeServingAndForgottenAfter) {
  const std::string jwks = auth::testing::Jwks({auth::testing::MakeKey("ES256", "k")});
  testing::TestBackend provider("idp", [&jwks](testing::BackendExchange& ex) {
    ex.Reply(200, jwks, {{"content-type", "application/json"}});
  });
  auth::JwksFetcher fetcher;
  ConfigManager manager({.jwks_fetcher = &fetcher});
  const std::string routes =
      "virtual_hosts: [{name: v, domains: ['*'], routes: [{name: r, match: {prefix: /}, "
      "route: {cluster: c}}]}]\n"
      "clusters:\n"
      "  - {name: c, endpoints: [{address: 127.0.0.1, port: 9}]}\n"
      "  - {name: idp, endpoints: [{address: 127.0.0.1, port: " +
      std::to_string(provider.port()) + "}]}\n";
  absl::StatusOr<v1::Snapshot> with_source = ParseSnapshot(
      routes +
          "auth_policies: [{name: jwt, jwt: {issuer: https://id.example.com, remote_jwks: "
          "{cluster: idp, path: /jwks.json, refresh_interval: 1s}}}]\n",
      "with");
  ASSERT_TRUE(with_source.ok()) << with_source.status();
  ASSERT_TRUE(manager.Install(*with_source, Source::kFile).ok());
  ASSERT_EQ(manager.current()->auth().remote_key_sets().size(), 1u);
  EXPECT_NE(manager.current()->auth().remote_key_sets()[0]->keys(), nullptr);

  absl::StatusOr<v1::Snapshot> without = ParseSnapshot(routes, "without");
  ASSERT_TRUE(without.ok()) << without.status();
  ASSERT_TRUE(manager.Install(*without, Source::kFile).ok());
  const size_t fetches = provider.request_count();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past a refresh_interval
  EXPECT_EQ(provider.request_count(), fetches);
}

}  // namespace
}  // namespace switchyard::config
