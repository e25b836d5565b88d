// Tests of the harness itself: TestBackend and RawClient talk to each other directly, and
// ProxyProcess drives a fake proxy binary. If these fail, integration failures mean nothing.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/http_message.h"
#include "tests/support/pattern.h"
#include "tests/support/proxy_process.h"
#include "tests/support/proxy_test.h"
#include "tests/support/raw_client.h"
#include "tests/support/socket.h"
#include "tests/support/test_backend.h"

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(SanitizerReportTest, FindsEachSanitizersReportFromItsLine) {
  EXPECT_EQ(SanitizerReport("listening on 127.0.0.1:1\nbye\n"), "");
  EXPECT_EQ(SanitizerReport("a\n==1==WARNING: ThreadSanitizer: data race\n  #0 f\n"),
            "==1==WARNING: ThreadSanitizer: data race\n  #0 f\n");
  EXPECT_EQ(SanitizerReport("==7==ERROR: LeakSanitizer: detected memory leaks\n"),
            "==7==ERROR: LeakSanitizer: detected memory leaks\n");
  EXPECT_EQ(SanitizerReport("x.cc:3:5: runtime error: signed integer overflow"),
            "x.cc:3:5: runtime error: signed integer overflow");
  // The earliest report wins, and the text is bounded.
  EXPECT_EQ(SanitizerReport("ERROR: AddressSanitizer: heap-use-after-free\nWARNING: "
                            "ThreadSanitizer\n",
                            12),
            "ERROR: Addre");
}

TEST(RawClientTest, RefusedConnectIsReportedNotACrash) {
  RefusingPort refusing;
  RawClient client(refusing.port(), seconds(2));
  EXPECT_FALSE(client.connected());
  EXPECT_FALSE(client.connect_error().empty());
}

TEST(TestBackendTest, DefaultReplyAndRecording) {
  TestBackend backend("b1");
  RawClient client(backend.port());
  ASSERT_TRUE(client.connected()) << client.connect_error();
  const Response r = client.RoundTrip(
      BuildRequest("GET", "/a?x=1", {{"Host", "h.example"}, {"X-Two", "1"}, {"X-Two", "2"}}));
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "b1");
  EXPECT_EQ(r.headers.Get("x-backend"), "b1");
  ASSERT_EQ(backend.request_count(), 1u);
  const ReceivedRequest req = backend.requests()[0];
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/a?x=1");
  EXPECT_EQ(req.version, 11);
  EXPECT_EQ(req.headers.Get("HOST"), "h.example");
  EXPECT_EQ(req.headers.Joined("x-two"), "1, 2");
  EXPECT_TRUE(req.body_complete);
  EXPECT_EQ(req.raw_head.rfind("GET /a?x=1 HTTP/1.1\r\n", 0), 0u) << req.raw_head;
  EXPECT_TRUE(backend.parse_errors().empty());
}

TEST(TestBackendTest, PipelinedRequestsOnOneConnection) {
  TestBackend backend("b", [](BackendExchange& ex) {
    ex.Reply(200, "echo:" + ex.request().target + ":" + ex.request().body);
  });
  RawClient client(backend.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(
      client.Send(SimpleGet("/1") +
                  BuildRequest("POST", "/2", {{"Host", "h"}, {"Content-Length", "3"}}, "abc") +
                  SimpleGet("/3")));
  for (const char* want : {"echo:/1:", "echo:/2:abc", "echo:/3:"}) {
    const Response r = client.ReadResponse();
    ASSERT_TRUE(r.ok()) << r.DebugString();
    EXPECT_EQ(r.body, want);
  }
  EXPECT_EQ(backend.connections_accepted(), 1);
  const auto reqs = backend.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[2].index_on_connection, 2);
  EXPECT_EQ(reqs[1].content_length, 3u);
}

