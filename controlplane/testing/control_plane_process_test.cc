// switchyard-control as a process: start, serve, restart on the same database and port,
// stop cleanly on SIGTERM.
#include "controlplane/testing/control_plane_process.h"

#include <signal.h>

#include <chrono>
#include <future>
#include <optional>

#include "controlplane/testing/in_process.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "switchyard/v1/admin.grpc.pb.h"

namespace switchyard::controlplane::testing {
namespace {

std::unique_ptr<switchyard::v1::AdminService::Stub> AdminStub(const ControlPlaneProcess& cp) {
  return switchyard::v1::AdminService::NewStub(
      grpc::CreateChannel(cp.target(), grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return ctx;
}

TEST(ControlPlaneProcessTest, ServesAndKeepsVersionsAcrossARestart) {
  ControlPlaneProcess cp;
  std::string error;
  ASSERT_TRUE(cp.Start(&error)) << error;
  EXPECT_GT(cp.pid(), 0);
  EXPECT_NE(cp.port(), 0);

  {
    auto admin = AdminStub(cp);
    switchyard::v1::ApplyRequest request;
    *request.mutable_snapshot() = MakeSnapshot(2);
    request.set_author("e2e");
    request.set_message("first");
    switchyard::v1::ApplyResponse applied;
    const grpc::Status status = admin->Apply(Ctx().get(), request, &applied);
    ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << cp.StderrTail();
    EXPECT_EQ(applied.version(), 1u);
  }

  const pid_t first_pid = cp.pid();
  const uint16_t first_port = cp.port();
  ASSERT_TRUE(cp.Restart(&error)) << error;
  EXPECT_NE(cp.pid(), first_pid);
  EXPECT_EQ(cp.port(), first_port) << "restart keeps the port";

  {
    auto admin = AdminStub(cp);
    switchyard::v1::GetRequest get;
    switchyard::v1::GetResponse got;
    const grpc::Status status = admin->Get(Ctx().get(), get, &got);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(got.info().version(), 1u);
    EXPECT_EQ(got.info().message(), "first");
  }  // closes the admin channel: an idle channel would hold up the server's graceful GOAWAY

  // A proxy connecting after the restart is offered the stored version.
  auto proxy = std::make_unique<FakeProxy>(
      grpc::CreateChannel(cp.target(), grpc::InsecureChannelCredentials()), "p1", 0);
  auto response = proxy->Read();
  ASSERT_TRUE(response.has_value()) << cp.StderrTail();
  EXPECT_EQ(response->version(), 1u);

  // SIGTERM while the proxy waits for more: the stream ends, the proxy closes its channel
  // (as the real one does before reconnecting), and the control plane exits promptly.
  auto ended = std::async(std::launch::async, [&proxy] {
    const bool got_more = proxy->Read().has_value();
    const grpc::Status status = proxy->Finish();
    proxy.reset();
    return std::make_pair(got_more, status);
  });
  const auto start = std::chrono::steady_clock::now();
  const auto exit = cp.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.signal, 0) << exit.DebugString() << "\n" << cp.StderrTail();
  EXPECT_EQ(exit.code, 0) << cp.StderrTail();
  const auto [got_more, status] = ended.get();
  EXPECT_FALSE(got_more);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

// The reproduction from tests/e2e/nack_test: a proxy rejects a version, the control plane
// gets SIGTERM and is started again on the same database and port. The rejection must
// survive: not offered again, still shown by Status, and the next version goes out.
TEST(ControlPlaneProcessTest, RejectionSurvivesASigtermRestart) {
  ControlPlaneProcess cp;
  std::string error;
  ASSERT_TRUE(cp.Start(&error)) << error;
  auto apply = [&cp](int clusters) -> uint64_t {
    switchyard::v1::ApplyRequest request;
    *request.mutable_snapshot() = MakeSnapshot(clusters);
    switchyard::v1::ApplyResponse applied;
    const grpc::Status status = AdminStub(cp)->Apply(Ctx().get(), request, &applied);
    EXPECT_TRUE(status.ok()) << status.error_message() << "\n" << cp.StderrTail();
    return applied.version();
  };
  auto proxy_status = [&cp]() -> std::optional<switchyard::v1::ProxyStatus> {
    switchyard::v1::StatusResponse response;
    if (!AdminStub(cp)->Status(Ctx().get(), {}, &response).ok()) return std::nullopt;
    for (const auto& p : response.proxies()) {
      if (p.node_id() == "p1") return p;
    }
    return std::nullopt;
  };

  ASSERT_EQ(apply(1), 1u);
  {
    FakeProxy proxy(grpc::CreateChannel(cp.target(), grpc::InsecureChannelCredentials()), "p1", 0);
    auto v1 = proxy.Read();
    ASSERT_TRUE(v1.has_value()) << cp.StderrTail();
    ASSERT_TRUE(proxy.Ack(*v1));
    ASSERT_EQ(apply(2), 2u);
    auto v2 = proxy.Read();
    ASSERT_TRUE(v2.has_value());
    ASSERT_EQ(v2->version(), 2u);
    ASSERT_TRUE(proxy.Nack(*v2, 1, "too many routes"));
    ASSERT_TRUE(PollUntil([&] {
      auto s = proxy_status();
      return s.has_value() && s->last_rejected_version() == 2;
    }));
    ASSERT_TRUE(proxy.Finish().ok());
  }  // the channel closes, so SIGTERM need not wait for it

  ASSERT_TRUE(cp.Restart(&error)) << error;
  FakeProxy proxy(grpc::CreateChannel(cp.target(), grpc::InsecureChannelCredentials()), "p1", 1);
  std::optional<switchyard::v1::ProxyStatus> status;
  ASSERT_TRUE(PollUntil([&] {
    status = proxy_status();
    return status.has_value() && status->connected() && status->last_rejected_version() == 2;
  })) << "after the restart, status does not show the rejection: "
      << (status.has_value() ? status->DebugString() : "no entry") << "\n"
      << cp.StderrTail();
  EXPECT_EQ(status->last_rejected_error(), "too many routes");
  ASSERT_EQ(apply(3), 3u);
  auto next = proxy.Read();
  ASSERT_TRUE(next.has_value()) << cp.StderrTail();
  EXPECT_EQ(next->version(), 3u) << "the restarted control plane offered the rejected version";
  EXPECT_TRUE(proxy.Ack(*next));
  ASSERT_TRUE(proxy.Finish().ok());
}

TEST(ControlPlaneProcessTest, BadFlagIsReported) {
  ControlPlaneProcess cp({.flags = {"--log_level=loud"}});
  std::string error;
  EXPECT_FALSE(cp.Start(&error));
  EXPECT_NE(error.find("--log_level"), std::string::npos) << error;
  EXPECT_EQ(cp.exit_status().code, 2);
}

TEST(ControlPlaneProcessTest, MetricsOffLoopbackNeedAToken) {
  ControlPlaneProcess cp({.flags = {"--metrics_listen=0.0.0.0:0"}});
  std::string error;
  EXPECT_FALSE(cp.Start(&error));
  EXPECT_NE(error.find("give --metrics_token_file"), std::string::npos) << error;
  EXPECT_EQ(cp.exit_status().code, 2);
}

TEST(ControlPlaneProcessTest, SharedDatabaseFile) {
  ControlPlaneProcess a;
  std::string error;
  ASSERT_TRUE(a.Start(&error)) << error;
  ControlPlaneProcess b({.db_path = a.db_path()});
  ASSERT_TRUE(b.Start(&error)) << error;
  switchyard::v1::ApplyRequest request;
  *request.mutable_snapshot() = MakeSnapshot(1);
  request.set_expected_version(0);
  switchyard::v1::ApplyResponse applied;
  ASSERT_TRUE(AdminStub(a)->Apply(Ctx().get(), request, &applied).ok());
  // The other process sees the same history, and the same expected-version check.
  const grpc::Status stale = AdminStub(b)->Apply(Ctx().get(), request, &applied);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << stale.error_message();
}

}  // namespace
}  // namespace switchyard::controlplane::testing
