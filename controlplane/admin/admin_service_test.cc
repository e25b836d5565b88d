// The admin API over a real gRPC server and a real SQLite file.
#include <chrono>

#include "controlplane/testing/in_process.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace switchyard::controlplane {
namespace {

using switchyard::v1::ResourceChange;
using ::testing::HasSubstr;
using testing::MakeSnapshot;
using ::testing::StartsWith;
using testing::TestControlPlane;

class AdminServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << server_.error(); }

  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }

  grpc::Status Apply(const switchyard::v1::ApplyRequest& request,
                     switchyard::v1::ApplyResponse* response) {
    return server_.admin().Apply(Ctx().get(), request, response);
  }

  grpc::Status Get(uint64_t version, switchyard::v1::GetResponse* response) {
    switchyard::v1::GetRequest request;
    request.set_version(version);
    return server_.admin().Get(Ctx().get(), request, response);
  }

  switchyard::v1::HistoryResponse History(uint32_t limit = 0) {
    switchyard::v1::HistoryRequest request;
    request.set_limit(limit);
    switchyard::v1::HistoryResponse response;
    EXPECT_TRUE(server_.admin().History(Ctx().get(), request, &response).ok());
    return response;
  }

  static switchyard::v1::ApplyRequest ApplyRequestFor(const switchyard::v1::Snapshot& s) {
    switchyard::v1::ApplyRequest request;
    *request.mutable_snapshot() = s;
    request.set_author("alice");
    request.set_message("change");
    return request;
  }

  TestControlPlane server_;
};

bool SameSnapshot(switchyard::v1::Snapshot a, switchyard::v1::Snapshot b) {
  a.clear_version();
  b.clear_version();
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

TEST_F(AdminServiceTest, ApplyStoresAVersionThatGetReturns) {
  auto request = ApplyRequestFor(MakeSnapshot(2));
  request.set_message("first cut");
  switchyard::v1::ApplyResponse applied;
  ASSERT_TRUE(Apply(request, &applied).ok());
  EXPECT_EQ(applied.version(), 1u);
  EXPECT_TRUE(applied.changed());

  switchyard::v1::GetResponse got;
  ASSERT_TRUE(Get(0, &got).ok());
  EXPECT_EQ(got.info().version(), 1u);
  // An insecure control plane keeps the client's claim, marked as unverified.
  EXPECT_THAT(got.info().author(), StartsWith("alice (unverified, ipv4:127.0.0.1:"));
  EXPECT_EQ(got.info().message(), "first cut");
  EXPECT_GT(got.info().created().seconds(), 0);
  EXPECT_EQ(got.info().rolled_back_from(), 0u);
  EXPECT_EQ(got.snapshot().version(), 1u);
  EXPECT_TRUE(SameSnapshot(got.snapshot(), MakeSnapshot(2)));
  EXPECT_EQ(server_.cp().hub().CurrentVersion(), 1u) << "applied versions are published";
}

TEST_F(AdminServiceTest, UnchangedContentMakesNoNewVersion) {
  switchyard::v1::ApplyResponse applied;
  ASSERT_TRUE(Apply(ApplyRequestFor(MakeSnapshot(2)), &applied).ok());
  auto again = ApplyRequestFor(MakeSnapshot(2));
  again.mutable_snapshot()->set_version(77);  // ignored: the store assigns versions
  ASSERT_TRUE(Apply(again, &applied).ok());
  EXPECT_EQ(applied.version(), 1u);
  EXPECT_FALSE(applied.changed());
  EXPECT_EQ(History().versions_size(), 1);
}

TEST_F(AdminServiceTest, DryRunStoresNothing) {
  auto request = ApplyRequestFor(MakeSnapshot(1));
  request.set_dry_run(true);
  switchyard::v1::ApplyResponse applied;
  ASSERT_TRUE(Apply(request, &applied).ok());
  EXPECT_EQ(applied.version(), 1u) << "the version it would get";
  EXPECT_TRUE(applied.changed());
  EXPECT_EQ(History().versions_size(), 0);

  ASSERT_TRUE(Apply(ApplyRequestFor(MakeSnapshot(1)), &applied).ok());
  ASSERT_TRUE(Apply(request, &applied).ok());
  EXPECT_EQ(applied.version(), 1u);
  EXPECT_FALSE(applied.changed());
  request.set_expected_version(0);
  grpc::Status stale = Apply(request, &applied);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "dry runs check too";
}

// A raw gRPC client, not only yardctl, is stopped from taking every route down.
TEST_F(AdminServiceTest, AnEmptyApplyIsRefusedUnlessMassDeleteIsAllowed) {
  switchyard::v1::ApplyResponse applied;
  ASSERT_TRUE(Apply(ApplyRequestFor(MakeSnapshot(2)), &applied).ok());
  switchyard::v1::ApplyRequest empty;  // what `{}` or an empty body becomes
  grpc::Status refused = Apply(empty, &applied);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("--allow-mass-delete"));
  empty.set_dry_run(true);
  EXPECT_EQ(Apply(empty, &applied).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << "a dry run says so too";
  EXPECT_EQ(History().versions_size(), 1);
  EXPECT_EQ(server_.cp().hub().CurrentVersion(), 1u);

  empty.set_dry_run(false);
  empty.set_allow_mass_delete(true);
  ASSERT_TRUE(Apply(empty, &applied).ok());
  EXPECT_EQ(applied.version(), 2u);
}

TEST_F(AdminServiceTest, RollbackThatRemovesMostRoutesNeedsMassDelete) {
  switchyard::v1::ApplyResponse applied;
  auto first = ApplyRequestFor(MakeSnapshot(1));
  ASSERT_TRUE(Apply(first, &applied).ok());
  auto more = ApplyRequestFor(MakeSnapshot(1));
  for (int i = 0; i < 3; ++i) {
    auto* route = more.mutable_snapshot()->mutable_virtual_hosts(0)->add_routes();
    route->set_name("r" + std::to_string(i));
    route->mutable_match()->set_prefix("/r" + std::to_string(i) + "/");
    route->mutable_route()->set_cluster("c0");
  }
  ASSERT_TRUE(Apply(more, &applied).ok()) << "adding routes is never limited";
  switchyard::v1::RollbackRequest rollback;
  rollback.set_version(1);  // 4 routes back to 1
  grpc::Status refused = server_.admin().Rollback(Ctx().get(), rollback, &applied);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("removes 3 of the current version's 4 routes"));
  rollback.set_allow_mass_delete(true);
  ASSERT_TRUE(server_.admin().Rollback(Ctx().get(), rollback, &applied).ok());
  EXPECT_EQ(applied.version(), 3u);
}