TEST(TestBackendTest, ChunkedRequestBodyIsDecoded) {
  TestBackend backend("b");
  RawClient client(backend.port());
  ASSERT_TRUE(client.connected());
  const Response r = client.RoundTrip(
      "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.DebugString();
  const ReceivedRequest req = backend.requests().at(0);
  EXPECT_TRUE(req.chunked);
  EXPECT_FALSE(req.content_length.has_value());
  EXPECT_EQ(req.body, "hello world");
  EXPECT_EQ(req.chunk_sizes, (std::vector<uint64_t>{5, 1, 5, 0}));
}

TEST(TestBackendTest, InterimResponsesThenFinal) {
  TestBackend backend("b",
                      [](BackendExchange& ex) {
                        ex.SendInterim(100);
                        const std::string body = ex.ReadBody();
                        ex.SendInterim(103, {{"Link", "</a.css>; rel=preload"}});
                        ex.Reply(201, "got " + body);
                      },
                      {.read_body_first = false});
  RawClient client(backend.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(
      "PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  ReadOptions interim_only;
  interim_only.stop_at_interim = true;
  const Response cont = client.ReadResponse(interim_only);
  ASSERT_TRUE(cont.ok()) << cont.DebugString();
  EXPECT_EQ(cont.status, 100);
  ASSERT_TRUE(client.Send("data"));
  const Response r = client.ReadResponse();
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "got data");
  ASSERT_EQ(r.interim.size(), 1u);
  EXPECT_EQ(r.interim[0].status, 103);
  EXPECT_EQ(r.interim[0].headers.Get("link"), "</a.css>; rel=preload");
}

TEST(TestBackendTest, HeadResponseHasNoBodyAndConnectionStaysUsable) {
  TestBackend backend("b", [](BackendExchange& ex) { ex.Reply(200, "twelve bytes"); });
  RawClient client(backend.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(BuildRequest("HEAD", "/", {{"Host", "h"}})));
  ReadOptions head;
  head.head_request = true;
  const Response r = client.ReadResponse(head);
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.headers.Get("content-length"), "12");
  EXPECT_EQ(r.body, "");
  const Response next = client.RoundTrip(SimpleGet("/"));
  ASSERT_TRUE(next.ok()) << next.DebugString();
  EXPECT_EQ(next.body, "twelve bytes");
}

TEST(TestBackendTest, LargePatternBodiesBothFramings) {
  for (const bool chunked : {false, true}) {
    TestBackend backend(
        "b", [chunked](BackendExchange& ex) { ex.StreamPatternResponse(200, 32u << 20, chunked); });
    RawClient client(backend.port());
    ASSERT_TRUE(client.connected());
    PatternChecker checker;
    ReadOptions opts;
    opts.body_sink = [&](std::string_view d) { checker.Feed(d); };
    const Response r = client.RoundTrip(SimpleGet("/big"), opts);
    ASSERT_TRUE(r.ok()) << r.DebugString();
    EXPECT_EQ(r.chunked, chunked);
    EXPECT_EQ(checker.bytes(), 32u << 20);
    EXPECT_TRUE(checker.ok()) << "first mismatch at " << checker.first_mismatch();
    EXPECT_TRUE(r.body.empty());
    EXPECT_TRUE(PollUntil([&] { return backend.bytes_sent() >= (32u << 20); }, seconds(5)));
  }
}

TEST(TestBackendTest, StreamedUploadIsVerifiedWithoutStoring) {
  std::atomic<bool> ok{false};
  std::atomic<uint64_t> seen{0};
  TestBackend backend("b",
                      [&](BackendExchange& ex) {
                        PatternChecker checker;
                        ex.StreamBody([&](std::string_view d) { checker.Feed(d); });
                        ok = checker.ok() && ex.body_complete();
                        seen = checker.bytes();
                        ex.Reply(200, std::to_string(checker.bytes()));
                      },
                      {.read_body_first = false, .record_body = false});
  RawClient client(backend.port());
  ASSERT_TRUE(client.connected());
  const uint64_t total = 20u << 20;
  ASSERT_TRUE(client.Send(
      BuildRequest("POST", "/up", {{"Host", "h"}, {"Content-Length", std::to_string(total)}})));
  PatternSource source(total);
  for (std::string_view b = source.Next(); !b.empty(); b = source.Next()) {
    ASSERT_TRUE(client.Send(b));
  }
  const Response r = client.ReadResponse();
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, std::to_string(total));
  EXPECT_TRUE(ok);
  EXPECT_EQ(seen, total);
  EXPECT_TRUE(backend.requests().at(0).body.empty());
  EXPECT_EQ(backend.requests().at(0).body_bytes, total);
}

