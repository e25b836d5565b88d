// yardctl apply and diff against a scripted AdminService: the requests they build, what
// they print, and how each answer maps to an exit code.
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"
#include "tools/yardctl/testing/command_test.h"

namespace switchyard::yardctl {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using testing::CliResult;
using testing::CommandTest;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::kValidYaml;
using testing::Refuse;
using testing::Reply;
using ::testing::StartsWith;
using testing::WriteTempFile;

v1::ApplyResponse Applied(uint64_t version, bool changed) {
  v1::ApplyResponse response;
  response.set_version(version);
  response.set_changed(changed);
  return response;
}

v1::HistoryResponse CurrentIs(uint64_t version) {
  v1::HistoryResponse history;
  history.add_versions()->set_version(version);
  return history;
}

class ApplyTest : public CommandTest {
 protected:
  std::string path_ = WriteTempFile("snapshot.yaml", kValidYaml);
};

TEST_F(ApplyTest, SendsTheFileAuthorAndMessage) {
  server_.OnApply(Reply<v1::ApplyRequest>(Applied(8, true)));
  const CliResult result = Run({"apply", "-f", path_, "--message", "add orders"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "applied: version 8\n");
  EXPECT_EQ(result.err, "");

  const std::vector<v1::ApplyRequest> requests = server_.apply_requests();
  ASSERT_EQ(requests.size(), 1u);
  const v1::ApplyRequest& request = requests[0];
  EXPECT_TRUE(MessageDifferencer::Equals(request.snapshot(),
                                         *config::ParseSnapshot(kValidYaml, "expected")));
  EXPECT_FALSE(request.has_expected_version());
  EXPECT_FALSE(request.dry_run());
  EXPECT_EQ(request.author(), "tester@testhost");
  EXPECT_EQ(request.message(), "add orders");
}

TEST_F(ApplyTest, ExpectedVersionDryRunAndAuthorFlags) {
  server_.OnApply(Reply<v1::ApplyRequest>(Applied(8, true)));
  const CliResult result =
      Run({"apply", "-f", path_, "--dry-run", "--expected-version", "7", "--author", "deploy-bot"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "dry run: valid; would be stored as version 8 (nothing was stored)\n");
  const v1::ApplyRequest request = server_.apply_requests().at(0);
  EXPECT_TRUE(request.has_expected_version());
  EXPECT_EQ(request.expected_version(), 7u);
  EXPECT_TRUE(request.dry_run());
  EXPECT_EQ(request.author(), "deploy-bot");
}

TEST_F(ApplyTest, ExpectedVersionZeroIsSent) {
  // 0 means "only if nothing is stored yet"; it must not be dropped as a default.
  server_.OnApply(Reply<v1::ApplyRequest>(Applied(1, true)));
  ASSERT_EQ(Run({"apply", "-f", path_, "--expected-version=0"}).code, 0);
  const v1::ApplyRequest request = server_.apply_requests().at(0);
  EXPECT_TRUE(request.has_expected_version());
  EXPECT_EQ(request.expected_version(), 0u);
}

TEST_F(ApplyTest, TheFileVersionFieldIsNotSent) {
  const std::string exported =
      WriteTempFile("exported.yaml", std::string("version: 42\n") + kValidYaml);
  server_.OnApply(Reply<v1::ApplyRequest>(Applied(43, true)));
  ASSERT_EQ(Run({"apply", "-f", exported}).code, 0);
  EXPECT_EQ(server_.apply_requests().at(0).snapshot().version(), 0u);
}

TEST_F(ApplyTest, NoChange) {
  server_.OnApply(Reply<v1::ApplyRequest>(Applied(7, false)));
  CliResult result = Run({"apply", "-f", path_});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "no change (version 7 already has this content)\n");
  result = Run({"apply", "-f", path_, "--dry-run"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "dry run: no change (version 7 already has this content)\n");
}

TEST_F(ApplyTest, InvalidFileIsNeverSent) {
  const std::string bad = WriteTempFile("bad.yaml", R"yaml(virtual_hosts:
  - name: api
    domains: ["*"]
    routes: [{name: r, match: {prefix: /}, route: {cluster: missing}}]
clusters: []
)yaml");
  const CliResult result = Run({"apply", "-f", bad});
  EXPECT_EQ(result.code, 3) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("virtual_hosts[api].routes[r].route.cluster"));
  EXPECT_THAT(result.err, HasSubstr("Nothing was sent to the control plane."));
  EXPECT_EQ(server_.total_calls(), 0);
}

TEST_F(ApplyTest, ServerRefusingTheSnapshotIsInvalidInput) {
  server_.OnApply(Refuse<v1::ApplyRequest, v1::ApplyResponse>(
      grpc::StatusCode::INVALID_ARGUMENT, "clusters[blue].endpoints[0]: certificate expired"));
  const CliResult result = Run({"apply", "-f", path_});
  EXPECT_EQ(result.code, 3) << result.DebugString();
  EXPECT_EQ(result.err,
            "error: the control plane refused the request: clusters[blue].endpoints[0]: "
            "certificate expired\n");
}

TEST_F(ApplyTest, ConflictNamesTheCurrentVersionAndTheNextStep) {
  server_.OnApply(Refuse<v1::ApplyRequest, v1::ApplyResponse>(grpc::StatusCode::FAILED_PRECONDITION,
                                                              "expected version 7, current is 8"));
  server_.OnHistory(Reply<v1::HistoryRequest>(CurrentIs(8)));
  const CliResult result = Run({"apply", "-f", path_, "--expected-version", "7"});
  EXPECT_EQ(result.code, 4) << result.DebugString();
  EXPECT_EQ(result.err, "error: the current version is 8, not 7: run `yardctl diff -f " + path_ +
                            "` and apply again with --expected-version 8\n");
  ASSERT_EQ(server_.history_requests().size(), 1u);
  EXPECT_EQ(server_.history_requests()[0].limit(), 1u);
}

TEST_F(ApplyTest, ConflictWhenTheCurrentVersionCannotBeLearned) {
  server_.OnApply(Refuse<v1::ApplyRequest, v1::ApplyResponse>(grpc::StatusCode::ABORTED,
                                                              "lost a race with another apply"));
  const CliResult result = Run({"apply", "-f", path_, "--expected-version", "7"});
  EXPECT_EQ(result.code, 4) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("error: the control plane refused the change: lost a race"));
  EXPECT_THAT(result.err, HasSubstr("apply again with --expected-version set to the current "
                                    "version (`yardctl history --limit 1`)"));
}

TEST_F(ApplyTest, BadExpectedVersionIsAUsageError) {
  const CliResult result = Run({"apply", "-f", path_, "--expected-version", "seven"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("--expected-version must be a version number"));
  EXPECT_EQ(server_.total_calls(), 0);
}

class DiffTest : public ApplyTest {};

TEST_F(DiffTest, SendsTheSnapshotAndPrintsChanges) {
  v1::DiffResponse diff;
  diff.set_against_version(7);
  v1::ResourceChange* change = diff.add_changes();
  change->set_kind(v1::ResourceChange::ADDED);
  change->set_resource_type("virtual_host");
  change->set_name("shop");
  server_.OnDiff(Reply<v1::DiffRequest>(diff));

  const CliResult result = Run({"diff", "-f", path_});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out,
            "against version 7:\n"
            "  +  virtual_host  shop\n"
            "1 change: 1 added, 0 changed, 0 removed\n");
  const v1::DiffRequest request = server_.diff_requests().at(0);
  EXPECT_EQ(request.against_version(), 0u);
  EXPECT_TRUE(MessageDifferencer::Equals(request.snapshot(),
                                         *config::ParseSnapshot(kValidYaml, "expected")));
}

TEST_F(DiffTest, AgainstAStoredVersion) {
  v1::DiffResponse diff;
  diff.set_against_version(3);
  server_.OnDiff(Reply<v1::DiffRequest>(diff));
  const CliResult result = Run({"diff", "-f", path_, "--against", "3"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "no changes against version 3\n");
  EXPECT_EQ(server_.diff_requests().at(0).against_version(), 3u);
}

TEST_F(DiffTest, UnknownVersion) {
  server_.OnDiff(Refuse<v1::DiffRequest, v1::DiffResponse>(
      grpc::StatusCode::NOT_FOUND, "version 99 does not exist; latest is 8"));
  CliResult result = Run({"diff", "-f", path_, "--against", "99"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_EQ(result.err,
            "error: version 99 does not exist; latest is 8\n"
            "Run `yardctl history` to list the stored versions.\n");

  // A server that says nothing still gets a message that names the version.
  server_.OnDiff(Refuse<v1::DiffRequest, v1::DiffResponse>(grpc::StatusCode::NOT_FOUND, ""));
  result = Run({"diff", "-f", path_, "--against", "99"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_THAT(result.err, StartsWith("error: version 99 does not exist\n"));
}

TEST_F(DiffTest, InvalidFileIsNeverSent) {
  const std::string bad = WriteTempFile("bad.yaml", "clusters: [{name: c, endpoints: []}]\n");
  const CliResult result = Run({"diff", "-f", bad});
  EXPECT_EQ(result.code, 3) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("clusters[c].endpoints"));
  EXPECT_EQ(server_.total_calls(), 0);
  EXPECT_THAT(result.out, IsEmpty());
}

}  // namespace
}  // namespace switchyard::yardctl