TEST_F(AdminServiceTest, ExpectedVersionConflict) {
  switchyard::v1::ApplyResponse applied;
  ASSERT_TRUE(Apply(ApplyRequestFor(MakeSnapshot(1)), &applied).ok());
  ASSERT_TRUE(Apply(ApplyRequestFor(MakeSnapshot(2)), &applied).ok());
  auto request = ApplyRequestFor(MakeSnapshot(3));
  request.set_expected_version(1);
  const grpc::Status conflict = Apply(request, &applied);
  EXPECT_EQ(conflict.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(conflict.error_message(),
            "current version is 2, you expected 1: run `yardctl diff` and retry");
  EXPECT_EQ(History().versions_size(), 2);

  request.set_expected_version(2);
  ASSERT_TRUE(Apply(request, &applied).ok());
  EXPECT_EQ(applied.version(), 3u);
}

TEST_F(AdminServiceTest, InvalidSnapshotIsRefusedNamingTheField) {
  auto snapshot = MakeSnapshot(2);
  snapshot.mutable_clusters(1)->mutable_endpoints(0)->set_port(0);
  snapshot.mutable_virtual_hosts(0)->mutable_routes(0)->mutable_route()->set_cluster("nope");
  switchyard::v1::ApplyResponse applied;
  const grpc::Status refused = Apply(ApplyRequestFor(snapshot), &applied);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("clusters[c1].endpoints[0].port"));
  EXPECT_THAT(refused.error_message(), HasSubstr("virtual_hosts[api].routes[all]"));
  switchyard::v1::GetResponse got;
  EXPECT_EQ(Get(0, &got).error_code(), grpc::StatusCode::NOT_FOUND) << "nothing was stored";
}

TEST_F(AdminServiceTest, GetNotFoundSaysWhatExists) {
  switchyard::v1::GetResponse got;
  grpc::Status empty = Get(0, &got);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(empty.error_message(), "no version has been stored yet");

  ASSERT_NE(server_.Apply(MakeSnapshot(1)), 0u);
  grpc::Status missing = Get(99, &got);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_message(), "version 99 does not exist; latest is 1");
}

