// The discovery stream over a real gRPC server, a real SQLite store and real client
// streams (testing::FakeProxy).
#include <memory>
#include <vector>

#include "controlplane/testing/in_process.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "switchyard/config/snapshot_delta.h"

namespace switchyard::controlplane {
namespace {

using testing::FakeProxy;
using ::testing::HasSubstr;
using testing::MakeSnapshot;
using testing::PollUntil;
using testing::TestControlPlane;

class DiscoveryTest : public ::testing::Test {
 protected:
  explicit DiscoveryTest(ControlPlaneOptions options = testing::TestOptions())
      : server_(std::move(options)) {}
  void SetUp() override { ASSERT_TRUE(server_.ok()) << server_.error(); }

  std::unique_ptr<FakeProxy> Connect(const std::string& node_id, uint64_t version) {
    return std::make_unique<FakeProxy>(server_.channel(), node_id, version);
  }
  // Waits until the registry shows `node_id` connected (its first request was handled).
  void WaitConnected(const std::string& node_id) {
    ASSERT_TRUE(PollUntil([&] {
      auto s = server_.ProxyStatusOf(node_id);
      return s.has_value() && s->connected();
    })) << node_id
        << " never showed as connected";
  }
  const DiscoveryCounters& Counters() { return server_.cp().discovery_counters(); }
  switchyard::v1::Snapshot Stored(uint64_t version) {
    auto got = server_.cp().store().Get(version);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? got->snapshot : switchyard::v1::Snapshot();
  }

  TestControlPlane server_;
};

TEST_F(DiscoveryTest, FirstResponseIsTheWholeSnapshot) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(3)), 1u);
  auto proxy = Connect("p1", 0);
  auto response = proxy->Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->version(), 1u);
  EXPECT_FALSE(response->nonce().empty());
  ASSERT_TRUE(response->has_snapshot());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(response->snapshot(), Stored(1)));
  EXPECT_TRUE(proxy->Ack(*response));
  EXPECT_TRUE(proxy->Finish().ok());
}

TEST_F(DiscoveryTest, AckAndDisconnectShowInStatus) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(1)), 1u);
  auto proxy = Connect("p1", 0);
  auto response = proxy->Read();
  ASSERT_TRUE(response.has_value());
  ASSERT_TRUE(proxy->Ack(*response));
  ASSERT_TRUE(PollUntil([&] {
    auto s = server_.ProxyStatusOf("p1");
    return s.has_value() && s->running_version() == 1;
  }));
  auto status = server_.ProxyStatusOf("p1");
  EXPECT_TRUE(status->connected());
  EXPECT_EQ(status->group(), "edge");
  EXPECT_EQ(status->labels().at("zone"), "a");
  EXPECT_EQ(status->build_version(), "test-build");
  EXPECT_GT(status->connected_since().seconds(), 0);
  EXPECT_GE(status->last_seen().seconds(), status->connected_since().seconds());
  EXPECT_EQ(status->last_rejected_version(), 0u);
  EXPECT_EQ(server_.Status().current_version(), 1u);

  ASSERT_TRUE(proxy->Finish().ok());
  ASSERT_TRUE(PollUntil([&] { return !server_.ProxyStatusOf("p1")->connected(); }))
      << "a disconnected proxy is kept, marked disconnected";
  EXPECT_EQ(server_.ProxyStatusOf("p1")->running_version(), 1u);
}

// `yardctl status` showed "LAST SEEN 1m13s ago" for a healthy proxy whose stream was idle.
// An open stream is a live proxy (keepalive would end it otherwise): it is seen now.
TEST_F(DiscoveryTest, IdleConnectedProxyIsSeenNow) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(1)), 1u);
  auto proxy = Connect("p1", 0);
  auto response = proxy->Read();
  ASSERT_TRUE(response.has_value());
  ASSERT_TRUE(proxy->Ack(*response));
  ASSERT_TRUE(PollUntil([&] { return server_.ProxyStatusOf("p1")->running_version() == 1; }));
  absl::SleepFor(absl::Milliseconds(1100));  // the stream stays idle
  const absl::Time asked = absl::Now();
  auto status = server_.ProxyStatusOf("p1");
  ASSERT_TRUE(status.has_value());
  const absl::Time last_seen = absl::FromUnixSeconds(status->last_seen().seconds()) +
                               absl::Nanoseconds(status->last_seen().nanos());
  EXPECT_GE(last_seen, asked) << "last seen " << absl::FormatDuration(asked - last_seen)
                              << " before the question, while connected";
}

