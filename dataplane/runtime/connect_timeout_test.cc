// A cluster's connect_timeout as the proxy compiles it: whole milliseconds rounded up
// (switchyard/config/duration.h), so a sub-millisecond timeout never becomes 0.
#include <chrono>
#include <string>

#include "dataplane/runtime/runtime_config.h"
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"

namespace switchyard::runtime {
namespace {

using std::chrono::milliseconds;

// The compiled connect_timeout of a one-cluster snapshot; `timeout` is YAML ("" for none).
milliseconds CompiledConnectTimeout(const std::string& timeout) {
  const std::string yaml =
      "virtual_hosts: [{name: vh, domains: ['*'], routes: [{name: r, match: {prefix: /}, "
      "route: {cluster: c}}]}]\n"
      "clusters: [{name: c, endpoints: [{address: 127.0.0.1, port: 80}]" +
      (timeout.empty() ? "" : ", connect_timeout: " + timeout) + "}]\n";
  auto snapshot = config::ParseSnapshot(yaml, "test.yaml");
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  if (!snapshot.ok()) return milliseconds(-1);
  auto compiled = RuntimeConfig::Compile(*snapshot);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  if (!compiled.ok()) return milliseconds(-1);
  return (*compiled)->clusters().at(0).connect_timeout;
}

TEST(ConnectTimeoutTest, SubMillisecondRoundsUpToOneMillisecond) {
  EXPECT_EQ(CompiledConnectTimeout("0.0005s"), milliseconds(1));
  EXPECT_EQ(CompiledConnectTimeout("0.000000001s"), milliseconds(1));
}

TEST(ConnectTimeoutTest, FractionsRoundUp) {
  EXPECT_EQ(CompiledConnectTimeout("0.25s"), milliseconds(250));
  EXPECT_EQ(CompiledConnectTimeout("1.0001s"), milliseconds(1001));
}

TEST(ConnectTimeoutTest, DefaultIsOneSecond) {
  EXPECT_EQ(CompiledConnectTimeout(""), milliseconds(1000));
}

}  // namespace
}  // namespace switchyard::runtime
