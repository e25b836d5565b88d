// HTTP/1.1 semantics through the proxy: body framing on the way up and down, keep-alive on
// both sides, pipelining, bodiless responses (HEAD, 204, 304) and 1xx relaying.
#include <atomic>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/pattern.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class HttpSemanticsTest : public ProxyTest {
 protected:
  TestBackend& StartWith(TestBackend::Handler handler, BackendOptions options = {},
                         std::vector<std::string> flags = {}) {
    TestBackend& b = AddBackend("b", std::move(handler), options);
    started_ = StartProxy(SingleClusterConfig({b.port()}), std::move(flags));
    return b;
  }
  ::testing::AssertionResult started_ = ::testing::AssertionFailure();
};

void Echo(BackendExchange& ex) {
  ex.Reply(200, ex.request().body, {{"X-Target", ex.request().target}});
}

TEST_F(HttpSemanticsTest, ContentLengthBodyIsForwardedWithContentLength) {
  TestBackend& b = StartWith(Echo);
  ASSERT_TRUE(started_);
  const std::string body = PatternBytes(0, 100000);
  const Response r = RoundTrip(BuildRequest(
      "POST", "/cl", {{"Host", "example.com"}, {"Content-Length", std::to_string(body.size())}},
      body));
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body == body) << "echoed body differs";
  const ReceivedRequest req = b.requests().at(0);
  EXPECT_EQ(req.content_length, body.size());
  EXPECT_FALSE(req.chunked);
  EXPECT_TRUE(req.body == body) << "body at backend differs";
  EXPECT_EQ(req.headers.Count("content-length"), 1u);
}

TEST_F(HttpSemanticsTest, EmptyContentLengthBody) {
  TestBackend& b = StartWith(Echo);
  ASSERT_TRUE(started_);
  const Response r =
      RoundTrip(BuildRequest("POST", "/empty", {{"Host", "example.com"}, {"Content-Length", "0"}}));
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 200);
  const ReceivedRequest req = b.requests().at(0);
  EXPECT_TRUE(req.body_complete);
  EXPECT_EQ(req.body, "");
  EXPECT_FALSE(req.chunked);
}

TEST_F(HttpSemanticsTest, ChunkedBodyIsForwardedChunkedWithIdenticalContent) {
  TestBackend& b = StartWith(Echo);
  ASSERT_TRUE(started_);
  const std::string a = PatternBytes(0, 1);
  const std::string c = PatternBytes(1, 70000);
  const std::string d = PatternBytes(70001, 4096);
  auto hex = [](size_t n) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%zx", n);
    return std::string(buf);
  };
  const std::string chunks = hex(a.size()) + "\r\n" + a + "\r\n" + hex(c.size()) +
                             ";name=value\r\n" + c + "\r\n" + hex(d.size()) + "\r\n" + d +
                             "\r\n0\r\n\r\n";
  const Response r = RoundTrip(BuildRequest(
      "POST", "/chunked", {{"Host", "example.com"}, {"Transfer-Encoding", "chunked"}}, chunks));
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 200);
  const ReceivedRequest req = b.requests().at(0);
  EXPECT_TRUE(req.chunked) << req.raw_head;
  EXPECT_FALSE(req.headers.Has("content-length")) << req.raw_head;
  EXPECT_EQ(req.headers.Joined("transfer-encoding"), "chunked");
  EXPECT_TRUE(req.body == a + c + d) << "de-chunked body differs (" << req.body.size() << " bytes)";
}

TEST_F(HttpSemanticsTest, ChunkedResponseArrivesIntact) {
  StartWith([](BackendExchange& ex) { ex.StreamPatternResponse(200, 3000000, /*chunked=*/true); });
  ASSERT_TRUE(started_);
  PatternChecker checker;
  ReadOptions opts;
  opts.body_sink = [&](std::string_view d) { checker.Feed(d); };
  const Response r = RoundTrip(SimpleGet("/"), opts);
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(checker.bytes(), 3000000u);
  EXPECT_TRUE(checker.ok()) << "first mismatch at " << checker.first_mismatch();
}

TEST_F(HttpSemanticsTest, ReadUntilCloseResponseArrivesIntact) {
  StartWith([](BackendExchange& ex) {
    ex.SendHead(200, {{"Connection", "close"}});
    ex.SendPatternBody(500000, /*chunked=*/false);
    ex.CloseNow();
  });
  ASSERT_TRUE(started_);
  PatternChecker checker;
  ReadOptions opts;
  opts.body_sink = [&](std::string_view d) { checker.Feed(d); };
  const Response r = RoundTrip(SimpleGet("/"), opts);
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(checker.bytes(), 500000u);
  EXPECT_TRUE(checker.ok());
}

