// What ConfigManager installs: the rules that depend on where a snapshot comes from.
#include "dataplane/config/config_manager.h"

#include <string>

#include "absl/strings/str_replace.h"
#include "dataplane/tls/testing/test_certificates.h"
#include "gtest/gtest.h"
#include "proto/switchyard/config/loader.h"

namespace switchyard::config {
namespace {

// `pem` as a YAML block scalar under a key at 2 spaces.
std::string Block(const std::string& pem) {
  return "|\n    " +
         absl::StrReplaceAll(pem.substr(0, pem.find_last_not_of('\n') + 1), {{"\n", "\n    "}}) +
         "\n";
}

v1::Snapshot WithCertificate(const tls::testing::TestCertificate& cert) {
  const std::string yaml =
      "virtual_hosts: [{name: v, domains: ['*'], routes: [{name: r, match: {prefix: /}, "
      "route: {cluster: c}}]}]\n"
      "clusters: [{name: c, endpoints: [{address: 127.0.0.1, port: 9}]}]\n"
      "certificates:\n- name: api\n  domains: [api.test]\n  cert_pem: " +
      Block(cert.chain_pem) + "  key_pem: " + Block(cert.key_pem);
  absl::StatusOr<v1::Snapshot> snapshot = ParseSnapshot(yaml, "test");
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  return snapshot.ok() ? *snapshot : v1::Snapshot();
}

// A certificate that expired while the proxy was down must not stop it from booting on
// the snapshot it served before: everything else in it serves, and the expiry metric
// tells. A snapshot that is new to the proxy gets no such pass.
TEST(ConfigManagerTest, TheCachedSnapshotBootsWithACertificateThatHasExpiredSince) {
  const v1::Snapshot snapshot = WithCertificate(tls::testing::Expired({"api.test"}));
  ConfigManager booting({});
  const absl::Status booted = booting.Install(snapshot, /*from_cache=*/true);
  EXPECT_TRUE(booted.ok()) << booted;
  ASSERT_NE(booting.current(), nullptr);
  EXPECT_NE(booting.current()->certificates(), nullptr);

  ConfigManager fresh({});
  const absl::Status refused = fresh.Install(snapshot);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("certificates[api].cert_pem"), std::string::npos) << refused;
  EXPECT_EQ(fresh.current(), nullptr);
}

}  // namespace
}  // namespace switchyard::config