// A push reaches every stream, and is encoded once, not once per stream.
TEST_F(DiscoveryTest, NewVersionIsPushedToAllStreamsAndEncodedOnce) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(2)), 1u);
  constexpr int kProxies = 8;
  std::vector<std::unique_ptr<FakeProxy>> proxies;
  for (int i = 0; i < kProxies; ++i) {
    proxies.push_back(Connect("p" + std::to_string(i), 0));
    auto r = proxies.back()->Read();
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->version(), 1u);
    ASSERT_TRUE(proxies.back()->Ack(*r));
  }
  ASSERT_TRUE(PollUntil([&] { return Counters().acks.load() == kProxies; }));
  const uint64_t encodes_before = server_.cp().hub().encode_counters().full.load();
  const uint64_t responses_before = Counters().full_responses.load();

  ASSERT_EQ(server_.Apply(MakeSnapshot(3)), 2u);
  for (auto& p : proxies) {
    auto r = p->Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->version(), 2u);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(r->snapshot(), Stored(2)));
  }
  EXPECT_EQ(Counters().full_responses.load() - responses_before, kProxies);
  EXPECT_EQ(server_.cp().hub().encode_counters().full.load() - encodes_before, 1u)
      << "one encode per version, shared by every stream";
  EXPECT_EQ(server_.cp().hub().encode_counters().delta.load(), 0u) << "small snapshot: no deltas";
}

TEST_F(DiscoveryTest, ReconnectRunningTheCurrentVersionGetsNothing) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(1)), 1u);
  auto proxy = Connect("p1", 1);  // from its disk cache
  WaitConnected("p1");
  EXPECT_EQ(Counters().full_responses.load() + Counters().delta_responses.load(), 0u);
  // The next thing it hears is the next version, so nothing was sent before it.
  ASSERT_EQ(server_.Apply(MakeSnapshot(2)), 2u);
  auto response = proxy->Read();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->version(), 2u);
}

TEST_F(DiscoveryTest, RejectedVersionIsRecordedAndNeverSentToThatNodeAgain) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(1)), 1u);
  auto proxy = Connect("p1", 0);
  auto v1 = proxy->Read();
  ASSERT_TRUE(v1.has_value());
  ASSERT_TRUE(proxy->Ack(*v1));

  ASSERT_EQ(server_.Apply(MakeSnapshot(2)), 2u);
  auto v2 = proxy->Read();
  ASSERT_TRUE(v2.has_value());
  ASSERT_EQ(v2->version(), 2u);
  ASSERT_TRUE(proxy->Nack(*v2, 1, "clusters[c1]: certificate does not load"));
  ASSERT_TRUE(PollUntil([&] { return Counters().nacks.load() == 1; }));
  auto status = server_.ProxyStatusOf("p1");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->running_version(), 1u);
  EXPECT_EQ(status->last_rejected_version(), 2u);
  EXPECT_EQ(status->last_rejected_error(), "clusters[c1]: certificate does not load");

  // Reconnect, still running 1: version 2 is not offered again.
  ASSERT_TRUE(proxy->Finish().ok());
  const uint64_t sent = Counters().full_responses.load();
  proxy = Connect("p1", 1);
  ASSERT_TRUE(PollUntil([&] { return Counters().active_streams.load() == 1; }));
  WaitConnected("p1");
  EXPECT_EQ(Counters().full_responses.load(), sent);

  // Another proxy that did not reject it gets version 2.
  auto other = Connect("p2", 1);
  auto other_v2 = other->Read();
  ASSERT_TRUE(other_v2.has_value());
  EXPECT_EQ(other_v2->version(), 2u);

  // A later version is sent to the proxy that rejected 2.
  ASSERT_EQ(server_.Apply(MakeSnapshot(3)), 3u);
  auto v3 = proxy->Read();
  ASSERT_TRUE(v3.has_value());
  EXPECT_EQ(v3->version(), 3u);
  EXPECT_TRUE(proxy->Ack(*v3));
}

