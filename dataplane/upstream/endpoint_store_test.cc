#include "dataplane/upstream/endpoint_store.h"

#include <memory>
#include <string>
#include <vector>

#include "dataplane/runtime/runtime_config.h"
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"

namespace switchyard::upstream {
namespace {

std::shared_ptr<const runtime::RuntimeConfig> Compile(const std::string& clusters_yaml) {
  const std::string yaml = R"(
virtual_hosts:
  - name: vh
    domains: ["*"]
    routes: [{name: r, match: {prefix: /}, route: {cluster: app}}]
clusters:
)" + clusters_yaml;
  auto snapshot = config::ParseSnapshot(yaml, "test.yaml");
  EXPECT_TRUE(snapshot.ok()) << snapshot.status();
  auto compiled = runtime::RuntimeConfig::Compile(*snapshot);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *compiled;
}

constexpr char kThreeToOne[] = R"(
  - name: app
    endpoints: [{address: 10.0.0.1, port: 80, weight: 3}, {address: 10.0.0.2, port: 80}]
)";

std::vector<std::string> PickSequence(EndpointStore& store, const runtime::RuntimeConfig& config,
                                      int count) {
  std::vector<std::string> picked;
  const int app = config.FindCluster("app");
  for (int i = 0; i < count; ++i) {
    const EndpointStore::Pick pick = store.Begin(config, static_cast<size_t>(app));
    picked.push_back(config.clusters()[static_cast<size_t>(app)].endpoints[pick.index].authority);
    store.End(pick.state, EndpointOutcome::kSuccess);
  }
  return picked;
}

TEST(EndpointStoreTest, BalancerPositionSurvivesASwapThatKeepsTheCluster) {
  const auto before = Compile(kThreeToOne);
  const auto after = Compile(std::string(kThreeToOne) + R"(
  - name: other
    endpoints: [{address: 10.0.0.9, port: 80}]
)");
  EndpointStore unswapped;
  unswapped.OnConfig(*before);
  const std::vector<std::string> expected = PickSequence(unswapped, *before, 8);

  EndpointStore swapped;
  swapped.OnConfig(*before);
  std::vector<std::string> got = PickSequence(swapped, *before, 3);
  swapped.OnConfig(*after);
  const std::vector<std::string> rest = PickSequence(swapped, *after, 5);
  got.insert(got.end(), rest.begin(), rest.end());
  EXPECT_EQ(got, expected);
}

TEST(EndpointStoreTest, CountersSurviveForEndpointsThatRemainAndGoWithTheRest) {
  const auto before = Compile(kThreeToOne);
  const auto after = Compile(R"(
  - name: app
    endpoints: [{address: 10.0.0.1, port: 80}, {address: 10.0.0.3, port: 80}]
)");
  EndpointStore store;
  store.OnConfig(*before);
  PickSequence(store, *before, 4);  // 3 picks of .1, one of .2
  const std::string kept = before->clusters()[0].endpoints[0].pool_key;
  const std::string removed = before->clusters()[0].endpoints[1].pool_key;
  ASSERT_NE(store.Find("app", kept), nullptr);
  EXPECT_EQ(store.Find("app", kept)->successes, 3u);

  store.OnConfig(*after);
  PickSequence(store, *after, 2);
  ASSERT_NE(store.Find("app", kept), nullptr);
  EXPECT_EQ(store.Find("app", kept)->successes, 4u);
  EXPECT_EQ(store.Find("app", removed), nullptr);
  ASSERT_NE(store.Find("app", after->clusters()[0].endpoints[1].pool_key), nullptr);
}

TEST(EndpointStoreTest, RemovedClustersAreDropped) {
  const auto before = Compile(std::string(kThreeToOne) + R"(
  - name: other
    endpoints: [{address: 10.0.0.9, port: 80}]
)");
  EndpointStore store;
  store.OnConfig(*before);
  store.End(store.Begin(*before, static_cast<size_t>(before->FindCluster("other"))).state,
            EndpointOutcome::kConnectFailed);
  EXPECT_EQ(store.Find("other", before->clusters()[1].endpoints[0].pool_key)->connect_failures, 1u);
  store.OnConfig(*Compile(kThreeToOne));
  EXPECT_EQ(store.Find("other", before->clusters()[1].endpoints[0].pool_key), nullptr);
}

// The bug this store replaces: state cached by the config's address served a new config
// allocated at the same address, and indexed past its endpoints.
TEST(EndpointStoreTest, NewConfigAtAFreedAddressNeverGetsStaleState) {
  EndpointStore store;
  for (int round = 0; round < 50; ++round) {
    {
      const auto wide = Compile(R"(
  - name: app
    endpoints:
      - {address: 10.0.0.1, port: 80}
      - {address: 10.0.0.2, port: 80}
      - {address: 10.0.0.3, port: 80}
      - {address: 10.0.0.4, port: 80}
)");
      store.OnConfig(*wide);
      PickSequence(store, *wide, 3);
    }  // freed: the next config may well be allocated at its address
    const auto narrow = Compile(R"(
  - name: app
    endpoints: [{address: 10.0.0.5, port: 80}]
)");
    store.OnConfig(*narrow);
    for (int i = 0; i < 4; ++i) {
      const EndpointStore::Pick pick = store.Begin(*narrow, 0);
      ASSERT_LT(pick.index, narrow->clusters()[0].endpoints.size());
      store.End(pick.state, EndpointOutcome::kSuccess);
    }
  }
}

TEST(EndpointStoreTest, InFlightAcrossASwapThatRemovesTheEndpoint) {
  const auto before = Compile(kThreeToOne);
  EndpointStore store;
  store.OnConfig(*before);
  const EndpointStore::Pick pick = store.Begin(*before, 0);
  EXPECT_EQ(pick.state->in_flight, 1u);
  const auto after = Compile(R"(
  - name: app
    endpoints: [{address: 10.0.0.7, port: 80}]
)");
  store.OnConfig(*after);
  PickSequence(store, *after, 1);  // syncs the cluster, retiring both old endpoints
  // The request pinned to `before` ends after the swap: its state is still valid.
  store.End(pick.state, EndpointOutcome::kReset);
  EXPECT_EQ(store.Find("app", before->clusters()[0].endpoints[0].pool_key), nullptr);

  // A request still pinned to `before` picks among `before`'s endpoints.
  for (int i = 0; i < 3; ++i) {
    const EndpointStore::Pick old = store.Begin(*before, 0);
    EXPECT_LT(old.index, before->clusters()[0].endpoints.size());
    store.End(old.state, EndpointOutcome::kSuccess);
  }
}

}  // namespace
}  // namespace switchyard::upstream