TEST(TestBackendTest, UploadBackpressureStallsSender) {
  std::atomic<bool> release{false};
  TestBackend backend("b",
                      [&](BackendExchange& ex) {
                        ex.WaitUntil([&] { return release.load(); }, seconds(30));
                        PatternChecker checker;
                        ex.StreamBody([&](std::string_view d) { checker.Feed(d); });
                        ex.Reply(checker.ok() ? 200 : 500, std::to_string(checker.bytes()));
                      },
                      {.read_body_first = false, .record_body = false});
  RawClient client(backend.port());
  ASSERT_TRUE(client.connected());
  const uint64_t total = 256u << 20;
  ASSERT_TRUE(client.Send(
      BuildRequest("POST", "/up", {{"Host", "h"}, {"Content-Length", std::to_string(total)}})));
  std::atomic<uint64_t> sent{0};
  std::thread sender([&] {
    PatternSource source(total);
    for (std::string_view b = source.Next(); !b.empty(); b = source.Next()) {
      if (client.SendCounted(b, &sent) != IoStatus::kOk) return;
    }
  });
  const uint64_t stalled_at =
      WaitForSteadyValue([&] { return sent.load(); }, milliseconds(300), seconds(20));
  release = true;
  sender.join();
  EXPECT_LT(stalled_at, total / 2) << "the sender never blocked";
  const Response r = client.ReadResponse();
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, std::to_string(total));
}