// A NACK is recognised by its error detail, not by the version it reports.
TEST_F(DiscoveryTest, NackIsTheErrorDetailNotTheVersion) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(1)), 1u);
  auto proxy = Connect("p1", 0);
  auto v1 = proxy->Read();
  ASSERT_TRUE(v1.has_value());
  // Reports the offered version yet carries an error: still a rejection.
  ASSERT_TRUE(proxy->Nack(*v1, 1, "refused"));
  ASSERT_TRUE(PollUntil([&] { return Counters().nacks.load() == 1; }));
  EXPECT_EQ(server_.ProxyStatusOf("p1")->last_rejected_version(), 1u);
}

// A NACK's error is kept in memory and in the store for every node: a huge one is cut,
// on a character boundary, so Status still carries valid UTF-8.
TEST_F(DiscoveryTest, LongRejectionErrorIsCut) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(1)), 1u);
  auto proxy = Connect("p1", 0);
  auto v1 = proxy->Read();
  ASSERT_TRUE(v1.has_value());
  std::string error = "x";
  while (error.size() < 100'000) error += "\u00e9";  // two bytes each, starting at an odd offset
  ASSERT_TRUE(proxy->Nack(*v1, 0, error));
  ASSERT_TRUE(PollUntil([&] { return Counters().nacks.load() == 1; }));
  auto status = server_.ProxyStatusOf("p1");  // fails to parse if the cut split a character
  ASSERT_TRUE(status.has_value());
  const std::string& kept = status->last_rejected_error();
  EXPECT_LE(kept.size(), 4096u + 6);
  EXPECT_GT(kept.size(), 4000u);
  EXPECT_EQ(kept.substr(0, 3), "x\u00e9");
  EXPECT_EQ(kept.substr(kept.size() - 6), " [cut]");
  auto stored = server_.cp().store().Rejections("p1");
  ASSERT_TRUE(PollUntil([&] {
    stored = server_.cp().store().Rejections("p1");
    return stored.ok() && stored->size() == 1;
  }));
  EXPECT_EQ((*stored)[0].error, kept);
}

TEST_F(DiscoveryTest, AStreamThatNeverAcksHoldsUpNoOneAndGetsTheLatestLater) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(1)), 1u);
  auto slow = Connect("slow", 0);
  auto fast = Connect("fast", 0);
  auto slow_v1 = slow->Read();
  auto fast_v1 = fast->Read();
  ASSERT_TRUE(slow_v1.has_value() && fast_v1.has_value());
  ASSERT_TRUE(fast->Ack(*fast_v1));  // slow says nothing

  ASSERT_EQ(server_.Apply(MakeSnapshot(2)), 2u);
  auto fast_v2 = fast->Read();
  ASSERT_TRUE(fast_v2.has_value());
  EXPECT_EQ(fast_v2->version(), 2u);
  ASSERT_TRUE(fast->Ack(*fast_v2));
  ASSERT_EQ(server_.Apply(MakeSnapshot(3)), 3u);
  auto fast_v3 = fast->Read();
  ASSERT_TRUE(fast_v3.has_value());
  EXPECT_EQ(fast_v3->version(), 3u);

  // When slow finally answers, it gets the newest version, skipping 2.
  ASSERT_TRUE(slow->Ack(*slow_v1));
  auto slow_next = slow->Read();
  ASSERT_TRUE(slow_next.has_value());
  EXPECT_EQ(slow_next->version(), 3u);
}

