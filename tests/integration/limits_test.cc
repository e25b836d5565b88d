// Limits on what a client may send and how long it may take: header bytes and count
// (431), request line (414), time to send the header (408), and idle keep-alive timeout.
// Every limit is checked on both sides: over it is refused, comfortably under it passes
// through intact.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class LimitsTest : public ProxyTest {
 protected:
  void StartDefault(std::vector<std::string> flags = {}, std::string_view route_extra = "") {
    backend_ = &AddBackend("b");
    ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()}, route_extra), std::move(flags)));
  }
  TestBackend* backend_ = nullptr;
};

std::string WithHeader(const std::string& name, const std::string& value) {
  return BuildRequest("GET", "/", {{"Host", "example.com"}, {name, value}});
}

std::string WithManyHeaders(int n) {
  Headers h = {{"Host", "example.com"}};
  for (int i = 0; i < n; ++i) h.Add("X-H" + std::to_string(i), "v");
  return BuildRequest("GET", "/", h);
}

TEST_F(LimitsTest, HeaderBytesLimit) {
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--max_request_headers_bytes=8192"}));
  const std::string small(4000, 'a');
  const Response ok = RoundTrip(WithHeader("X-Big", small));
  ASSERT_TRUE(ok.ok()) << ok.DebugString();
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(backend_->requests().at(0).headers.Get("x-big"), small);

  EXPECT_TRUE(IsLocalReply(RoundTrip(WithHeader("X-Big", std::string(10000, 'a'))), 431, {}));
  // Many medium headers add up the same way.
  Headers h = {{"Host", "example.com"}};
  for (int i = 0; i < 10; ++i) h.Add("X-Part" + std::to_string(i), std::string(1000, 'b'));
  EXPECT_TRUE(IsLocalReply(RoundTrip(BuildRequest("GET", "/", h)), 431, {}));
  EXPECT_EQ(backend_->request_count(), 1u);
}

TEST_F(LimitsTest, DefaultHeaderBytesLimitIs64KiB) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  const std::string big(40000, 'a');
  const Response ok = RoundTrip(WithHeader("X-Big", big));
  ASSERT_TRUE(ok.ok()) << ok.DebugString();
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(backend_->requests().at(0).headers.Get("x-big"), big);
  EXPECT_TRUE(IsLocalReply(RoundTrip(WithHeader("X-Big", std::string(70000, 'a'))), 431, {}));
  EXPECT_EQ(backend_->request_count(), 1u);
}

TEST_F(LimitsTest, HeaderCountLimit) {
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--max_headers=20"}));
  const Response ok = RoundTrip(WithManyHeaders(10));
  ASSERT_TRUE(ok.ok()) << ok.DebugString();
  EXPECT_EQ(ok.status, 200);
  EXPECT_TRUE(backend_->requests().at(0).headers.Has("x-h9"));
  EXPECT_TRUE(IsLocalReply(RoundTrip(WithManyHeaders(30)), 431, {}));
  EXPECT_EQ(backend_->request_count(), 1u);
}

TEST_F(LimitsTest, DefaultHeaderCountLimitIs100) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  const Response ok = RoundTrip(WithManyHeaders(80));
  ASSERT_TRUE(ok.ok()) << ok.DebugString();
  EXPECT_EQ(ok.status, 200);
  EXPECT_TRUE(IsLocalReply(RoundTrip(WithManyHeaders(150)), 431, {}));
  EXPECT_EQ(backend_->request_count(), 1u);
}

TEST_F(LimitsTest, RequestLineLimit) {
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--max_request_line=1024"}));
  const std::string ok_target = "/" + std::string(900, 'p');
  const Response ok = Get(ok_target);
  ASSERT_TRUE(ok.ok()) << ok.DebugString();
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(backend_->requests().at(0).target, ok_target);
  EXPECT_TRUE(IsLocalReply(Get("/" + std::string(2000, 'p')), 414, {}));
  EXPECT_EQ(backend_->request_count(), 1u);
}

TEST_F(LimitsTest, DefaultRequestLineLimitIs8KiB) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  const Response ok = Get("/?q=" + std::string(7000, 'q'));
  ASSERT_TRUE(ok.ok()) << ok.DebugString();
  EXPECT_EQ(ok.status, 200);
  EXPECT_TRUE(IsLocalReply(Get("/?q=" + std::string(10000, 'q')), 414, {}));
  EXPECT_EQ(backend_->request_count(), 1u);
}

TEST_F(LimitsTest, IncompleteHeaderGets408ThenClose) {
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--request_headers_timeout=1s"}));
  RawClient client = Connect();
  const auto start = Clock::now();
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: example.com\r\n"));
  const Response r = client.ReadResponse(ReadOptions{.timeout = seconds(10)});
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(IsLocalReply(r, 408, {}));
  EXPECT_GE(elapsed, milliseconds(800));
  EXPECT_LT(elapsed, seconds(4));
  EXPECT_TRUE(client.WaitForClose(seconds(5)).closed);
  EXPECT_EQ(backend_->request_count(), 0u);
}

