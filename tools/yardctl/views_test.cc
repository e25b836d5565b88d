// Output formatting: single values (display.h), snapshot tables (snapshot_view.h) and
// the diff/history/status renderings (admin_view.h).
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "dataplane/tls/testing/test_certificates.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/yardctl/admin_view.h"
#include "tools/yardctl/display.h"
#include "tools/yardctl/snapshot_view.h"

namespace switchyard::yardctl {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

template <typename Message>
Message Parse(const std::string& text) {
  Message message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

google::protobuf::Timestamp At(int64_t seconds) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  return t;
}

constexpr int64_t kNow = 1'800'000'000;  // 2027-01-15 08:00:00 UTC

TEST(DisplayTest, Durations) {
  google::protobuf::Duration d;
  d.set_seconds(1);
  d.set_nanos(500'000'000);
  EXPECT_EQ(FormatDuration(d), "1.5s");
  d.set_seconds(0);
  d.set_nanos(250'000'000);
  EXPECT_EQ(FormatDuration(d), "250ms");
  d.set_seconds(90);
  d.set_nanos(0);
  EXPECT_EQ(FormatDuration(d), "1m30s");
}

TEST(DisplayTest, Times) {
  EXPECT_EQ(FormatTimeForTable(At(kNow)), "2027-01-15 08:00:00Z");
  EXPECT_EQ(FormatTimeForTable(google::protobuf::Timestamp()), "-");
  google::protobuf::Timestamp t = At(kNow);
  t.set_nanos(500'000'000);
  EXPECT_EQ(FormatTimeRfc3339(t), "2027-01-15T08:00:00.5Z");
  EXPECT_EQ(FormatTimeRfc3339(google::protobuf::Timestamp()), "");
}

TEST(DisplayTest, AgesUseAtMostTwoUnits) {
  const absl::Time now = absl::FromUnixSeconds(kNow);
  EXPECT_EQ(FormatAge(At(kNow - 12), now), "12s");
  EXPECT_EQ(FormatAge(At(kNow - 60), now), "1m");
  EXPECT_EQ(FormatAge(At(kNow - 303), now), "5m3s");
  EXPECT_EQ(FormatAge(At(kNow - int64_t{2 * 3600 + 7 * 60 + 12}), now), "2h7m");
  EXPECT_EQ(FormatAge(At(kNow - int64_t{3 * 86400 + 4 * 3600 + 5}), now), "3d4h");
  EXPECT_EQ(FormatAge(At(kNow + 30), now), "0s");  // a proxy's clock ahead of ours
  EXPECT_EQ(FormatAge(google::protobuf::Timestamp(), now), "-");
}

TEST(DisplayTest, Endpoints) {
  EXPECT_EQ(FormatEndpoint(Parse<v1::Endpoint>("address: '10.0.0.5' port: 8080")), "10.0.0.5:8080");
  EXPECT_EQ(FormatEndpoint(Parse<v1::Endpoint>("address: 'fd00::5' port: 80 weight: 3")),
            "[fd00::5]:80*3");
  EXPECT_EQ(FormatEndpoint(Parse<v1::Endpoint>("address: '10.0.0.5' port: 1 weight: 1")),
            "10.0.0.5:1");
}

TEST(SnapshotViewTest, DescribeMatchReadsLikeTheRule) {
  EXPECT_EQ(DescribeMatch(Parse<v1::RouteMatch>("prefix: '/users/'")), "prefix /users/");
  EXPECT_EQ(DescribeMatch(Parse<v1::RouteMatch>("path: '/health' methods: 'GET' methods: 'HEAD'")),
            "path /health [GET,HEAD]");
  EXPECT_EQ(DescribeMatch(Parse<v1::RouteMatch>(R"pb(
              regex: "/orders/[0-9]+"
              headers { name: "x-tenant" exact: "acme" }
              headers { name: "x-v" prefix: "2." }
              headers { name: "x-id" regex: "[a-f]+" invert: true }
              headers { name: "x-canary" present: true }
              headers { name: "x-debug" present: false }
              headers { name: "x-trace" present: false invert: true }
            )pb")),
            "regex /orders/[0-9]+ x-tenant=acme x-v^=2. !x-id~=[a-f]+ x-canary !x-debug x-trace");
  EXPECT_EQ(DescribeMatch(v1::RouteMatch()), "(no path rule)");
}

TEST(SnapshotViewTest, ClustersAndTimeouts) {
  EXPECT_EQ(DescribeClusters(Parse<v1::RouteAction>("cluster: 'blue'")), "blue");
  EXPECT_EQ(DescribeClusters(Parse<v1::RouteAction>(R"pb(
              weighted_clusters {
                clusters { name: "blue" weight: 90 }
                clusters { name: "green" weight: 10 }
              })pb")),
            "blue:90,green:10");
  EXPECT_EQ(DescribeClusters(v1::RouteAction()), "-");
  EXPECT_EQ(DescribeTimeout(v1::RouteAction()), "15s");
  EXPECT_EQ(DescribeTimeout(Parse<v1::RouteAction>("timeout {}")), "none");
  EXPECT_EQ(DescribeTimeout(Parse<v1::RouteAction>("timeout { seconds: 5 }")), "5s");
}

const char kSnapshot[] = R"pb(
  version: 7
  virtual_hosts {
    name: "api"
    domains: "api.example.com"
    domains: "*.api.example.com"
    routes {
      name: "users"
      match { prefix: "/users/" methods: "GET" }
      route {
        cluster: "blue"
        timeout { seconds: 5 }
      }
    }
    routes {
      name: "orders"
      match { regex: "/orders/[0-9]+" }
      route {
        weighted_clusters {
          clusters { name: "blue" weight: 90 }
          clusters { name: "green" weight: 10 }
        }
      }
    }
  }
  virtual_hosts {
    name: "default"
    domains: "*"
    routes {
      name: "all"
      match { prefix: "/" }
      route { cluster: "green" }
    }
  }
  clusters {
    name: "blue"
    endpoints { address: "10.0.0.1" port: 80 weight: 3 }
    endpoints { address: "10.0.0.2" port: 80 }
  }
  clusters {
    name: "green"
    endpoints { address: "::1" port: 8080 }
  }
)pb";

TEST(SnapshotViewTest, Tables) {
  const v1::Snapshot snapshot = Parse<v1::Snapshot>(kSnapshot);
  EXPECT_EQ(VirtualHostTable(snapshot).Render(),
            "NAME     DOMAINS                            ROUTES\n"
            "api      api.example.com,*.api.example.com  2\n"
            "default  *                                  1\n");
  EXPECT_EQ(RouteTable(snapshot).Render(),
            "VHOST    ROUTE   MATCH                 CLUSTER(S)        TIMEOUT\n"
            "api      users   prefix /users/ [GET]  blue              5s\n"
            "api      orders  regex /orders/[0-9]+  blue:90,green:10  15s\n"
            "default  all     prefix /              green             15s\n");
  EXPECT_EQ(ClusterTable(snapshot).Render(),
            "NAME   PROTOCOL  TLS  ENDPOINTS\n"
            "blue   HTTP1     -    10.0.0.1:80*3, 10.0.0.2:80\n"
            "green  HTTP1     -    [::1]:8080\n");
}

TEST(SnapshotViewTest, ClusterTlsIsDescribedAndSkippingVerificationShouted) {
  const v1::Snapshot snapshot = Parse<v1::Snapshot>(R"pb(
    clusters {
      name: "named"
      endpoints { address: "10.0.0.1" port: 443 }
      protocol: HTTP2
      tls { server_name: "api.internal" client_cert_file: "/c.pem" client_key_file: "/c.key" }
    }
    clusters {
      name: "by-ip"
      endpoints { address: "10.0.0.2" port: 443 }
      tls {}
    }
    clusters {
      name: "lab"
      endpoints { address: "10.0.0.3" port: 443 }
      tls { insecure_skip_verify: true }
    }
  )pb");
  EXPECT_EQ(ClusterTable(snapshot).Render(),
            "NAME   PROTOCOL  TLS                                ENDPOINTS\n"
            "named  HTTP2     verify api.internal + client cert  10.0.0.1:443\n"
            "by-ip  HTTP1     verify ip                          10.0.0.2:443\n"
            "lab    HTTP1     INSECURE                           10.0.0.3:443\n");
}

TEST(SnapshotViewTest, Certificates) {
  v1::Snapshot snapshot;
  const tls::testing::TestCertificate cert = tls::testing::SelfSigned(
      {.dns_names = {"api.test"}, .valid_from = absl::Hours(-1), .valid_until = absl::Hours(24)});
  v1::Certificate* api = snapshot.add_certificates();
  api->set_name("api");
  api->add_domains("api.test");
  api->set_cert_pem(cert.cert_pem);
  api->set_key_pem("[redacted]");
  v1::Certificate* files = snapshot.add_certificates();
  files->set_name("partners");
  files->add_domains("partners.test");
  files->add_domains("*.partners.test");
  files->set_cert_file("/etc/tls/partners.pem");
  files->set_key_file("/etc/tls/partners-key.pem");
  files->mutable_client_certificates()->set_mode(v1::ClientCertificates::REQUIRED);
  files->mutable_client_certificates()->set_forward_identity(true);
  const std::string not_after =
      absl::FormatTime("%Y-%m-%d %H:%M:%SZ",
                       absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(24))),
                       absl::UTCTimeZone());
  const std::string table = CertificateTable(snapshot).Render();
  // The expiry is within a second of the one computed here.
  EXPECT_THAT(table, HasSubstr("api (default)  api.test"));
  EXPECT_THAT(table, HasSubstr("inline                 " + not_after.substr(0, 16)));
  EXPECT_THAT(table, HasSubstr("partners       partners.test,*.partners.test  "
                               "/etc/tls/partners.pem  -"));
  EXPECT_THAT(table, HasSubstr("REQUIRED+forward\n"));
  EXPECT_THAT(table, ::testing::Not(HasSubstr("redacted")));
}

