// The command line and process lifecycle: start-up with --ready_file, several workers,
// refusal of bad configs with a message naming the field, and SIGTERM.
#include <signal.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/substitute.h"
#include "gtest/gtest.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::seconds;

class CliTest : public ProxyTest {};

TEST_F(CliTest, ServesOnTheReadyPortWithSeveralWorkers) {
  TestBackend& b = AddBackend("b");
  ASSERT_TRUE(StartProxy(SingleClusterConfig({b.port()}), {"--workers=2"}));
  EXPECT_NE(proxy_port(), 0);
  std::atomic<int> ok{0};
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        const Response r = Get("/p");
        if (r.ok() && r.status == 200 && r.body == "b") ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(b.request_count(), 80u);
}

TEST_F(CliTest, JsonConfigIsAccepted) {
  TestBackend& b = AddBackend("b");
  ASSERT_TRUE(StartProxy(absl::Substitute(
      R"({"virtual_hosts": [{"name": "v", "domains": ["*"], "routes": [{"name": "r",
          "match": {"prefix": "/"}, "route": {"cluster": "c", "timeout": "2.5s"}}]}],
          "clusters": [{"name": "c", "endpoints": [{"address": "127.0.0.1", "port": $0}]}]})",
      b.port())));
  const Response r = Get("/");
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, "b");
}

TEST_F(CliTest, SigtermStopsTheProxy) {
  TestBackend& b = AddBackend("b");
  ASSERT_TRUE(StartProxy(SingleClusterConfig({b.port()})));
  ASSERT_TRUE(Get("/").ok());
  const ExitStatus st = proxy().TerminateAndWait(seconds(5));
  EXPECT_TRUE(st.exited) << "still running 5s after SIGTERM";
  EXPECT_TRUE(st.code == 0 || st.signal == SIGTERM) << st.DebugString();
  // The port no longer accepts.
  EXPECT_FALSE(Socket::Connect(proxy_port(), seconds(1)).valid());
}

struct BadConfig {
  const char* name;
  std::string yaml;
  // Substrings stderr must contain: the resource and the field.
  std::vector<std::string> must_mention;
};

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

std::string WithCluster(const std::string& cluster_yaml, const std::string& route_yaml =
                                                             "{name: r, match: {prefix: \"/\"}, "
                                                             "route: {cluster: c}}") {
  return "virtual_hosts:\n- {name: vh, domains: [\"*\"], routes: [" + route_yaml +
         "]}\nclusters:\n- " + cluster_yaml + "\n";
}

std::vector<BadConfig> BadConfigs() {
  return {
      {"port_zero",
       WithCluster("{name: c, endpoints: [{address: 127.0.0.1, port: 0}]}"),
       {"clusters[c].endpoints[0].port"}},
      {"port_too_big",
       WithCluster("{name: c, endpoints: [{address: 127.0.0.1, port: 70000}]}"),
       {"clusters[c].endpoints[0].port"}},
      {"second_endpoint_bad_address",
       WithCluster("{name: c, endpoints: [{address: 127.0.0.1, port: 80}, {address: "
                   "not-an-ip, port: 80}]}"),
       {"clusters[c].endpoints[1].address"}},
      {"route_to_missing_cluster",
       WithCluster("{name: c, endpoints: [{address: 127.0.0.1, port: 80}]}",
                   "{name: r, match: {prefix: \"/\"}, route: {cluster: nope}}"),
       {"routes[r]", "cluster"}},
      {"bad_regex",
       WithCluster("{name: c, endpoints: [{address: 127.0.0.1, port: 80}]}",
                   "{name: r, match: {regex: \"/users/(\"}, route: {cluster: c}}"),
       {"routes[r]", "regex"}},
      {"cluster_without_endpoints",
       WithCluster("{name: c, endpoints: []}"),
       {"clusters[c]", "endpoints"}},
  };
}

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, ExitsNonZeroNamingTheField) {
  const BadConfig& c = GetParam();
  const RunResult run = RunProxyExpectingExit(c.yaml, {"--workers=1"}, seconds(10));
  EXPECT_FALSE(run.became_ready) << "the proxy accepted a bad config:\n" << c.yaml;
  EXPECT_TRUE(run.exited_by_itself) << run.status.DebugString();
  EXPECT_NE(run.status.code, 0);
  EXPECT_EQ(run.status.signal, 0) << "crashed instead of exiting";
  for (const std::string& s : c.must_mention) {
    EXPECT_NE(run.stderr_text.find(s), std::string::npos)
        << "stderr does not mention '" << s << "':\n"
        << run.stderr_text;
  }
}

INSTANTIATE_TEST_SUITE_P(Cli, BadConfigTest, ::testing::ValuesIn(BadConfigs()),
                         [](const ::testing::TestParamInfo<BadConfig>& info) {
                           return std::string(info.param.name);
                         });

TEST(CliStartupTest, UnparsableConfigExitsNonZero) {
  const RunResult run = RunProxyExpectingExit("virtual_hosts: [ {name: \n", {}, seconds(10));
  EXPECT_FALSE(run.became_ready);
  EXPECT_TRUE(run.exited_by_itself) << run.status.DebugString();
  EXPECT_NE(run.status.code, 0);
  EXPECT_EQ(run.status.signal, 0);
  EXPECT_FALSE(run.stderr_text.empty());
}

TEST(CliStartupTest, MissingConfigFileExitsNonZero) {
  const RunResult run =
      RunProxyExpectingExit("", {"--config=/nonexistent/switchyard.yaml"}, seconds(10));
  EXPECT_FALSE(run.became_ready);
  EXPECT_TRUE(run.exited_by_itself) << run.status.DebugString();
  EXPECT_NE(run.status.code, 0);
  EXPECT_NE(run.stderr_text.find("/nonexistent/switchyard.yaml"), std::string::npos)
      << run.stderr_text;
}

}  // namespace
}  // namespace switchyard::testing