TEST(TestBackendTest, TruncatedResponseIsReportedIncomplete) {
  TestBackend backend("b", [](BackendExchange& ex) {
    ex.SendHead(200, {{"Content-Length", "100"}});
    ex.Send("0123456789");
    ex.CloseNow();
  });
  RawClient client(backend.port());
  ASSERT_TRUE(client.connected());
  const Response r = client.RoundTrip(SimpleGet("/"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "0123456789");
  EXPECT_NE(r.error.find("eof"), std::string::npos) << r.error;
  EXPECT_TRUE(client.WaitForClose(seconds(5)).closed);
}

TEST(TestBackendTest, ResetBeforeResponse) {
  TestBackend backend("b", [](BackendExchange& ex) { ex.ResetNow(); });
  RawClient client(backend.port());
  ASSERT_TRUE(client.connected());
  const Response r = client.RoundTrip(SimpleGet("/"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(client.WaitForClose(seconds(5)).closed);
}

TEST(TestBackendTest, GarbageIsCountedAsParseError) {
  TestBackend backend("b");
  RawClient client(backend.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n"));
  EXPECT_TRUE(client.WaitForClose(seconds(5)).closed);
  EXPECT_TRUE(PollUntil([&] { return !backend.parse_errors().empty(); }, seconds(5)));
  EXPECT_EQ(backend.request_count(), 0u);
}

TEST(TestBackendTest, KeepAliveAndPeerCloseDetection) {
  std::atomic<int> saw_close{-1};
  TestBackend backend("b", [&](BackendExchange& ex) {
    if (ex.request().target == "/wait") {
      saw_close = ex.WaitForPeerClose(seconds(5)) ? 1 : 0;
      return;
    }
    ex.Reply(200, "ok");
  });
  RawClient client(backend.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.RoundTrip(SimpleGet("/")).ok());
  EXPECT_TRUE(client.StaysOpenFor(milliseconds(200)));
  ASSERT_TRUE(client.Send(SimpleGet("/wait")));
  ASSERT_TRUE(backend.WaitForRequests(2, seconds(5)));
  client.Close();
  EXPECT_TRUE(PollUntil([&] { return saw_close.load() >= 0; }, seconds(10)));
  EXPECT_EQ(saw_close.load(), 1);
  EXPECT_TRUE(backend.WaitForConnectionsClosed(seconds(5)));
}

TEST(TestBackendTest, ReadTimeoutDoesNotHang) {
  TestBackend backend("b", [](BackendExchange& ex) {
    ex.Delay(seconds(30));
    ex.Reply(200, "late");
  });
  RawClient client(backend.port());
  ASSERT_TRUE(client.connected());
  ReadOptions opts;
  opts.timeout = milliseconds(200);
  const auto start = Clock::now();
  const Response r = client.RoundTrip(SimpleGet("/"), opts);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error, "timeout");
  EXPECT_LT(Clock::now() - start, seconds(5));
  // Destroying the backend must interrupt the 30 s delay.
}

TEST(SocketTest, RefusingPortRefuses) {
  RefusingPort refusing;
  std::string error;
  const auto start = Clock::now();
  Socket s = Socket::Connect(refusing.port(), seconds(5), &error);
  EXPECT_FALSE(s.valid());
  EXPECT_NE(error.find("refused"), std::string::npos) << error;
  EXPECT_LT(Clock::now() - start, seconds(1));
}

TEST(SocketTest, BlackholeListenerLeavesConnectPending) {
  BlackholeListener blackhole;
  std::string error;
  Socket s = Socket::Connect(blackhole.port(), milliseconds(500), &error);
  EXPECT_FALSE(s.valid());
  EXPECT_EQ(error, "connect: timeout");
}

TEST(PatternTest, DetectsCorruption) {
  std::string data = PatternBytes(0, 1000000);
  PatternChecker good;
  good.Feed(std::string_view(data).substr(0, 333));
  good.Feed(std::string_view(data).substr(333));
  EXPECT_TRUE(good.ok());
  EXPECT_EQ(good.bytes(), 1000000u);
  data[777777] ^= 1;
  PatternChecker bad;
  bad.Feed(data);
  EXPECT_EQ(bad.first_mismatch(), 777777);
  // A dropped block shifts the phase.
  PatternChecker shifted;
  shifted.Feed(PatternBytes(0, 1000));
  shifted.Feed(PatternBytes(1250, 1000));
  EXPECT_EQ(shifted.first_mismatch(), 1000);
}

TEST(LocalReplyTest, AcceptsAndRejects) {
  Response r;
  r.complete = true;
  r.status = 404;
  r.headers = {{"X-Switchyard-Local-Reply", "true"},
               {"Content-Type", "application/json; charset=utf-8"}};
  r.body = R"({"status":404,"error":"route_not_found","request_id":"abc"})";
  EXPECT_TRUE(IsLocalReply(r, 404, {"route_not_found"}));
  EXPECT_EQ(LocalReplyRequestId(r), "abc");
  EXPECT_FALSE(IsLocalReply(r, 503, {"route_not_found"}));
  EXPECT_FALSE(IsLocalReply(r, 404, {"upstream_reset"}));
  Response no_marker = r;
  no_marker.headers = {{"Content-Type", "application/json"}};
  EXPECT_FALSE(IsLocalReply(no_marker, 404, {"route_not_found"}));
  Response string_status = r;
  string_status.body = R"({"status":"404","error":"route_not_found","request_id":"abc"})";
  EXPECT_FALSE(IsLocalReply(string_status, 404, {"route_not_found"}));
  Response no_id = r;
  no_id.body = R"({"status":404,"error":"route_not_found","request_id":""})";
  EXPECT_FALSE(IsLocalReply(no_id, 404, {"route_not_found"}));
  Response text = r;
  text.headers = {{"X-Switchyard-Local-Reply", "true"}, {"Content-Type", "text/plain"}};
  EXPECT_FALSE(IsLocalReply(text, 404, {"route_not_found"}));
}

TEST(ConfigTest, SingleClusterConfigShape) {
  const std::string yaml = SingleClusterConfig({1111, 2222}, "timeout: 0.5s");
  EXPECT_NE(yaml.find("route: {cluster: c, timeout: 0.5s}"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("{address: 127.0.0.1, port: 1111}, {address: 127.0.0.1, port: 2222}"),
            std::string::npos)
      << yaml;
}

ProxyProcess::Options FakeOptions() {
  ProxyProcess::Options o;
  o.binary = RunfilePath("tests/support/fake_proxy");
  return o;
}

TEST(ProxyProcessTest, StartsServesAndStopsWithSigterm) {
  ProxyProcess proxy("ok", {"--idle_timeout=5s"}, FakeOptions());
  std::string error;
  ASSERT_TRUE(proxy.Start(&error)) << error;
  EXPECT_GT(proxy.pid(), 0);
  EXPECT_TRUE(proxy.Running());
  EXPECT_GT(proxy.PeakRssKb(), 0);
  RawClient client(proxy.port());
  ASSERT_TRUE(client.connected());
  const Response r = client.RoundTrip(SimpleGet("/"));
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, "fake");
  EXPECT_NE(proxy.StderrContents().find("fake proxy serving"), std::string::npos);
  bool saw_flag = false;
  for (const std::string& a : proxy.argv()) saw_flag |= a == "--idle_timeout=5s";
  EXPECT_TRUE(saw_flag);
  const ExitStatus st = proxy.TerminateAndWait(seconds(5));
  EXPECT_TRUE(st.exited);
  EXPECT_EQ(st.signal, 0);
  EXPECT_EQ(st.code, 0);
  EXPECT_FALSE(proxy.Running());
}

TEST(ProxyProcessTest, EarlyExitReportsStderr) {
  ProxyProcess proxy("fail", {}, FakeOptions());
  std::string error;
  EXPECT_FALSE(proxy.Start(&error));
  EXPECT_NE(error.find("exited before becoming ready"), std::string::npos) << error;
  EXPECT_NE(error.find("clusters[c].endpoints[0].port"), std::string::npos) << error;
  EXPECT_EQ(proxy.exit_status().code, 2);
}

TEST(ProxyProcessTest, RunExpectingExit) {
  setenv("SWITCHYARD_PROXY_BIN", RunfilePath("tests/support/fake_proxy").c_str(), 1);
  const RunResult bad = RunProxyExpectingExit("fail");
  EXPECT_TRUE(bad.exited_by_itself);
  EXPECT_FALSE(bad.became_ready);
  EXPECT_EQ(bad.status.code, 2);
  EXPECT_NE(bad.stderr_text.find("clusters[c].endpoints[0].port"), std::string::npos);
  const RunResult good = RunProxyExpectingExit("ok");
  EXPECT_TRUE(good.became_ready);
  EXPECT_FALSE(good.exited_by_itself);
  unsetenv("SWITCHYARD_PROXY_BIN");
}

TEST(ProxyProcessTest, NeverReadyTimesOut) {
  ProxyProcess::Options o = FakeOptions();
  o.ready_timeout = milliseconds(500);
  ProxyProcess proxy("never_ready", {}, o);
  std::string error;
  const auto start = Clock::now();
  EXPECT_FALSE(proxy.Start(&error));
  EXPECT_NE(error.find("did not write a usable port"), std::string::npos) << error;
  EXPECT_LT(Clock::now() - start, seconds(10));
  EXPECT_FALSE(proxy.Running());
}

TEST(ProxyProcessTest, SigkillAfterGracePeriod) {
  ProxyProcess::Options o = FakeOptions();
  o.stop_grace = milliseconds(300);
  ProxyProcess proxy("ignore_sigterm", {}, o);
  std::string error;
  ASSERT_TRUE(proxy.Start(&error)) << error;
  const ExitStatus st = proxy.Stop();
  EXPECT_TRUE(st.exited);
  EXPECT_EQ(st.signal, SIGKILL);
}

TEST(ProxyProcessTest, PeakRssSeesAllocation) {
  ProxyProcess proxy("alloc", {}, FakeOptions());
  std::string error;
  ASSERT_TRUE(proxy.Start(&error)) << error;
  EXPECT_GE(proxy.PeakRssKb(), 64 * 1024);
}

TEST(ProxyProcessTest, MissingBinary) {
  ProxyProcess::Options o;
  o.binary = "/nonexistent/switchyard-proxy";
  ProxyProcess proxy("x", {}, o);
  std::string error;
  EXPECT_FALSE(proxy.Start(&error));
  EXPECT_NE(error.find("not found"), std::string::npos) << error;
}

TEST(RunCommandTest, KeepsStdoutAndStderrApartAndTogether) {
  const CommandResult r = RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.started) << r.DebugString();
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.stdout_text, "out\n");
  EXPECT_EQ(r.stderr_text, "err\n");
  EXPECT_EQ(r.output.size(), 8u) << r.output;
  EXPECT_NE(r.output.find("out\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("err\n"), std::string::npos) << r.output;
}

TEST(RunCommandTest, EnvironmentIsExactlyTheOneGiven) {
  const CommandResult r =
      RunCommand({"/usr/bin/env"}, {.env = std::map<std::string, std::string>{{"ONLY", "this"}}});
  EXPECT_EQ(r.exit_code, 0) << r.DebugString();
  EXPECT_EQ(r.stdout_text, "ONLY=this\n");
}

TEST(RunCommandTest, InheritsTheEnvironmentByDefault) {
  ::setenv("SWITCHYARD_RUN_COMMAND_TEST", "inherited", 1);
  const CommandResult r = RunCommand({"/usr/bin/env"});
  EXPECT_EQ(r.exit_code, 0) << r.DebugString();
  EXPECT_NE(r.stdout_text.find("SWITCHYARD_RUN_COMMAND_TEST=inherited\n"), std::string::npos);
}

TEST(RunCommandTest, KilledAfterTheTimeout) {
  const CommandResult r = RunCommand({"/bin/sleep", "30"}, milliseconds(200));
  EXPECT_TRUE(r.timed_out) << r.DebugString();
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_LT(r.elapsed, seconds(10));
}

TEST(RunCommandTest, MissingProgramIsNotStarted) {
  const CommandResult r = RunCommand({"/nonexistent/program"});
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.output.find("/nonexistent/program"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace switchyard::testing