TEST(SnapshotViewTest, LongListsAreCut) {
  v1::Snapshot snapshot;
  v1::Cluster* cluster = snapshot.add_clusters();
  cluster->set_name("big");
  for (int i = 1; i <= 10; ++i) {
    v1::Endpoint* endpoint = cluster->add_endpoints();
    endpoint->set_address("10.0.0." + std::to_string(i));
    endpoint->set_port(80);
  }
  EXPECT_THAT(
      ClusterTable(snapshot).Render(),
      HasSubstr(
          "big   HTTP1     -    10.0.0.1:80, 10.0.0.2:80, 10.0.0.3:80, 10.0.0.4:80, 10.0.0.5:80, "
          "10.0.0.6:80 (+4 more)\n"));
}

TEST(SnapshotViewTest, DescribeVersion) {
  v1::VersionInfo info = Parse<v1::VersionInfo>(
      "version: 9 author: 'alice@ops-1' message: 'bad canary' rolled_back_from: 7");
  *info.mutable_created() = At(kNow);
  EXPECT_EQ(DescribeVersion(info),
            "version 9, 2027-01-15 08:00:00Z by alice@ops-1: bad canary (rollback to version 7)");
  EXPECT_EQ(DescribeVersion(Parse<v1::VersionInfo>("version: 1 message: 'a\\nb'")),
            "version 1: a\\nb");
}