TEST_F(AdminServiceTest, ValidateListsEveryError) {
  switchyard::v1::ValidateRequest request;
  *request.mutable_snapshot() = MakeSnapshot(2);
  switchyard::v1::ValidateResponse response;
  ASSERT_TRUE(server_.admin().Validate(Ctx().get(), request, &response).ok());
  EXPECT_EQ(response.errors_size(), 0);

  request.mutable_snapshot()->mutable_clusters(0)->mutable_endpoints(0)->set_address("nowhere");
  request.mutable_snapshot()->mutable_clusters(1)->set_name("c0");
  ASSERT_TRUE(server_.admin().Validate(Ctx().get(), request, &response).ok());
  ASSERT_GE(response.errors_size(), 2);
  EXPECT_THAT(response.errors(0), HasSubstr("clusters[c0].endpoints[0].address"));
  EXPECT_EQ(History().versions_size(), 0);
}

TEST_F(AdminServiceTest, DiffAgainstCurrentAndOlderVersions) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(3)), 1u);        // c0 c1 c2
  ASSERT_EQ(server_.Apply(MakeSnapshot(2, 9000)), 2u);  // c0 c1, new ports

  auto candidate = MakeSnapshot(4, 9000);  // c0 c1 same, c2 c3 added
  auto* vh = candidate.add_virtual_hosts();
  vh->set_name("admin");
  vh->add_domains("admin.example.com");
  switchyard::v1::DiffRequest request;
  *request.mutable_snapshot() = candidate;
  switchyard::v1::DiffResponse diff;
  ASSERT_TRUE(server_.admin().Diff(Ctx().get(), request, &diff).ok());
  EXPECT_EQ(diff.against_version(), 2u);
  ASSERT_EQ(diff.changes_size(), 3);
  EXPECT_EQ(diff.changes(0).resource_type(), "virtual_host");
  EXPECT_EQ(diff.changes(0).name(), "admin");
  EXPECT_EQ(diff.changes(0).kind(), ResourceChange::ADDED);
  EXPECT_EQ(diff.changes(1).resource_type(), "cluster");
  EXPECT_EQ(diff.changes(1).name(), "c2");
  EXPECT_EQ(diff.changes(1).kind(), ResourceChange::ADDED);
  EXPECT_EQ(diff.changes(2).name(), "c3");

  request.set_against_version(1);
  *request.mutable_snapshot() = MakeSnapshot(2, 8000);  // c0 c1 as in v1, c2 removed
  ASSERT_TRUE(server_.admin().Diff(Ctx().get(), request, &diff).ok());
  EXPECT_EQ(diff.against_version(), 1u);
  ASSERT_EQ(diff.changes_size(), 1);
  EXPECT_EQ(diff.changes(0).name(), "c2");
  EXPECT_EQ(diff.changes(0).kind(), ResourceChange::REMOVED);

  *request.mutable_snapshot() = MakeSnapshot(3, 9000);  // every port differs from v1
  ASSERT_TRUE(server_.admin().Diff(Ctx().get(), request, &diff).ok());
  ASSERT_EQ(diff.changes_size(), 3);
  for (const auto& c : diff.changes()) EXPECT_EQ(c.kind(), ResourceChange::CHANGED) << c.name();

  request.set_against_version(42);
  grpc::Status missing = server_.admin().Diff(Ctx().get(), request, &diff);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_message(), "version 42 does not exist; latest is 2");
}

TEST_F(AdminServiceTest, DiffListsConsumersAndAuthPolicies) {
  auto base = MakeSnapshot(1);
  base.add_consumers()->set_name("acme");
  ASSERT_EQ(server_.Apply(base), 1u);
  auto candidate = base;
  candidate.mutable_consumers(0)->add_groups("partners");
  auto* policy = candidate.add_auth_policies();
  policy->set_name("partners-only");
  policy->add_rules()->mutable_allow()->add_groups("partners");
  switchyard::v1::DiffRequest request;
  *request.mutable_snapshot() = candidate;
  switchyard::v1::DiffResponse diff;
  ASSERT_TRUE(server_.admin().Diff(Ctx().get(), request, &diff).ok());
  ASSERT_EQ(diff.changes_size(), 2);
  EXPECT_EQ(diff.changes(0).resource_type(), "consumer");
  EXPECT_EQ(diff.changes(0).name(), "acme");
  EXPECT_EQ(diff.changes(0).kind(), ResourceChange::CHANGED);
  EXPECT_EQ(diff.changes(1).resource_type(), "auth_policy");
  EXPECT_EQ(diff.changes(1).name(), "partners-only");
  EXPECT_EQ(diff.changes(1).kind(), ResourceChange::ADDED);
}

