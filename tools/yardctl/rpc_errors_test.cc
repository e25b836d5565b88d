// How yardctl reports what can go wrong on the wire: every status code's exit code, an
// unreachable or silent server (exit 5), and a slow one.
#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/yardctl/testing/command_test.h"
#include "tools/yardctl/testing/reserved_port.h"

namespace switchyard::yardctl {
namespace {

using testing::CliOptions;
using testing::CliResult;
using testing::CommandTest;
using testing::Handler;
using ::testing::HasSubstr;
using testing::Refuse;
using testing::ReservedPort;
using testing::RunCli;
using ::testing::StartsWith;

TEST_F(CommandTest, EveryStatusCodeMapsToItsExitCode) {
  struct Case {
    grpc::StatusCode code;
    int exit;
  };
  const Case cases[] = {
      {grpc::StatusCode::CANCELLED, 1},
      {grpc::StatusCode::UNKNOWN, 1},
      {grpc::StatusCode::INVALID_ARGUMENT, 3},
      {grpc::StatusCode::NOT_FOUND, 1},
      {grpc::StatusCode::ALREADY_EXISTS, 1},
      {grpc::StatusCode::PERMISSION_DENIED, 6},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, 1},
      {grpc::StatusCode::FAILED_PRECONDITION, 4},
      {grpc::StatusCode::ABORTED, 4},
      {grpc::StatusCode::OUT_OF_RANGE, 1},
      {grpc::StatusCode::UNIMPLEMENTED, 1},
      {grpc::StatusCode::INTERNAL, 1},
      {grpc::StatusCode::UNAVAILABLE, 5},
      {grpc::StatusCode::DATA_LOSS, 1},
      {grpc::StatusCode::UNAUTHENTICATED, 6},
  };
  for (const Case& c : cases) {
    server_.OnStatus(Refuse<v1::StatusRequest, v1::StatusResponse>(c.code, "scripted failure"));
    const CliResult result = Run({"status"});
    EXPECT_EQ(result.code, c.exit) << "grpc code " << c.code << "\n" << result.DebugString();
    EXPECT_EQ(result.out, "");
    EXPECT_THAT(result.err, StartsWith("error: "));
    EXPECT_THAT(result.err, HasSubstr("scripted failure"));
  }
}

TEST_F(CommandTest, OtherErrorsNameTheCode) {
  server_.OnStatus(Refuse<v1::StatusRequest, v1::StatusResponse>(grpc::StatusCode::INTERNAL,
                                                                 "store is read-only"));
  const CliResult result = Run({"status"});
  EXPECT_EQ(result.err, "error: the control plane answered INTERNAL: store is read-only\n");
}

TEST_F(CommandTest, UnimplementedPointsAtTheWrongServer) {
  // The fake answers UNIMPLEMENTED for methods the test did not script.
  const CliResult result = Run({"history"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("does not implement this admin call"));
  EXPECT_THAT(result.err, HasSubstr("Is --server pointing at switchyard-control's admin port"));
}

TEST_F(CommandTest, UnavailableFromTheServerItselfIsNotCalledUnreachable) {
  server_.OnStatus(Refuse<v1::StatusRequest, v1::StatusResponse>(grpc::StatusCode::UNAVAILABLE,
                                                                 "store: database is locked"));
  const CliResult result = Run({"status"});
  EXPECT_EQ(result.code, 5) << result.DebugString();
  EXPECT_EQ(result.err, "error: the control plane at " + server_.address() +
                            " (from --server) is unavailable: store: database is locked\n"
                            "It answered but cannot serve the request now (its store may be "
                            "down): retry later, or check the control plane's logs.\n");
}

TEST(ConnectionFailureTest, IsMarkedApartFromOtherUnavailableStatuses) {
  const absl::Status failure = ConnectionFailure("connection refused");
  EXPECT_EQ(failure.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(failure.message(), "connection refused");
  EXPECT_TRUE(IsConnectionFailure(failure));
  EXPECT_FALSE(IsConnectionFailure(absl::UnavailableError("connection refused")));
  EXPECT_FALSE(IsConnectionFailure(absl::OkStatus()));
}

// The connection is up when the deadline passes, so this is not exit 5.
TEST_F(CommandTest, SlowServerIsNotUnreachable) {
  server_.OnStatus([](const v1::StatusRequest&, v1::StatusResponse*) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return grpc::Status::OK;
  });
  const CliResult result = Run({"status", "--timeout", "300ms"});
  EXPECT_EQ(result.code, 1) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("did not answer within 300ms"));
  EXPECT_THAT(result.err, HasSubstr("Retry with a longer --timeout"));
}

TEST(UnreachableTest, RefusedConnectionFailsFastWithTheAddressAndHowToChangeIt) {
  ReservedPort port(/*listening=*/false);
  ASSERT_TRUE(port.Bound());
  const auto start = std::chrono::steady_clock::now();
  const CliResult result = RunCli({"status", "--server", port.Address(), "--timeout", "20s"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(result.code, 5) << result.DebugString();
  EXPECT_THAT(result.err, StartsWith("error: cannot reach the control plane at " + port.Address() +
                                     " (from --server): "));
  EXPECT_THAT(result.err, HasSubstr("--server HOST:PORT or the YARDCTL_SERVER environment"));
}

TEST(UnreachableTest, SaysWhereTheAddressCameFrom) {
  ReservedPort port(/*listening=*/false);
  ASSERT_TRUE(port.Bound());
  CliOptions options;
  options.env["YARDCTL_SERVER"] = port.Address();
  CliResult result = RunCli({"history"}, options);
  EXPECT_EQ(result.code, 5) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("at " + port.Address() + " (from YARDCTL_SERVER)"));

  // Every command that talks to the server reports it the same way.
  const std::string file = testing::WriteTempFile("ok.yaml", testing::kValidYaml);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"apply", "-f", file}, {"diff", "-f", file}, {"get"}, {"rollback", "1"}, {"status"}}) {
    result = RunCli(args, options);
    EXPECT_EQ(result.code, 5) << args[0] << "\n" << result.DebugString();
  }
}

