// yardctl history, rollback and status against a scripted AdminService.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/yardctl/testing/command_test.h"

namespace switchyard::yardctl {
namespace {

using testing::CliResult;
using testing::CommandTest;
using ::testing::HasSubstr;
using testing::Refuse;
using testing::Reply;

v1::HistoryResponse TwoVersions() {
  v1::HistoryResponse history;
  v1::VersionInfo* v2 = history.add_versions();
  v2->set_version(2);
  v2->set_author("bob@ops-2");
  v2->set_message("rollback");
  v2->set_rolled_back_from(1);
  v2->mutable_created()->set_seconds(1'800'000'000);
  v1::VersionInfo* v1 = history.add_versions();
  v1->set_version(1);
  v1->set_author("alice@ops-1");
  v1->set_message("first");
  v1->mutable_created()->set_seconds(1'799'999'000);
  return history;
}

TEST_F(CommandTest, HistoryTableAndLimit) {
  server_.OnHistory(Reply<v1::HistoryRequest>(TwoVersions()));
  CliResult result = Run({"history"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out,
            "VERSION  CREATED               AUTHOR       MESSAGE\n"
            "2        2027-01-15 08:00:00Z  bob@ops-2    (rollback to 1) rollback\n"
            "1        2027-01-15 07:43:20Z  alice@ops-1  first\n");
  EXPECT_EQ(server_.history_requests().at(0).limit(), 0u);

  result = Run({"history", "--limit", "5", "-o", "json"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(server_.history_requests().at(1).limit(), 5u);
  const nlohmann::json json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["versions"][0]["version"], 2);
  EXPECT_EQ(json["versions"][1]["message"], "first");
}

TEST_F(CommandTest, HistoryUsageErrors) {
  for (const char* limit : {"0", "-1", "ten", "4294967296"}) {
    const CliResult result = Run({"history", "--limit", limit});
    EXPECT_EQ(result.code, 2) << limit << "\n" << result.DebugString();
    EXPECT_THAT(result.err, HasSubstr("--limit must be a positive integer"));
  }
  const CliResult result = Run({"history", "-o", "yaml"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("-o must be one of table|json"));
  EXPECT_EQ(server_.total_calls(), 0);
}

TEST_F(CommandTest, RollbackSendsTheVersionAuthorAndMessage) {
  v1::ApplyResponse response;
  response.set_version(10);
  response.set_changed(true);
  server_.OnRollback(Reply<v1::RollbackRequest>(response));
  const CliResult result =
      Run({"rollback", "3", "--message", "canary returns 500s", "--expected-version", "9"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "rolled back: version 10 has the content of version 3\n");
  const v1::RollbackRequest request = server_.rollback_requests().at(0);
  EXPECT_EQ(request.version(), 3u);
  EXPECT_TRUE(request.has_expected_version());
  EXPECT_EQ(request.expected_version(), 9u);
  EXPECT_EQ(request.author(), "tester@testhost");
  EXPECT_EQ(request.message(), "canary returns 500s");
}

TEST_F(CommandTest, RollbackWithoutChange) {
  v1::ApplyResponse response;
  response.set_version(9);
  response.set_changed(false);
  server_.OnRollback(Reply<v1::RollbackRequest>(response));
  const CliResult result = Run({"rollback", "3"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "no change (the current version 9 already has the content of version 3)\n");
  EXPECT_FALSE(server_.rollback_requests().at(0).has_expected_version());
}

TEST_F(CommandTest, RollbackConflict) {
  server_.OnRollback(Refuse<v1::RollbackRequest, v1::ApplyResponse>(
      grpc::StatusCode::FAILED_PRECONDITION, "current version is 11"));
  v1::HistoryResponse history;
  history.add_versions()->set_version(11);
  server_.OnHistory(Reply<v1::HistoryRequest>(history));
  const CliResult result = Run({"rollback", "3", "--expected-version", "9"});
  EXPECT_EQ(result.code, 4) << result.DebugString();
  EXPECT_EQ(result.err,
            "error: the current version is 11, not 9: run `yardctl history` to see what changed "
            "and roll back again with --expected-version 11\n");
}

TEST_F(CommandTest, RollbackToAMissingVersion) {
  server_.OnRollback(Refuse<v1::RollbackRequest, v1::ApplyResponse>(
      grpc::StatusCode::NOT_FOUND, "version 42 does not exist; latest is 9"));
  const CliResult result = Run({"rollback", "42"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_EQ(result.err,
            "error: version 42 does not exist; latest is 9\n"
            "Run `yardctl history` to list the stored versions.\n");
}

TEST_F(CommandTest, RollbackUsageErrors) {
  CliResult result = Run({"rollback"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("missing argument; usage: yardctl rollback VERSION"));
  result = Run({"rollback", "0"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("VERSION must be a stored version (1 or more)"));
  result = Run({"rollback", "v3"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("VERSION must be a version number"));
  result = Run({"rollback", "3", "4"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_EQ(server_.total_calls(), 0);
}

v1::StatusResponse TwoProxies() {
  v1::StatusResponse status;
  status.set_current_version(5);
  v1::ProxyStatus* a = status.add_proxies();
  a->set_node_id("proxy-a");
  a->set_group("edge");
  a->set_connected(true);
  a->set_running_version(5);
  a->mutable_connected_since()->set_seconds(1'800'000'000 - 3600);
  a->mutable_last_seen()->set_seconds(1'800'000'000 - 2);
  v1::ProxyStatus* b = status.add_proxies();
  b->set_node_id("proxy-b");
  b->set_group("edge");
  (*b->mutable_labels())["zone"] = "eu-1";
  b->set_connected(true);
  b->set_running_version(4);
  b->set_last_rejected_version(5);
  b->set_last_rejected_error("cannot load certificate");
  b->mutable_connected_since()->set_seconds(1'800'000'000 - 60);
  b->mutable_last_seen()->set_seconds(1'800'000'000 - 1);
  return status;
}

TEST_F(CommandTest, StatusTable) {
  server_.OnStatus(Reply<v1::StatusRequest>(TwoProxies()));
  const CliResult result = Run({"status"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out,
            "current version: 5\n"
            "\n"
            "NODE     GROUP  LABELS     CONNECTED  SINCE  LAST SEEN  VERSION     REJECTED\n"
            "proxy-a  edge   -          yes        1h     2s ago     5           -\n"
            "proxy-b  edge   zone=eu-1  yes        1m     1s ago     4 (behind)  5\n"
            "\n"
            "proxy-b rejected version 5: cannot load certificate\n"
            "\n"
            "1 of 2 proxies are behind the current version 5\n");
  EXPECT_EQ(server_.status_calls(), 1);
}

TEST_F(CommandTest, StatusJson) {
  server_.OnStatus(Reply<v1::StatusRequest>(TwoProxies()));
  const CliResult result = Run({"status", "-o", "json"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  const nlohmann::json json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["current_version"], 5);
  EXPECT_EQ(json["proxies"][1]["behind"], true);
  EXPECT_EQ(json["proxies"][1]["last_rejected_error"], "cannot load certificate");
}

}  // namespace
}  // namespace switchyard::yardctl