TEST_F(LimitsTest, TricklingHeaderStillTimesOut) {
  // Slowloris: each byte resets a per-read timer, never a whole-header deadline.
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--request_headers_timeout=1s"}));
  RawClient client = Connect();
  std::atomic<bool> stop{false};
  const auto start = Clock::now();
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: example.com\r\nX-Slow: "));
  std::thread trickler([&] {
    while (!stop && Clock::now() - start < seconds(8)) {
      if (!client.Send("a")) return;
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  const Response r = client.ReadResponse(ReadOptions{.timeout = seconds(10)});
  const auto elapsed = Clock::now() - start;
  stop = true;
  trickler.join();
  EXPECT_TRUE(IsLocalReply(r, 408, {}));
  EXPECT_LT(elapsed, seconds(4)) << "the header deadline was extended by each byte";
  EXPECT_EQ(backend_->request_count(), 0u);
}

TEST_F(LimitsTest, HeaderTimeoutDoesNotApplyToTheBody) {
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--request_headers_timeout=1s"}, "timeout: 20s"));
  RawClient client = Connect();
  ASSERT_TRUE(
      client.Send(BuildRequest("POST", "/", {{"Host", "example.com"}, {"Content-Length", "20"}})));
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(milliseconds(180));
    ASSERT_TRUE(client.Send("ab")) << "connection dropped while sending the body";
  }
  const Response r = client.ReadResponse();
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(backend_->requests().at(0).body, "abababababababababab");
}

TEST_F(LimitsTest, IdleKeepAliveConnectionIsClosedSilently) {
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--idle_timeout=1s"}));
  RawClient client = Connect();
  ASSERT_TRUE(client.RoundTrip(SimpleGet("/")).ok());
  const auto start = Clock::now();
  const RawClient::CloseResult closed = client.WaitForClose(seconds(6));
  const auto elapsed = Clock::now() - start;
  EXPECT_TRUE(closed.closed) << "idle connection not closed";
  EXPECT_TRUE(closed.data.empty()) << "idle close sent bytes: " << closed.data;
  EXPECT_GE(elapsed, milliseconds(800));
}

// A connection in steady keep-alive use keeps its read buffer between requests and gives
// it back after 50 to 100 ms of idleness (Http1Connection::Run); both ways of waiting must
// end at the idle timeout.
TEST_F(LimitsTest, BusyThenIdleConnectionIsClosedSilently) {
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--idle_timeout=1s"}));
  RawClient client = Connect();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(client.RoundTrip(SimpleGet("/")).ok());
  const auto start = Clock::now();
  const RawClient::CloseResult closed = client.WaitForClose(seconds(6));
  EXPECT_TRUE(closed.closed) << "idle connection not closed";
  EXPECT_TRUE(closed.data.empty()) << "idle close sent bytes: " << closed.data;
  EXPECT_GE(Clock::now() - start, milliseconds(800));
}

// The next request after the buffer went back, split across reads and with a second one
// pipelined behind it, and the next right away (the kept-buffer wait) after that.
TEST_F(LimitsTest, ConnectionServesAfterGivingItsBufferBack) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  RawClient client = Connect();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(client.RoundTrip(SimpleGet("/warm")).ok());
  std::this_thread::sleep_for(milliseconds(300));
  const std::string two = SimpleGet("/a") + SimpleGet("/b");
  ASSERT_TRUE(client.Send(two.substr(0, 7)));
  std::this_thread::sleep_for(milliseconds(200));
  ASSERT_TRUE(client.Send(two.substr(7)));
  const Response a = client.ReadResponse();
  const Response b = client.ReadResponse();
  ASSERT_TRUE(a.ok()) << a.DebugString();
  ASSERT_TRUE(b.ok()) << b.DebugString();
  const Response c = client.RoundTrip(SimpleGet("/c"));
  ASSERT_TRUE(c.ok()) << c.DebugString();
  ASSERT_EQ(backend_->request_count(), 5u);
  EXPECT_EQ(backend_->requests().at(2).target, "/a");
  EXPECT_EQ(backend_->requests().at(3).target, "/b");
  EXPECT_EQ(backend_->requests().at(4).target, "/c");
}

TEST_F(LimitsTest, ConnectionThatNeverSendsIsClosed) {
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--idle_timeout=1s", "--request_headers_timeout=1s"}));
  RawClient client = Connect();
  // Either timeout may claim it (with or without a 408), but it must not live forever.
  EXPECT_TRUE(client.WaitForClose(seconds(6)).closed);
}

TEST_F(LimitsTest, ActiveConnectionIsNotIdleClosed) {
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--idle_timeout=1s"}));
  RawClient client = Connect();
  const auto start = Clock::now();
  int n = 0;
  while (Clock::now() - start < milliseconds(2500)) {
    const Response r = client.RoundTrip(SimpleGet("/" + std::to_string(n)));
    ASSERT_TRUE(r.ok()) << "request " << n << " after " << (Clock::now() - start).count()
                        << "ns: " << r.DebugString();
    ++n;
    std::this_thread::sleep_for(milliseconds(300));
  }
  EXPECT_GE(n, 7);
  EXPECT_EQ(backend_->request_count(), static_cast<size_t>(n));
  EXPECT_EQ(backend_->requests().back().target, "/" + std::to_string(n - 1));
}

TEST_F(LimitsTest, IdleTimeoutDoesNotCutASlowResponse) {
  backend_ = &AddBackend("slow", [](BackendExchange& ex) {
    ex.Delay(milliseconds(2000));
    ex.Reply(200, "slow");
  });
  ASSERT_TRUE(
      StartProxy(SingleClusterConfig({backend_->port()}, "timeout: 20s"), {"--idle_timeout=1s"}));
  const Response r = Get("/");
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, "slow");
}

}  // namespace
}  // namespace switchyard::testing
