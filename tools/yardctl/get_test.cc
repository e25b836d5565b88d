// yardctl get against a scripted AdminService.
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "switchyard/config/loader.h"
#include "tools/yardctl/testing/command_test.h"

namespace switchyard::yardctl {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using testing::CliResult;
using testing::CommandTest;
using ::testing::HasSubstr;
using testing::kValidYaml;
using ::testing::Not;
using testing::Refuse;
using testing::Reply;

class GetTest : public CommandTest {
 protected:
  void SetUp() override {
    CommandTest::SetUp();
    v1::GetResponse response;
    response.mutable_info()->set_version(7);
    response.mutable_info()->set_author("alice@ops-1");
    response.mutable_info()->set_message("add orders");
    response.mutable_info()->mutable_created()->set_seconds(1'800'000'000);
    *response.mutable_snapshot() = *config::ParseSnapshot(kValidYaml, "test");
    response.mutable_snapshot()->set_version(7);
    stored_ = response;
    server_.OnGet(Reply<v1::GetRequest>(response));
  }

  v1::GetResponse stored_;
};

TEST_F(GetTest, AllAsTables) {
  const CliResult result = Run({"get"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out,
            "version 7, 2027-01-15 08:00:00Z by alice@ops-1: add orders\n"
            "\n"
            "VIRTUAL HOSTS\n"
            "NAME     DOMAINS          ROUTES\n"
            "api      api.example.com  2\n"
            "default  *                1\n"
            "\n"
            "ROUTES\n"
            "VHOST    ROUTE   MATCH                 CLUSTER(S)        TIMEOUT\n"
            "api      users   prefix /users/ [GET]  blue              5s\n"
            "api      orders  regex /orders/[0-9]+  blue:90,green:10  15s\n"
            "default  all     prefix /              green             15s\n"
            "\n"
            "CLUSTERS\n"
            "NAME   PROTOCOL  TLS  ENDPOINTS\n"
            "blue   HTTP1     -    10.0.0.1:8080*3, 10.0.0.2:8080\n"
            "green  HTTP1     -    [fd00::5]:8080\n");
  ASSERT_EQ(server_.get_requests().size(), 1u);
  EXPECT_EQ(server_.get_requests()[0].version(), 0u);
}

TEST_F(GetTest, OneResourceTypeAtAStoredVersion) {
  const CliResult result = Run({"get", "clusters", "--version", "7"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_THAT(result.out, HasSubstr("CLUSTERS\nNAME   PROTOCOL  TLS  ENDPOINTS\n"));
  EXPECT_THAT(result.out, Not(HasSubstr("ROUTES")));
  EXPECT_EQ(server_.get_requests().at(0).version(), 7u);

  const CliResult routes = Run({"get", "routes"});
  EXPECT_THAT(routes.out, HasSubstr("ROUTES\nVHOST"));
  EXPECT_THAT(routes.out, Not(HasSubstr("CLUSTERS")));
  const CliResult vhosts = Run({"get", "vhosts"});
  EXPECT_THAT(vhosts.out, HasSubstr("VIRTUAL HOSTS\nNAME"));
  EXPECT_THAT(vhosts.out, Not(HasSubstr("\nROUTES\n")));
  // A snapshot without certificates shows none in "all", and says so when asked.
  EXPECT_THAT(Run({"get"}).out, Not(HasSubstr("CERTIFICATES")));
  EXPECT_THAT(Run({"get", "certificates"}).out, HasSubstr("\nCERTIFICATES\n(none)\n"));
}

TEST_F(GetTest, EmptyListsSayNone) {
  v1::GetResponse empty;
  empty.mutable_info()->set_version(1);
  server_.OnGet(Reply<v1::GetRequest>(empty));
  const CliResult result = Run({"get", "routes"});
  EXPECT_EQ(result.code, 0) << result.DebugString();
  EXPECT_EQ(result.out, "version 1\n\nROUTES\n(none)\n");
}

TEST_F(GetTest, YamlAndJsonAreTheWholeSnapshotInTheFileFormat) {
  const CliResult yaml = Run({"get", "-o", "yaml"});
  EXPECT_EQ(yaml.code, 0) << yaml.DebugString();
  EXPECT_EQ(yaml.out, config::SnapshotToYaml(stored_.snapshot()));
  absl::StatusOr<v1::Snapshot> parsed = config::ParseSnapshot(yaml.out, "get -o yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*parsed, stored_.snapshot()));

  const CliResult json = Run({"get", "all", "-o", "json"});
  EXPECT_EQ(json.code, 0) << json.DebugString();
  parsed = config::ParseSnapshot(json.out, "get -o json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*parsed, stored_.snapshot()));
  EXPECT_EQ(nlohmann::json::parse(json.out)["clusters"][0]["name"], "blue");
}

TEST_F(GetTest, FileFormatsRefuseAPartialSnapshot) {
  const CliResult result = Run({"get", "clusters", "-o", "yaml"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("-o yaml and -o json print the whole snapshot"));
  EXPECT_EQ(server_.total_calls(), 0);
}

TEST_F(GetTest, UsageErrors) {
  CliResult result = Run({"get", "listeners"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_THAT(
      result.err,
      HasSubstr(
          "unknown resource \"listeners\": use routes, clusters, vhosts, certificates or all"));
  result = Run({"get", "-o", "xml"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("-o must be one of table|yaml|json, got \"xml\""));
  result = Run({"get", "routes", "clusters"});
  EXPECT_EQ(result.code, 2) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("unexpected argument \"clusters\""));
  EXPECT_EQ(server_.total_calls(), 0);
}

TEST_F(GetTest, NothingStoredYet) {
  server_.OnGet(Refuse<v1::GetRequest, v1::GetResponse>(grpc::StatusCode::NOT_FOUND, ""));
  CliResult result = Run({"get"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_EQ(result.err,
            "error: no version has been stored yet\n"
            "Store one with `yardctl apply -f FILE`.\n");
  result = Run({"get", "--version", "12"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_EQ(result.err,
            "error: version 12 does not exist\n"
            "Run `yardctl history` to list the stored versions.\n");
}

}  // namespace
}  // namespace switchyard::yardctl