TEST_F(AdminServiceTest, DiffWithNothingStoredAddsEverything) {
  switchyard::v1::DiffRequest request;
  *request.mutable_snapshot() = MakeSnapshot(1);
  switchyard::v1::DiffResponse diff;
  ASSERT_TRUE(server_.admin().Diff(Ctx().get(), request, &diff).ok());
  EXPECT_EQ(diff.against_version(), 0u);
  EXPECT_EQ(diff.changes_size(), 2);
}

TEST_F(AdminServiceTest, HistoryNewestFirstWithLimit) {
  for (int i = 1; i <= 4; ++i) {
    ASSERT_EQ(server_.Apply(MakeSnapshot(i), "v" + std::to_string(i)), i);
  }
  const auto all = History();
  ASSERT_EQ(all.versions_size(), 4);
  EXPECT_EQ(all.versions(0).version(), 4u);
  EXPECT_EQ(all.versions(0).message(), "v4");
  EXPECT_EQ(all.versions(3).version(), 1u);
  const auto two = History(2);
  ASSERT_EQ(two.versions_size(), 2);
  EXPECT_EQ(two.versions(1).version(), 3u);
}

TEST_F(AdminServiceTest, RollbackMakesANewVersionWithOldContent) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(1)), 1u);
  ASSERT_EQ(server_.Apply(MakeSnapshot(3)), 2u);
  switchyard::v1::RollbackRequest request;
  request.set_version(1);
  request.set_author("bob");
  switchyard::v1::ApplyResponse rolled;
  ASSERT_TRUE(server_.admin().Rollback(Ctx().get(), request, &rolled).ok());
  EXPECT_EQ(rolled.version(), 3u);
  EXPECT_TRUE(rolled.changed());

  switchyard::v1::GetResponse got;
  ASSERT_TRUE(Get(3, &got).ok());
  EXPECT_EQ(got.info().rolled_back_from(), 1u);
  EXPECT_THAT(got.info().author(), StartsWith("bob (unverified, "));
  EXPECT_EQ(got.info().message(), "rollback to version 1");
  EXPECT_TRUE(SameSnapshot(got.snapshot(), MakeSnapshot(1)));
  EXPECT_EQ(History(1).versions(0).rolled_back_from(), 1u);
  EXPECT_EQ(server_.cp().hub().CurrentVersion(), 3u);

  // Rolling back to what is already current changes nothing.
  ASSERT_TRUE(server_.admin().Rollback(Ctx().get(), request, &rolled).ok());
  EXPECT_FALSE(rolled.changed());
  EXPECT_EQ(rolled.version(), 3u);

  request.set_version(99);
  grpc::Status missing = server_.admin().Rollback(Ctx().get(), request, &rolled);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(missing.error_message(), "version 99 does not exist; latest is 3");

  request.set_version(2);
  request.set_expected_version(2);
  grpc::Status stale = server_.admin().Rollback(Ctx().get(), request, &rolled);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(stale.error_message(),
            "current version is 3, you expected 2: run `yardctl diff` and retry");
}

TEST_F(AdminServiceTest, StatusWithoutProxies) {
  ASSERT_EQ(server_.Apply(MakeSnapshot(1)), 1u);
  const auto status = server_.Status();
  EXPECT_EQ(status.current_version(), 1u);
  EXPECT_EQ(status.proxies_size(), 0);
}

TEST_F(AdminServiceTest, WithoutAClaimTheAuthorIsTheUnauthenticatedPeer) {
  auto request = ApplyRequestFor(MakeSnapshot(1));
  request.clear_author();
  switchyard::v1::ApplyResponse applied;
  ASSERT_TRUE(Apply(request, &applied).ok());
  switchyard::v1::GetResponse got;
  ASSERT_TRUE(Get(1, &got).ok());
  EXPECT_THAT(got.info().author(), StartsWith("unauthenticated (ipv4:127.0.0.1:"));
}

// History and the current version survive a restart on the same file.
TEST(AdminServiceRestartTest, VersionsSurviveARestart) {
  const std::string db = testing::UniqueTempPath("restart.db");
  {
    TestControlPlane first(testing::TestOptions(), db);
    ASSERT_TRUE(first.ok()) << first.error();
    ASSERT_EQ(first.Apply(MakeSnapshot(1)), 1u);
    ASSERT_EQ(first.Apply(MakeSnapshot(2)), 2u);
  }
  TestControlPlane second(testing::TestOptions(), db);
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_EQ(second.cp().hub().CurrentVersion(), 2u) << "published at start-up";
  EXPECT_EQ(second.Status().current_version(), 2u);
  EXPECT_EQ(second.Apply(MakeSnapshot(3)), 3u);
}

}  // namespace
}  // namespace switchyard::controlplane