TEST(AdminViewTest, Diff) {
  EXPECT_EQ(DiffText(Parse<v1::DiffResponse>("against_version: 7")),
            "no changes against version 7\n");
  EXPECT_EQ(DiffText(Parse<v1::DiffResponse>(R"pb(
              against_version: 7
              changes { kind: ADDED resource_type: "virtual_host" name: "shop" }
              changes { kind: CHANGED resource_type: "cluster" name: "blue" }
              changes { kind: REMOVED resource_type: "cluster" name: "legacy" }
            )pb")),
            "against version 7:\n"
            "  +  virtual_host  shop\n"
            "  ~  cluster       blue\n"
            "  -  cluster       legacy\n"
            "3 changes: 1 added, 1 changed, 1 removed\n");
}

TEST(AdminViewTest, History) {
  v1::HistoryResponse history = Parse<v1::HistoryResponse>(R"pb(
    versions { version: 9 author: "alice@ops-1" message: "bad canary" rolled_back_from: 7 }
    versions { version: 8 author: "deploy@ci" message: "canary 10%" }
  )pb");
  *history.mutable_versions(0)->mutable_created() = At(kNow);
  *history.mutable_versions(1)->mutable_created() = At(kNow - 60);
  EXPECT_EQ(HistoryTable(history),
            "VERSION  CREATED               AUTHOR       MESSAGE\n"
            "9        2027-01-15 08:00:00Z  alice@ops-1  (rollback to 7) bad canary\n"
            "8        2027-01-15 07:59:00Z  deploy@ci    canary 10%\n");
  EXPECT_EQ(HistoryTable(v1::HistoryResponse()), "no versions stored yet\n");

  const nlohmann::json json = nlohmann::json::parse(HistoryJson(history));
  EXPECT_EQ(json["versions"][0]["version"], 9);
  EXPECT_EQ(json["versions"][0]["rolled_back_from"], 7);
  EXPECT_EQ(json["versions"][0]["created"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(json["versions"][1]["author"], "deploy@ci");
  EXPECT_FALSE(json["versions"][1].contains("rolled_back_from"));
}

v1::StatusResponse SampleStatus() {
  v1::StatusResponse status = Parse<v1::StatusResponse>(R"pb(
    current_version: 9
    proxies {
      node_id: "proxy-a"
      group: "edge"
      labels { key: "zone" value: "eu-1" }
      labels { key: "az" value: "b" }
      connected: true
      running_version: 9
    }
    proxies {
      node_id: "proxy-b"
      group: "edge"
      connected: true
      running_version: 8
      last_rejected_version: 9
      last_rejected_error: "clusters[x].endpoints[0].port: must be 1..65535, got 0"
    }
    proxies { node_id: "proxy-c" connected: false running_version: 0 }
  )pb");
  *status.mutable_proxies(0)->mutable_connected_since() = At(kNow - 7260);
  *status.mutable_proxies(0)->mutable_last_seen() = At(kNow - 1);
  *status.mutable_proxies(1)->mutable_connected_since() = At(kNow - 30);
  *status.mutable_proxies(1)->mutable_last_seen() = At(kNow - 2);
  *status.mutable_proxies(2)->mutable_last_seen() = At(kNow - 300);
  return status;
}

TEST(AdminViewTest, StatusMarksProxiesBehindAndShowsRejections) {
  EXPECT_EQ(StatusText(SampleStatus(), absl::FromUnixSeconds(kNow)),
            "current version: 9\n"
            "\n"
            "NODE     GROUP  LABELS          CONNECTED  SINCE  LAST SEEN  VERSION        REJECTED\n"
            "proxy-a  edge   az=b,zone=eu-1  yes        2h1m   1s ago     9              -\n"
            "proxy-b  edge   -               yes        30s    2s ago     8 (behind)     9\n"
            "proxy-c  -      -               no         -      5m ago     none (behind)  -\n"
            "\n"
            "proxy-b rejected version 9: clusters[x].endpoints[0].port: must be 1..65535, got 0\n"
            "\n"
            "2 of 3 proxies are behind the current version 9\n");
}

TEST(AdminViewTest, StatusWhenAllAreCurrentOrNoneConnected) {
  v1::StatusResponse status = SampleStatus();
  status.mutable_proxies()->DeleteSubrange(1, 2);
  EXPECT_THAT(StatusText(status, absl::FromUnixSeconds(kNow)),
              HasSubstr("\nthe proxy runs the current version 9\n"));
  EXPECT_THAT(StatusText(status, absl::FromUnixSeconds(kNow)), Not(HasSubstr("rejected")));
  EXPECT_EQ(
      StatusText(Parse<v1::StatusResponse>("current_version: 3"), absl::FromUnixSeconds(kNow)),
      "current version: 3\nno proxies have connected\n");
}

TEST(AdminViewTest, StatusJson) {
  const nlohmann::json json = nlohmann::json::parse(StatusJson(SampleStatus()));
  EXPECT_EQ(json["current_version"], 9);
  ASSERT_EQ(json["proxies"].size(), 3u);
  EXPECT_EQ(json["proxies"][0]["node_id"], "proxy-a");
  EXPECT_EQ(json["proxies"][0]["labels"]["zone"], "eu-1");
  EXPECT_EQ(json["proxies"][0]["behind"], false);
  EXPECT_EQ(json["proxies"][0]["connected_since"], "2027-01-15T05:59:00Z");
  EXPECT_EQ(json["proxies"][1]["behind"], true);
  EXPECT_EQ(json["proxies"][1]["last_rejected_version"], 9);
  EXPECT_EQ(json["proxies"][2]["connected_since"], nullptr);
}

}  // namespace
}  // namespace switchyard::yardctl