// Chunked trailers end the body where they should and are forwarded in the upstream
// request's own last chunk, less the fields a trailer section must not carry; the
// backend then sees the next request on the same connection.
TEST_F(HttpSemanticsTest, RequestTrailersAreForwardedLessForbiddenFields) {
  TestBackend& b = StartWith(Echo, {}, {"--workers=1"});
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  ASSERT_TRUE(
      client.Send("POST /t HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "3\r\nabc\r\n0\r\nX-Checksum: c1\r\nHost: evil.test\r\n"
                  "Content-Type: text/evil\r\n\r\n"));
  const Response first = client.ReadResponse();
  ASSERT_TRUE(first.ok()) << first.DebugString();
  EXPECT_EQ(first.body, "abc");
  const Response second = client.RoundTrip(SimpleGet("/after"));
  ASSERT_TRUE(second.ok()) << second.DebugString();
  // requests() returns a copy: keep it, not a reference into a temporary.
  const std::vector<ReceivedRequest> requests = b.requests();
  ASSERT_EQ(requests.size(), 2u);
  const ReceivedRequest& forwarded = requests[0];
  EXPECT_TRUE(forwarded.body_complete);
  EXPECT_TRUE(forwarded.chunked);
  EXPECT_EQ(forwarded.trailers.Joined("x-checksum"), "c1");
  EXPECT_FALSE(forwarded.trailers.Has("host"));
  EXPECT_FALSE(forwarded.trailers.Has("content-type"));
  EXPECT_FALSE(forwarded.headers.Has("x-checksum"));
  EXPECT_EQ(requests[1].target, "/after");
  EXPECT_EQ(requests[1].connection_id, forwarded.connection_id);
}

TEST_F(HttpSemanticsTest, ResponseTrailersAreForwardedAndTheConnectionStaysUsable) {
  StartWith([](BackendExchange& ex) {
    ex.Send(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "2\r\nok\r\n0\r\nGrpc-Status: 0\r\nContent-Type: text/evil\r\n\r\n");
  });
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  for (int i = 0; i < 3; ++i) {
    const Response r = client.RoundTrip(SimpleGet("/"));
    ASSERT_TRUE(r.ok()) << r.DebugString();
    EXPECT_EQ(r.body, "ok");
    EXPECT_TRUE(r.chunked);
    EXPECT_EQ(r.trailers.Joined("grpc-status"), "0");
    EXPECT_FALSE(r.trailers.Has("content-type"));
    EXPECT_FALSE(r.headers.Has("grpc-status"));
  }
  // An HTTP/1.0 client reads to the connection's end: no chunks, so no trailers.
  const Response old = RoundTrip("GET / HTTP/1.0\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(old.ok()) << old.DebugString();
  EXPECT_EQ(old.body, "ok");
  EXPECT_FALSE(old.chunked);
  EXPECT_TRUE(old.trailers.empty());
}

TEST_F(HttpSemanticsTest, KeepAliveOnBothSides) {
  TestBackend& b = StartWith(Echo, {}, {"--workers=1"});
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  for (int i = 0; i < 5; ++i) {
    // Bodies of both framings must not cost the upstream connection either.
    const std::string target = "/k" + std::to_string(i);
    const std::string request =
        i == 1   ? BuildRequest("POST", target, {{"Host", "example.com"}, {"Content-Length", "4"}},
                                "body")
        : i == 3 ? BuildRequest("POST", target,
                                {{"Host", "example.com"}, {"Transfer-Encoding", "chunked"}},
                                "4\r\nbody\r\n0\r\n\r\n")
                 : SimpleGet(target);
    const Response r = client.RoundTrip(request);
    ASSERT_TRUE(r.ok()) << r.DebugString();
    EXPECT_EQ(r.headers.Get("x-target"), target);
    EXPECT_EQ(r.body, i == 1 || i == 3 ? "body" : "");
  }
  // New client connections, one after another, reuse the pooled upstream connection.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Get("/n").ok());
  EXPECT_EQ(b.connections_accepted(), 1);
  EXPECT_EQ(b.request_count(), 10u);
}

TEST_F(HttpSemanticsTest, PipelinedRequestsAreAnsweredInOrder) {
  StartWith([](BackendExchange& ex) {
    // The first request is the slowest, so answering in arrival-of-response order would
    // visibly reorder them.
    if (ex.request().target == "/1") ex.Delay(milliseconds(300));
    Echo(ex);
  });
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  ASSERT_TRUE(client.Send(
      SimpleGet("/1") +
      BuildRequest("POST", "/2", {{"Host", "example.com"}, {"Content-Length", "3"}}, "two") +
      BuildRequest("HEAD", "/3", {{"Host", "example.com"}}) + SimpleGet("/4")));
  for (const char* target : {"/1", "/2", "/3", "/4"}) {
    ReadOptions opts;
    opts.head_request = std::string(target) == "/3";
    const Response r = client.ReadResponse(opts);
    ASSERT_TRUE(r.ok()) << target << ": " << r.DebugString();
    EXPECT_EQ(r.headers.Get("x-target"), target);
    if (std::string(target) == "/2") {
      EXPECT_EQ(r.body, "two");
    }
  }
  EXPECT_TRUE(client.StaysOpenFor(milliseconds(100)));
}

TEST_F(HttpSemanticsTest, HeadResponseHasNoBody) {
  StartWith([](BackendExchange& ex) { ex.Reply(200, "twelve bytes", {{"X-Target", "t"}}); });
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  ASSERT_TRUE(client.Send(BuildRequest("HEAD", "/", {{"Host", "example.com"}})));
  ReadOptions head;
  head.head_request = true;
  const Response r = client.ReadResponse(head);
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("content-length"), "12");
  // Had the proxy sent a body, it would now be parsed as the next response.
  const Response next = client.RoundTrip(SimpleGet("/"));
  ASSERT_TRUE(next.ok()) << next.DebugString();
  EXPECT_EQ(next.body, "twelve bytes");
}