// A client whose every call fails as if nothing listened at the address.
class NothingListens final : public AdminClient {
 public:
  absl::StatusOr<v1::ApplyResponse> Apply(const v1::ApplyRequest&) override { return Refused(); }
  absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest&) override { return Refused(); }
  absl::StatusOr<v1::DiffResponse> Diff(const v1::DiffRequest&) override { return Refused(); }
  absl::StatusOr<v1::HistoryResponse> History(const v1::HistoryRequest&) override {
    return Refused();
  }
  absl::StatusOr<v1::ApplyResponse> Rollback(const v1::RollbackRequest&) override {
    return Refused();
  }
  absl::StatusOr<v1::StatusResponse> Status(const v1::StatusRequest&) override { return Refused(); }
  absl::StatusOr<v1::CreateTokenResponse> CreateToken(const v1::CreateTokenRequest&) override {
    return Refused();
  }
  absl::StatusOr<v1::ListTokensResponse> ListTokens(const v1::ListTokensRequest&) override {
    return Refused();
  }
  absl::StatusOr<v1::RevokeTokenResponse> RevokeToken(const v1::RevokeTokenRequest&) override {
    return Refused();
  }

 private:
  static absl::Status Refused() { return ConnectionFailure("connection refused"); }
};

TEST(UnreachableTest, DefaultAddressAndTimeout) {
  // Not a real connection: something may well listen on the default port of a
  // developer's machine.
  GrpcClientOptions used;
  CliOptions options;
  options.connect = [&used](const GrpcClientOptions& client) -> std::unique_ptr<AdminClient> {
    used = client;
    return std::make_unique<NothingListens>();
  };
  const CliResult result = RunCli({"status"}, options);
  EXPECT_EQ(used.target, "127.0.0.1:18000");
  EXPECT_EQ(used.timeout, absl::Seconds(5));
  EXPECT_EQ(result.code, 5) << result.DebugString();
  EXPECT_EQ(result.err,
            "error: cannot reach the control plane at 127.0.0.1:18000 (the default address): "
            "connection refused\n"
            "Check that switchyard-control is running and serving its admin API there, or point "
            "yardctl at it with --server HOST:PORT or the YARDCTL_SERVER environment variable.\n"
            "You used --insecure: if that control plane serves TLS, give --ca instead.\n");
}

TEST(UnreachableTest, SilentPortTimesOutAsUnreachable) {
  ReservedPort port(/*listening=*/true);
  ASSERT_TRUE(port.Bound());
  const CliResult result = RunCli({"status", "--server", port.Address(), "--timeout", "300ms"});
  EXPECT_EQ(result.code, 5) << result.DebugString();
  EXPECT_THAT(result.err, HasSubstr("cannot reach the control plane at " + port.Address()));
  EXPECT_THAT(result.err, HasSubstr("no connection within 300ms"));
}

}  // namespace
}  // namespace switchyard::yardctl
