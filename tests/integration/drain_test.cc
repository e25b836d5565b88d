// Graceful shutdown of the real proxy (docs/operations.md, "Draining"): SIGTERM or POST
// /drain make /ready say 503 while the listeners still accept for --drain_grace_period,
// every response carries "Connection: close", then the listeners close without resetting
// what waits in their queues, requests in flight finish, and the process exits 0 by
// --drain_timeout at the latest. A second SIGTERM cuts the drain short.
//
// Times here are real but loose: a phase of a second or more is checked for what happens
// inside it, never for how long it took (the deadlines themselves are unit-tested on a
// simulated clock in common:drain_sequence_test).
#include <signal.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/poll.h"
#include "tests/support/proxy_process.h"
#include "tests/support/proxy_test.h"
#include "tests/support/raw_client.h"
#include "tests/support/test_backend.h"

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kGet[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
constexpr char kSlowGet[] = "GET /slow HTTP/1.1\r\nHost: example.com\r\n\r\n";

Response AdminRequest(uint16_t port, const std::string& method, const std::string& path) {
  RawClient client(port);
  return client.RoundTrip(BuildRequest(method, path, {{"Host", "admin"}}, ""));
}

bool Refused(uint16_t port) {
  RawClient client(port, seconds(2));
  return !client.connected();
}

class DrainTest : public ::testing::Test {
 protected:
  // The backend answers /slow after `slow_for`, everything else at once.
  void Start(std::vector<std::string> flags, Clock::duration slow_for = seconds(1)) {
    backend_ = std::make_unique<TestBackend>("b", [this, slow_for](BackendExchange& exchange) {
      if (exchange.request().target == "/slow") {
        slow_started_.store(true);
        exchange.Delay(slow_for);
      }
      exchange.Reply(200, "done");
    });
    flags.push_back("--admin=127.0.0.1:0");
    proxy_ = std::make_unique<ProxyProcess>(SingleClusterConfig({backend_->port()}, "timeout: 60s"),
                                            std::move(flags));
    std::string error;
    ASSERT_TRUE(proxy_->Start(&error)) << error;
  }

  void TearDown() override {
    if (proxy_ == nullptr) return;
    proxy_->Stop();
    const std::string report = SanitizerReport(proxy_->StderrContents());
    EXPECT_TRUE(report.empty()) << "the proxy's sanitizer reported:\n" << report;
  }

  // Starts a /slow request on its own connection and returns once the backend has it.
  std::unique_ptr<RawClient> StartSlowRequest() {
    auto client = std::make_unique<RawClient>(proxy_->port());
    EXPECT_TRUE(client->Send(kSlowGet));
    EXPECT_TRUE(PollUntil([this] { return slow_started_.load(); }));
    return client;
  }

  std::unique_ptr<TestBackend> backend_;
  std::unique_ptr<ProxyProcess> proxy_;
  std::atomic<bool> slow_started_{false};
};

TEST_F(DrainTest, DuringTheGracePeriodItIsNotReadyButServesWithConnectionClose) {
  Start({"--drain_grace_period=3s", "--drain_timeout=5s"});
  EXPECT_EQ(AdminRequest(proxy_->admin_port(), "GET", "/ready").status, 200);
  RawClient keep_alive(proxy_->port());
  Response first = keep_alive.RoundTrip(kGet);
  ASSERT_EQ(first.status, 200) << first.DebugString();
  EXPECT_FALSE(first.headers.Has("Connection"));

  ::kill(proxy_->pid(), SIGTERM);
  Response ready;
  ASSERT_TRUE(PollUntil([&] {
    ready = AdminRequest(proxy_->admin_port(), "GET", "/ready");
    return ready.status == 503;
  }));
  EXPECT_EQ(ready.body, "not ready: draining\n");
  EXPECT_EQ(AdminRequest(proxy_->admin_port(), "GET", "/live").status, 200);

  // Still accepting, and telling keep-alive clients to go.
  const Response on_old = keep_alive.RoundTrip(kGet);
  EXPECT_EQ(on_old.status, 200) << on_old.DebugString();
  EXPECT_EQ(on_old.headers.Get("Connection"), "close");
  EXPECT_TRUE(keep_alive.WaitForClose(seconds(5)).closed);
  RawClient fresh(proxy_->port());
  ASSERT_TRUE(fresh.connected());
  const Response on_new = fresh.RoundTrip(kGet);
  EXPECT_EQ(on_new.status, 200) << on_new.DebugString();
  EXPECT_EQ(on_new.headers.Get("Connection"), "close");

  // After the grace period the listener is gone and, with nothing open, the process too.
  EXPECT_TRUE(PollUntil([&] { return Refused(proxy_->port()); }, seconds(15)));
  const ExitStatus exit = proxy_->WaitForExit(seconds(15));
  EXPECT_TRUE(exit.exited && exit.code == 0) << exit.DebugString();
  const std::string log = proxy_->StderrContents();
  EXPECT_NE(log.find("draining: listeners closed"), std::string::npos) << log;
  EXPECT_NE(log.find("drained: every connection closed"), std::string::npos) << log;
}

TEST_F(DrainTest, ARequestInFlightFinishesWhileNewConnectionsAreRefused) {
  Start({"--drain_grace_period=0s", "--drain_timeout=30s"}, seconds(2));
  std::unique_ptr<RawClient> slow = StartSlowRequest();
  RawClient idle(proxy_->port());
  ASSERT_EQ(idle.RoundTrip(kGet).status, 200);

  ::kill(proxy_->pid(), SIGTERM);
  // The idle keep-alive connection is closed at once, the listener too...
  const RawClient::CloseResult idle_closed = idle.WaitForClose(seconds(5));
  EXPECT_TRUE(idle_closed.closed);
  EXPECT_EQ(idle_closed.data, "");
  EXPECT_TRUE(PollUntil([&] { return Refused(proxy_->port()); }));
  // ...but the request in flight gets its whole answer.
  const Response answer = slow->ReadResponse({.timeout = seconds(20)});
  EXPECT_EQ(answer.status, 200) << answer.DebugString();
  EXPECT_EQ(answer.body, "done");
  EXPECT_EQ(answer.headers.Get("Connection"), "close");
  const ExitStatus exit = proxy_->WaitForExit(seconds(15));
  EXPECT_TRUE(exit.exited && exit.code == 0) << exit.DebugString();
}

TEST_F(DrainTest, ConnectionsWaitingInTheListenQueueAreServedNotReset) {
  // One connection per worker: the second waits in the kernel's queue, accepted but not
  // taken, while the first is busy.
  Start({"--drain_grace_period=0s", "--drain_timeout=30s", "--max_connections_per_worker=1"},
        seconds(2));
  std::unique_ptr<RawClient> slow = StartSlowRequest();
  RawClient queued(proxy_->port());
  ASSERT_TRUE(queued.connected());
  ASSERT_TRUE(queued.Send(kGet));
  ASSERT_TRUE(queued.StaysOpenFor(milliseconds(300)));  // not served yet: queued

  ::kill(proxy_->pid(), SIGTERM);
  const Response answer = queued.ReadResponse({.timeout = seconds(20)});
  EXPECT_EQ(answer.status, 200) << answer.DebugString();
  EXPECT_EQ(answer.headers.Get("Connection"), "close");
  EXPECT_EQ(slow->ReadResponse({.timeout = seconds(20)}).status, 200);
  const ExitStatus exit = proxy_->WaitForExit(seconds(15));
  EXPECT_TRUE(exit.exited && exit.code == 0) << exit.DebugString();
}

// A client that has just connected may be sending its first request as the drain closes
// idle connections: a connection that has served nothing gets a moment for it rather
// than an EOF the client could not tell from a failure (found by binary_upgrade_test).
TEST_F(DrainTest, AConnectionThatHasNotSentItsFirstRequestYetIsServed) {
  Start({"--drain_grace_period=0s", "--drain_timeout=30s"}, seconds(2));
  std::unique_ptr<RawClient> slow = StartSlowRequest();  // keeps the proxy draining
  RawClient fresh(proxy_->port());
  ASSERT_TRUE(fresh.connected());
  ASSERT_TRUE(fresh.StaysOpenFor(milliseconds(200)));  // accepted, and waiting
  ::kill(proxy_->pid(), SIGTERM);
  ASSERT_TRUE(PollUntil([&] { return Refused(proxy_->port()); }));  // closing has begun
  const Response answer = fresh.RoundTrip(kGet, {.timeout = seconds(10)});
  EXPECT_EQ(answer.status, 200) << answer.DebugString();
  EXPECT_EQ(answer.headers.Get("Connection"), "close");
  EXPECT_EQ(slow->ReadResponse({.timeout = seconds(20)}).status, 200);
  const ExitStatus exit = proxy_->WaitForExit(seconds(15));
  EXPECT_TRUE(exit.exited && exit.code == 0) << exit.DebugString();
}

TEST_F(DrainTest, AConnectionThatStaysSilentIsClosedSoonAfterTheDrainBegins) {
  Start({"--drain_grace_period=0s", "--drain_timeout=30s"});
  RawClient silent(proxy_->port());
  ASSERT_TRUE(silent.connected());
  ASSERT_TRUE(silent.StaysOpenFor(milliseconds(200)));
  const auto start = Clock::now();
  ::kill(proxy_->pid(), SIGTERM);
  const RawClient::CloseResult closed = silent.WaitForClose(seconds(10));
  EXPECT_TRUE(closed.closed);
  EXPECT_EQ(closed.data, "");
  const ExitStatus exit = proxy_->WaitForExit(seconds(15));
  EXPECT_TRUE(exit.exited && exit.code == 0) << exit.DebugString();
  EXPECT_LT(Clock::now() - start, seconds(10));  // long before the 30 s drain timeout
}

// HTTP/2: the drain sends GOAWAY naming the last stream it took; that stream finishes.
// nghttp (nghttp2's client) prints the frames it receives.
TEST_F(DrainTest, Http2ConnectionsGetGoawayAndTheirStreamsFinish) {
  Start({"--drain_grace_period=0s", "--drain_timeout=30s"}, seconds(2));
  CommandResult client;
  std::thread runner([&] {
    client = RunCommand({"/usr/bin/nghttp", "-v", "--no-dep",
                         "http://127.0.0.1:" + std::to_string(proxy_->port()) + "/slow"},
                        seconds(30));
  });
  ASSERT_TRUE(PollUntil([this] { return slow_started_.load(); }));
  ::kill(proxy_->pid(), SIGTERM);
  runner.join();
  EXPECT_EQ(client.exit_code, 0) << client.DebugString();
  EXPECT_NE(client.stdout_text.find("recv GOAWAY frame"), std::string::npos) << client.stdout_text;
  EXPECT_NE(client.stdout_text.find("last_stream_id=1, error_code=NO_ERROR"), std::string::npos)
      << client.stdout_text;
  EXPECT_NE(client.stdout_text.find(":status: 200"), std::string::npos) << client.stdout_text;
  EXPECT_NE(client.stdout_text.find("done"), std::string::npos);
  const ExitStatus exit = proxy_->WaitForExit(seconds(15));
  EXPECT_TRUE(exit.exited && exit.code == 0) << exit.DebugString();
}

TEST_F(DrainTest, TheDrainTimeoutCutsWhatDoesNotFinish) {
  Start({"--drain_grace_period=0s", "--drain_timeout=500ms"}, seconds(60));
  std::unique_ptr<RawClient> slow = StartSlowRequest();
  ::kill(proxy_->pid(), SIGTERM);
  const ExitStatus exit = proxy_->WaitForExit(seconds(15));
  EXPECT_TRUE(exit.exited && exit.code == 0) << exit.DebugString();
  EXPECT_TRUE(slow->WaitForClose(seconds(5)).closed);
  const std::string log = proxy_->StderrContents();
  EXPECT_NE(log.find("drain timeout: cutting 1 connections still open"), std::string::npos) << log;
}

TEST_F(DrainTest, ASecondSignalCutsTheDrainShort) {
  Start({"--drain_grace_period=0s", "--drain_timeout=120s"}, seconds(60));
  std::unique_ptr<RawClient> slow = StartSlowRequest();
  ::kill(proxy_->pid(), SIGTERM);
  ASSERT_TRUE(PollUntil([&] { return Refused(proxy_->port()); }));
  EXPECT_TRUE(proxy_->Running());  // the slow request holds the drain open
  ::kill(proxy_->pid(), SIGINT);
  const ExitStatus exit = proxy_->WaitForExit(seconds(15));
  EXPECT_TRUE(exit.exited && exit.code == 0) << exit.DebugString();
  const std::string log = proxy_->StderrContents();
  EXPECT_NE(log.find("while draining: cutting 1 connections now"), std::string::npos) << log;
}

TEST_F(DrainTest, PostDrainStartsTheSameShutdownAndIsCountedInMetrics) {
  Start({"--drain_grace_period=2s", "--drain_timeout=5s"});
  const uint16_t admin = proxy_->admin_port();
  EXPECT_NE(AdminRequest(admin, "GET", "/metrics").body.find("switchyard_draining 0\n"),
            std::string::npos);
  EXPECT_EQ(AdminRequest(admin, "GET", "/drain").status, 405);
  const Response accepted = AdminRequest(admin, "POST", "/drain");
  EXPECT_EQ(accepted.status, 202) << accepted.DebugString();
  EXPECT_EQ(AdminRequest(admin, "GET", "/ready").status, 503);
  EXPECT_NE(AdminRequest(admin, "GET", "/metrics").body.find("switchyard_draining 1\n"),
            std::string::npos);
  // A second POST does not count as the second signal that would cut the drain short.
  EXPECT_EQ(AdminRequest(admin, "POST", "/drain").status, 202);
  const ExitStatus exit = proxy_->WaitForExit(seconds(20));
  EXPECT_TRUE(exit.exited && exit.code == 0) << exit.DebugString();
  EXPECT_EQ(proxy_->StderrContents().find("while draining"), std::string::npos);
}

}  // namespace
}  // namespace switchyard::testing
