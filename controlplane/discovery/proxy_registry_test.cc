#include "controlplane/discovery/proxy_registry.h"

#include "gtest/gtest.h"

namespace switchyard::controlplane {
namespace {

switchyard::v1::Node MakeNode(const std::string& id) {
  switchyard::v1::Node node;
  node.set_id(id);
  node.set_group("edge");
  return node;
}

class ProxyRegistryTest : public ::testing::Test {
 protected:
  ProxyRegistry::Options Options() {
    ProxyRegistry::Options options;
    options.retention = absl::Hours(1);
    options.max_disconnected = 3;
    options.max_rejections = 2;
    options.clock = [this] { return now_; };
    return options;
  }
  absl::Time now_ = absl::FromUnixSeconds(1'000'000);
};

TEST_F(ProxyRegistryTest, ConnectedWhileAnyStreamIsOpen) {
  ProxyRegistry registry(Options());
  registry.Connected(MakeNode("p"), 3);
  registry.Connected(MakeNode("p"), 3);  // a reconnect overlapping the old stream
  registry.Disconnected("p");
  ASSERT_EQ(registry.List().size(), 1u);
  EXPECT_TRUE(registry.List()[0].connected());
  registry.Disconnected("p");
  EXPECT_FALSE(registry.List()[0].connected());
  EXPECT_EQ(registry.List()[0].running_version(), 3u);
}

TEST_F(ProxyRegistryTest, RejectionsAreRememberedPerNodeAndBounded) {
  ProxyRegistry registry(Options());
  registry.Connected(MakeNode("p"), 1);
  registry.Nacked("p", 2, 1, "bad");
  EXPECT_TRUE(registry.HasRejected("p", 2));
  EXPECT_FALSE(registry.HasRejected("q", 2));
  registry.Nacked("p", 3, 1, "bad");
  registry.Nacked("p", 4, 1, "worse");
  EXPECT_FALSE(registry.HasRejected("p", 2)) << "only the newest max_rejections are kept";
  EXPECT_TRUE(registry.HasRejected("p", 4));
  const auto status = registry.List()[0];
  EXPECT_EQ(status.last_rejected_version(), 4u);
  EXPECT_EQ(status.last_rejected_error(), "worse");
  registry.Disconnected("p");
  registry.Connected(MakeNode("p"), 1);
  EXPECT_TRUE(registry.HasRejected("p", 4)) << "survives a reconnect";
}

TEST_F(ProxyRegistryTest, DisconnectedProxiesExpireAndAreBounded) {
  ProxyRegistry registry(Options());
  for (const char* id : {"a", "b", "c", "d", "e"}) {
    registry.Connected(MakeNode(id), 1);
    now_ += absl::Seconds(1);
  }
  for (const char* id : {"a", "b", "c", "d"}) {
    registry.Disconnected(id);
    now_ += absl::Seconds(1);
  }
  auto list = registry.List();
  ASSERT_EQ(list.size(), 4u) << "3 disconnected at most, plus the connected one";
  EXPECT_EQ(list[0].node_id(), "b") << "the oldest disconnected one went first";

  now_ += absl::Minutes(61);
  list = registry.List();
  ASSERT_EQ(list.size(), 1u) << "disconnected longer than the retention";
  EXPECT_EQ(list[0].node_id(), "e");
  EXPECT_TRUE(list[0].connected()) << "connected proxies never expire";
}

Rejection Stored(uint64_t version, const std::string& error, absl::Time at) {
  Rejection r;
  r.node_id = "p";
  r.version = version;
  r.error = error;
  r.time = at;
  return r;
}

// After a restart the registry is empty; what the store kept is handed back when the node
// connects.
TEST_F(ProxyRegistryTest, StoredRejectionsAreRestoredWhenTheNodeConnects) {
  ProxyRegistry registry(Options());
  registry.RestoreRejections("p", {Stored(2, "bad", now_ - absl::Hours(1))});
  EXPECT_TRUE(registry.List().empty()) << "not known yet: nothing to add them to";
  EXPECT_FALSE(registry.HasRejected("p", 2));

  registry.Connected(MakeNode("p"), 1);
  registry.RestoreRejections(
      "p", {Stored(2, "bad", now_ - absl::Hours(1)), Stored(3, "worse", now_ - absl::Minutes(1))});
  EXPECT_TRUE(registry.HasRejected("p", 2));
  EXPECT_TRUE(registry.HasRejected("p", 3));
  EXPECT_FALSE(registry.HasRejected("q", 3));
  const auto status = registry.List()[0];
  EXPECT_EQ(status.last_rejected_version(), 3u);
  EXPECT_EQ(status.last_rejected_error(), "worse");
  EXPECT_EQ(status.running_version(), 1u);
  EXPECT_TRUE(status.connected());
}

// What this control plane saw itself and what the store holds (another replica's, or its
// own writes read back) are merged by time; the newest is the one shown, and only the
// newest max_rejections (2 here) are kept.
TEST_F(ProxyRegistryTest, RestoredRejectionsMergeByTime) {
  ProxyRegistry registry(Options());
  registry.Connected(MakeNode("p"), 1);
  registry.Nacked("p", 5, 1, "seen here");  // at now_
  registry.RestoreRejections("p", {Stored(4, "older", now_ - absl::Minutes(1)),
                                   Stored(5, "stale copy", now_ - absl::Seconds(1))});
  auto status = registry.List()[0];
  EXPECT_EQ(status.last_rejected_version(), 5u);
  EXPECT_EQ(status.last_rejected_error(), "seen here") << "the newer record of 5 wins";
  EXPECT_TRUE(registry.HasRejected("p", 4));

  registry.RestoreRejections("p", {Stored(6, "from another replica", now_ + absl::Seconds(1))});
  status = registry.List()[0];
  EXPECT_EQ(status.last_rejected_version(), 6u);
  EXPECT_EQ(status.last_rejected_error(), "from another replica");
  EXPECT_FALSE(registry.HasRejected("p", 4)) << "the oldest went";
  EXPECT_TRUE(registry.HasRejected("p", 5));
  EXPECT_TRUE(registry.HasRejected("p", 6));

  // Much older ones do not push out newer ones.
  registry.RestoreRejections("p", {Stored(1, "ancient", now_ - absl::Hours(10))});
  EXPECT_FALSE(registry.HasRejected("p", 1));
  EXPECT_EQ(registry.List()[0].last_rejected_version(), 6u);
}

// An open stream is kept alive by gRPC keepalive (it would end otherwise), so a connected
// proxy is seen now, even when its stream has been idle since it last ACKed. A
// disconnected one was last seen when its last stream ended.
TEST_F(ProxyRegistryTest, ConnectedProxyIsSeenNowAndDisconnectedWhenItsStreamEnded) {
  ProxyRegistry registry(Options());
  const absl::Time connected = now_;
  registry.Connected(MakeNode("p"), 1);
  registry.Acked("p", 2);
  now_ += absl::Seconds(73);  // an idle stream: no request for over a minute
  auto list = registry.List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].last_seen().seconds(), absl::ToUnixSeconds(now_));
  EXPECT_EQ(list[0].connected_since().seconds(), absl::ToUnixSeconds(connected));

  const absl::Time ended = now_;
  registry.Disconnected("p");
  now_ += absl::Seconds(30);
  list = registry.List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_FALSE(list[0].connected());
  EXPECT_EQ(list[0].last_seen().seconds(), absl::ToUnixSeconds(ended));
}

}  // namespace
}  // namespace switchyard::controlplane