TEST_F(HttpSemanticsTest, NoContentAndNotModifiedHaveNoBody) {
  StartWith([](BackendExchange& ex) {
    if (ex.request().target == "/204") {
      ex.Reply(204, "", {{"X-Target", "/204"}});
    } else if (ex.request().target == "/304") {
      // A 304 may carry the Content-Length of the representation; it still has no body.
      ex.SendHead(304, {{"ETag", "\"v1\""}, {"Content-Length", "100"}, {"X-Target", "/304"}});
    } else {
      Echo(ex);
    }
  });
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  for (const char* target : {"/204", "/304", "/after"}) {
    const Response r = client.RoundTrip(
        BuildRequest("GET", target, {{"Host", "example.com"}, {"If-None-Match", "\"v1\""}}));
    ASSERT_TRUE(r.ok()) << target << ": " << r.DebugString();
    EXPECT_EQ(r.headers.Get("x-target"), target);
    EXPECT_EQ(r.body, "");
    EXPECT_FALSE(r.chunked) << target;
  }
}

TEST_F(HttpSemanticsTest, ExpectContinueIsRelayedBeforeTheBody) {
  TestBackend& b = StartWith(
      [](BackendExchange& ex) {
        ex.SendInterim(100);
        const std::string body = ex.ReadBody();
        ex.Reply(200, "got " + body);
      },
      {.read_body_first = false});
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  ASSERT_TRUE(client.Send(BuildRequest(
      "PUT", "/upload",
      {{"Host", "example.com"}, {"Expect", "100-continue"}, {"Content-Length", "7"}})));
  ReadOptions interim;
  interim.stop_at_interim = true;
  interim.timeout = seconds(5);
  const Response cont = client.ReadResponse(interim);
  ASSERT_TRUE(cont.ok()) << "no 100 Continue before the body was sent: " << cont.DebugString();
  EXPECT_EQ(cont.status, 100);
  ASSERT_TRUE(client.Send("payload"));
  const Response r = client.ReadResponse();
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "got payload");
  EXPECT_TRUE(r.interim.empty()) << "a second 100 was sent";
  EXPECT_EQ(b.requests().at(0).body, "payload");
}

TEST_F(HttpSemanticsTest, EarlyHintsAreRelayedBeforeTheFinalResponse) {
  StartWith([](BackendExchange& ex) {
    ex.SendInterim(103, {{"Link", "</style.css>; rel=preload; as=style"}});
    ex.Reply(200, "final");
  });
  ASSERT_TRUE(started_);
  const Response r = Get("/");
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "final");
  ASSERT_EQ(r.interim.size(), 1u);
  EXPECT_EQ(r.interim[0].status, 103);
  EXPECT_EQ(r.interim[0].headers.Get("link"), "</style.css>; rel=preload; as=style");
}

TEST_F(HttpSemanticsTest, ClientConnectionCloseIsHonoured) {
  StartWith(Echo);
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  const Response r = client.RoundTrip(
      BuildRequest("GET", "/bye", {{"Host", "example.com"}, {"Connection", "close"}}));
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("x-target"), "/bye");
  EXPECT_TRUE(client.WaitForClose(seconds(5)).closed);
}

TEST_F(HttpSemanticsTest, UpstreamConnectionCloseIsNotReused) {
  TestBackend& b = StartWith(
      [](BackendExchange& ex) {
        ex.Reply(200, "once", {{"Connection", "close"}});
      },
      {}, {"--workers=1"});
  ASSERT_TRUE(started_);
  RawClient client = Connect();
  for (int i = 0; i < 3; ++i) {
    const Response r = client.RoundTrip(SimpleGet("/"));
    ASSERT_TRUE(r.ok()) << "request " << i << ": " << r.DebugString();
    EXPECT_EQ(r.body, "once");
  }
  EXPECT_EQ(b.connections_accepted(), 3);
}

}  // namespace
}  // namespace switchyard::testing