TEST_F(DiscoveryTest, StaleNonceIsIgnored) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(1)), 1u);
  auto proxy = Connect("p1", 0);
  auto v1 = proxy->Read();
  ASSERT_TRUE(v1.has_value());
  switchyard::v1::DiscoveryRequest bogus;
  bogus.set_version(1);
  bogus.set_response_nonce("not-a-nonce");
  ASSERT_TRUE(proxy->Send(bogus));
  ASSERT_EQ(server_.Apply(MakeSnapshot(2)), 2u);
  ASSERT_TRUE(proxy->Ack(*v1));
  auto v2 = proxy->Read();
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ(v2->version(), 2u);
  EXPECT_NE(v2->nonce(), v1->nonce());
  EXPECT_EQ(Counters().acks.load(), 1u);
}

TEST_F(DiscoveryTest, FirstRequestWithoutNodeIdEndsTheStream) {
  auto proxy = Connect("", 0);
  EXPECT_FALSE(proxy->Read().has_value());
  const grpc::Status status = proxy->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("node.id"));
}

TEST_F(DiscoveryTest, NothingIsSentBeforeTheFirstApply) {
  auto proxy = Connect("p1", 0);
  WaitConnected("p1");
  ASSERT_EQ(server_.Apply(MakeSnapshot(1)), 1u);
  auto v1 = proxy->Read();
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(v1->version(), 1u);
}

TEST_F(DiscoveryTest, ShutdownEndsStreamsPromptly) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(1)), 1u);
  auto proxy = Connect("p1", 0);
  ASSERT_TRUE(proxy->Read().has_value());
  const absl::Time start = absl::Now();
  server_.cp().Shutdown(absl::Seconds(10));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2)) << "streams were ended, not waited for";
  EXPECT_FALSE(proxy->Read().has_value());
  EXPECT_EQ(proxy->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

class DeltaTest : public DiscoveryTest {
 protected:
  static ControlPlaneOptions Options() {
    ControlPlaneOptions options = testing::TestOptions();
    options.hub.delta_min_resources = 256;
    return options;
  }
  DeltaTest() : DiscoveryTest(Options()) {}
};

TEST_F(DeltaTest, LargeSnapshotGoesAsADeltaAgainstTheAckedVersion) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(300)), 1u);
  auto proxy = Connect("p1", 0);
  auto v1 = proxy->Read();
  ASSERT_TRUE(v1.has_value());
  ASSERT_TRUE(v1->has_snapshot()) << "nothing to diff against: the whole snapshot";
  ASSERT_TRUE(proxy->Ack(*v1));
  switchyard::v1::Snapshot running = v1->snapshot();

  auto next = MakeSnapshot(300);
  next.mutable_clusters()->DeleteSubrange(5, 1);                 // c5 removed
  next.mutable_clusters(10)->mutable_endpoints(0)->set_port(1);  // c11 changed
  auto* added = next.add_clusters();                             // c300 added
  *added = next.clusters(0);
  added->set_name("c300");
  ASSERT_EQ(server_.Apply(next), 2u);

  auto v2 = proxy->Read();
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ(v2->version(), 2u);
  ASSERT_TRUE(v2->has_delta());
  EXPECT_EQ(v2->delta().base_version(), 1u);
  EXPECT_EQ(v2->delta().clusters_size(), 2);
  EXPECT_THAT(v2->delta().removed_clusters(), ::testing::ElementsAre("c5"));
  auto applied = config::ApplyDelta(running, v2->delta(), v2->version());
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*applied, Stored(2)));
  EXPECT_EQ(Counters().delta_responses.load(), 1u);

  // A proxy booting from a cached version 1 also gets the delta; one with nothing the
  // whole snapshot.
  auto cached = Connect("p2", 1);
  auto cached_v2 = cached->Read();
  ASSERT_TRUE(cached_v2.has_value());
  EXPECT_TRUE(cached_v2->has_delta());
  auto fresh = Connect("p3", 0);
  auto fresh_v2 = fresh->Read();
  ASSERT_TRUE(fresh_v2.has_value());
  EXPECT_TRUE(fresh_v2->has_snapshot());
  EXPECT_EQ(server_.cp().hub().encode_counters().delta.load(), 1u) << "one delta, encoded once";
}

