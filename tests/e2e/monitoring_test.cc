// deploy/prometheus against live programs: every series the alert rules and the Grafana
// dashboard query is one that a running proxy or control plane exports, so a renamed
// metric cannot silently empty a panel or disarm an alert.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_split.h"
#include "dataplane/tls/testing/test_certificates.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/support/e2e_test.h"
#include "tests/support/child_process.h"
#include "tests/support/metrics_page.h"

namespace switchyard::e2e {
namespace {

std::string ReadRunfile(const std::string& path) {
  std::ifstream in(RunfilePath(path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every switchyard_* name in `text`, a histogram's _bucket/_sum/_count reduced to its
// family when that family exists.
std::set<std::string> NamesUsed(const std::string& text, const std::set<std::string>& families) {
  std::set<std::string> used;
  const std::regex name(R"(\bswitchyard_[a-z0-9_]+)");
  for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
    std::string n = it->str();
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0 &&
          families.contains(n.substr(0, n.size() - s.size()))) {
        n = n.substr(0, n.size() - s.size());
      }
    }
    used.insert(n);
  }
  return used;
}

using ::switchyard::testing::MetricFamilies;

class MonitoringTest : public E2eTest {};

TEST_F(MonitoringTest, EveryAlertAndDashboardSeriesIsExported) {
  TestBackend& a = AddBackend("a");
  ASSERT_TRUE(StartControlPlane());
  // A certificate, so that the TLS series (its expiry) are exported too.
  const tls::testing::TestCertificate cert = tls::testing::SelfSigned({"app.test"});
  std::string certificate_yaml = "certificates:\n- name: app\n  domains: [app.test]\n";
  for (const auto& [field, pem] :
       {std::pair{"cert_pem", cert.chain_pem}, {"key_pem", cert.key_pem}}) {
    certificate_yaml += std::string("  ") + field + ": |\n";
    for (const absl::string_view line : absl::StrSplit(pem, '\n', absl::SkipEmpty())) {
      certificate_yaml += "    " + std::string(line) + "\n";
    }
  }
  ASSERT_TRUE(
      Apply(SnapshotYaml({{"app", "prefix: /app/", "a"}}, {{"a", {a.port()}}}) + certificate_yaml));
  ASSERT_TRUE(StartProxies(1, {"--listen_tls=127.0.0.1:0"}));
  EXPECT_EQ(proxy(0).Get("/app/x").status, 200);
  EXPECT_EQ(proxy(0).Get("/elsewhere").status, 404);  // a local reply

  const Response proxy_metrics = HttpGet(proxy(0).admin_port(), "/metrics", "admin");
  ASSERT_EQ(proxy_metrics.status, 200) << Summary(proxy_metrics);
  const Response control_metrics = HttpGet(control().metrics_port(), "/metrics", "admin");
  ASSERT_EQ(control_metrics.status, 200) << Summary(control_metrics);
  std::set<std::string> exported = MetricFamilies(proxy_metrics.body);
  const std::set<std::string> control_families = MetricFamilies(control_metrics.body);
  exported.insert(control_families.begin(), control_families.end());
  ASSERT_GT(exported.size(), 20u);

  const nlohmann::json dashboard =
      nlohmann::json::parse(ReadRunfile("deploy/prometheus/dashboard.json"));
  std::string queries;
  for (const auto& panel : dashboard["panels"]) {
    for (const auto& target : panel["targets"]) queries += target["expr"].get<std::string>() + "\n";
  }
  const std::set<std::string> dashboard_names = NamesUsed(queries, exported);
  EXPECT_GT(dashboard_names.size(), 15u);
  for (const std::string& name : dashboard_names) {
    EXPECT_TRUE(exported.contains(name))
        << "the dashboard queries " << name << ", which no program exports";
  }
  const std::set<std::string> alert_names =
      NamesUsed(ReadRunfile("deploy/prometheus/alerts.yml"), exported);
  EXPECT_GE(alert_names.size(), 4u);
  for (const std::string& name : alert_names) {
    EXPECT_TRUE(exported.contains(name))
        << "an alert rule uses " << name << ", which no program exports";
  }
}

}  // namespace
}  // namespace switchyard::e2e