TEST_F(DeltaTest, SmallSnapshotGoesWhole) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(10)), 1u);
  auto proxy = Connect("p1", 0);
  auto v1 = proxy->Read();
  ASSERT_TRUE(v1.has_value());
  ASSERT_TRUE(proxy->Ack(*v1));
  ASSERT_EQ(server_.Apply(MakeSnapshot(11)), 2u);
  auto v2 = proxy->Read();
  ASSERT_TRUE(v2.has_value());
  EXPECT_TRUE(v2->has_snapshot());
}

class StreamLimitTest : public DiscoveryTest {
 protected:
  static ControlPlaneOptions Options() {
    ControlPlaneOptions options = testing::TestOptions();
    options.discovery.max_streams = 1;
    return options;
  }
  StreamLimitTest() : DiscoveryTest(Options()) {}
};

TEST_F(StreamLimitTest, StreamsBeyondTheLimitAreRefused) {
  auto first = Connect("p1", 0);
  WaitConnected("p1");
  auto second = Connect("p2", 0);
  EXPECT_FALSE(second->Read().has_value());
  const grpc::Status status = second->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("at most 1"));
}

// Two control planes on one SQLite file: a version applied through one reaches the
// proxies of the other (its store watcher), and their expected-version checks agree.
TEST(SharedStoreTest, VersionsAppliedElsewhereReachThisPlanesProxies) {
  const std::string db = testing::UniqueTempPath("shared.db");
  ControlPlaneOptions options = testing::TestOptions();
  options.store_poll_interval = absl::Milliseconds(20);
  TestControlPlane a(options, db);
  TestControlPlane b(options, db);
  ASSERT_TRUE(a.ok() && b.ok()) << a.error() << b.error();
  auto proxy = std::make_unique<FakeProxy>(b.channel(), "p1", 0);
  ASSERT_EQ(a.Apply(MakeSnapshot(1)), 1u);
  auto v1 = proxy->Read();
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(v1->version(), 1u);

  switchyard::v1::ApplyRequest request;
  *request.mutable_snapshot() = MakeSnapshot(2);
  request.set_expected_version(0);
  switchyard::v1::ApplyResponse response;
  grpc::ClientContext ctx;
  const grpc::Status stale = b.admin().Apply(&ctx, request, &response);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

// docs/architecture.md: the control plane never re-sends a version a proxy rejected. That must hold
// across a restart of the control plane on the same database, so rejections are stored.
TEST(RejectionRestartTest, RejectionSurvivesARestartOnTheSameDatabase) {
  const std::string db = testing::UniqueTempPath("rejections.db");
  {
    TestControlPlane first(testing::TestOptions(), db);
    ASSERT_TRUE(first.ok()) << first.error();
    ASSERT_EQ(first.Apply(MakeSnapshot(1)), 1u);
    FakeProxy proxy(first.channel(), "p1", 0);
    auto v1 = proxy.Read();
    ASSERT_TRUE(v1.has_value());
    ASSERT_TRUE(proxy.Ack(*v1));
    ASSERT_EQ(first.Apply(MakeSnapshot(2)), 2u);
    auto v2 = proxy.Read();
    ASSERT_TRUE(v2.has_value());
    ASSERT_EQ(v2->version(), 2u);
    ASSERT_TRUE(proxy.Nack(*v2, 1, "route table: 7 routes, at most 4"));
    ASSERT_TRUE(PollUntil([&] { return first.cp().discovery_counters().nacks.load() == 1; }));
    ASSERT_TRUE(proxy.Finish().ok());
  }  // shut down right after the NACK: nothing may be lost

  TestControlPlane second(testing::TestOptions(), db);
  ASSERT_TRUE(second.ok()) << second.error();
  ASSERT_EQ(second.cp().hub().CurrentVersion(), 2u);
  FakeProxy proxy(second.channel(), "p1", 1);
  // Status shows the rejection again once the proxy is back.
  std::optional<switchyard::v1::ProxyStatus> status;
  ASSERT_TRUE(PollUntil([&] {
    status = second.ProxyStatusOf("p1");
    return status.has_value() && status->connected() && status->last_rejected_version() == 2;
  })) << "after a restart, status does not show the rejection: "
      << (status.has_value() ? status->DebugString() : "no entry");
  EXPECT_EQ(status->last_rejected_error(), "route table: 7 routes, at most 4");
  EXPECT_EQ(status->running_version(), 1u);

  // A node that did not reject version 2 is offered it; the one that did is not.
  FakeProxy other(second.channel(), "p2", 1);
  auto other_v2 = other.Read();
  ASSERT_TRUE(other_v2.has_value());
  EXPECT_EQ(other_v2->version(), 2u);
  const DiscoveryCounters& counters = second.cp().discovery_counters();
  EXPECT_EQ(counters.full_responses.load() + counters.delta_responses.load(), 1u)
      << "version 2 was sent to p1 again";

  // A later version is offered as usual, and it is the first thing p1 hears.
  ASSERT_EQ(second.Apply(MakeSnapshot(3)), 3u);
  auto v3 = proxy.Read();
  ASSERT_TRUE(v3.has_value());
  EXPECT_EQ(v3->version(), 3u);
  EXPECT_TRUE(proxy.Ack(*v3));
  ASSERT_TRUE(PollUntil([&] { return second.ProxyStatusOf("p1")->running_version() == 3; }));
  EXPECT_EQ(second.ProxyStatusOf("p1")->last_rejected_version(), 2u) << "still shown";
}

// Two control planes on one database: a rejection recorded by one is honoured by the
// other, which was already running (it reads a node's rejections when the node connects,
// not only at start-up).
TEST(RejectionRestartTest, RejectionRecordedByAnotherPlaneOnTheSameDatabaseIsHonoured) {
  const std::string db = testing::UniqueTempPath("shared-rejections.db");
  ControlPlaneOptions options = testing::TestOptions();
  options.store_poll_interval = absl::Milliseconds(20);
  TestControlPlane a(options, db);
  TestControlPlane b(options, db);
  ASSERT_TRUE(a.ok() && b.ok()) << a.error() << b.error();
  ASSERT_EQ(a.Apply(MakeSnapshot(1)), 1u);
  ASSERT_EQ(a.Apply(MakeSnapshot(2)), 2u);
  ASSERT_TRUE(PollUntil([&] { return b.cp().hub().CurrentVersion() == 2; }));
  {
    FakeProxy proxy(a.channel(), "p1", 1);
    auto v2 = proxy.Read();
    ASSERT_TRUE(v2.has_value());
    ASSERT_EQ(v2->version(), 2u);
    ASSERT_TRUE(proxy.Nack(*v2, 1, "refused"));
    ASSERT_TRUE(PollUntil([&] { return a.ProxyStatusOf("p1")->last_rejected_version() == 2; }));
    ASSERT_TRUE(proxy.Finish().ok());
  }
  // a writes the rejection off the stream's thread; once it is in the database, a proxy
  // failing over to b must not be offered version 2 by b.
  ASSERT_TRUE(PollUntil([&] {
    auto stored = b.cp().store().Rejections("p1");
    return stored.ok() && !stored->empty();
  })) << "a never stored the rejection";
  FakeProxy proxy(b.channel(), "p1", 1);
  ASSERT_TRUE(PollUntil([&] {
    auto s = b.ProxyStatusOf("p1");
    return s.has_value() && s->connected() && s->last_rejected_version() == 2;
  })) << "b does not know about the rejection recorded through a";
  ASSERT_EQ(a.Apply(MakeSnapshot(3)), 3u);
  auto v3 = proxy.Read();
  ASSERT_TRUE(v3.has_value());
  EXPECT_EQ(v3->version(), 3u) << "b offered the rejected version 2 first";
}

}  // namespace
}  // namespace switchyard::controlplane
