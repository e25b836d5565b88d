// Request hygiene through the real proxy: Host validity, Transfer-Encoding in HTTP/1.0,
// header names with underscores, and headers that Connection may not nominate. Each test
// checks what the client gets, what the backend receives, and that the connection is
// either closed (after a 400) or still usable (when the request was served).
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::seconds;

class RequestHygieneTest : public ProxyTest {
 protected:
  void StartDefault(std::vector<std::string> flags = {}) {
    backend_ = &AddBackend("b");
    ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()}), std::move(flags)));
  }

  // Sends `bytes` on a fresh connection and checks the 400 contract: a local reply, the
  // connection closed with nothing after it, nothing forwarded, and the proxy still
  // serving other connections.
  void ExpectRejected(const std::string& bytes, const std::string& what) {
    const size_t before = backend_->request_count();
    RawClient client = Connect();
    ASSERT_TRUE(client.connected());
    client.Send(bytes);  // the proxy may answer and close before reading all of it
    const Response r = client.ReadResponse();
    EXPECT_TRUE(IsLocalReply(r, 400, {"bad_request"})) << what;
    const RawClient::CloseResult closed = client.WaitForClose(seconds(5));
    EXPECT_TRUE(closed.closed) << "connection left open after a 400 for " << what;
    EXPECT_TRUE(closed.data.empty()) << what << ": bytes after the 400: " << closed.data;
    EXPECT_EQ(backend_->request_count(), before) << what << " was forwarded";
    const Response ok = Get("/after");
    ASSERT_TRUE(ok.ok()) << ok.DebugString();
    EXPECT_EQ(ok.status, 200);
  }

  // Sends `request` and then a plain GET on the same connection; both must be served.
  // Returns what the backend received for the first one.
  ReceivedRequest ServedThenReused(const std::string& request) {
    const size_t before = backend_->request_count();
    RawClient client = Connect();
    EXPECT_TRUE(client.connected());
    const Response first = client.RoundTrip(request);
    EXPECT_TRUE(first.ok() && first.status == 200) << first.DebugString();
    const Response second = client.RoundTrip(SimpleGet("/second"));
    EXPECT_TRUE(second.ok() && second.status == 200) << second.DebugString();
    EXPECT_EQ(backend_->request_count(), before + 2);
    const std::vector<ReceivedRequest> reqs = backend_->requests();
    if (reqs.size() < before + 2) return {};
    EXPECT_EQ(reqs[before + 1].target, "/second");
    return reqs[before];
  }

  TestBackend* backend_ = nullptr;
};

TEST_F(RequestHygieneTest, InvalidHostIs400AndClose) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  for (const char* host :
       {"a b", "acl.test/x", "evil.com@acl.test", "acl.test:99999", "[::1", "acl.test:8o"}) {
    ExpectRejected(BuildRequest("GET", "/", {{"Host", host}}), std::string("Host: ") + host);
  }
  // HTTP/1.0 requests may omit Host, but one they send must be valid too.
  ExpectRejected("GET / HTTP/1.0\r\nHost: acl.test/x\r\n\r\n", "HTTP/1.0 with Host acl.test/x");
}

TEST_F(RequestHygieneTest, DuplicateOrMissingHostIs400AndClose) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  ExpectRejected(BuildRequest("GET", "/", {{"Host", "example.com"}, {"Host", "example.com"}}),
                 "two identical Hosts");
  ExpectRejected(BuildRequest("GET", "/", {{"Host", "example.com"}, {"Host", "other.com"}}),
                 "two different Hosts");
  ExpectRejected(BuildRequest("GET", "/", {{"X-A", "b"}}), "HTTP/1.1 without Host");
}

TEST_F(RequestHygieneTest, ValidHostFormsAreServedAndForwardedUnchanged) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  for (const char* host : {"acl.test", "acl.test:8080", "127.0.0.1:65535", "[::1]:8443"}) {
    const ReceivedRequest req = ServedThenReused(BuildRequest("GET", "/h", {{"Host", host}}));
    EXPECT_EQ(req.headers.GetAll("host"), std::vector<std::string>{host});
  }
}

TEST_F(RequestHygieneTest, Http10WithTransferEncodingIs400AndClose) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  ExpectRejected(
      "POST /x HTTP/1.0\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.0 chunked");
  ExpectRejected(
      "POST /x HTTP/1.0\r\nHost: example.com\r\nConnection: keep-alive\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.0 keep-alive chunked");
}

TEST_F(RequestHygieneTest, Http10WithContentLengthStillWorks) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  RawClient client = Connect();
  const Response r = client.RoundTrip(
      "POST /x HTTP/1.0\r\nHost: example.com\r\nConnection: keep-alive\r\n"
      "Content-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.status, 200);
  const Response again =
      client.RoundTrip("GET /y HTTP/1.0\r\nHost: example.com\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(again.ok()) << again.DebugString();
  ASSERT_EQ(backend_->request_count(), 2u);
  EXPECT_EQ(backend_->requests()[0].body, "hello");
}

const Headers kUnderscoreHeaders = {{"Host", "example.com"},   {"Transfer_Encoding", "chunked"},
                                    {"Content_Length", "100"}, {"X_Custom", "u"},
                                    {"X-Normal", "n"},         {"Content-Length", "5"}};

TEST_F(RequestHygieneTest, UnderscoreHeadersAreDroppedByDefault) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  const ReceivedRequest req =
      ServedThenReused(BuildRequest("POST", "/u", kUnderscoreHeaders, "hello"));
  for (const char* name : {"transfer_encoding", "content_length", "x_custom"}) {
    EXPECT_FALSE(req.headers.Has(name)) << name << " was forwarded:\n" << req.raw_head;
  }
  EXPECT_EQ(req.headers.Get("x-normal"), "n");
  EXPECT_EQ(req.body, "hello");
  EXPECT_TRUE(req.body_complete);
}

TEST_F(RequestHygieneTest, UnderscoreHeadersAllowedByFlag) {
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--headers_with_underscores=allow"}));
  const ReceivedRequest req =
      ServedThenReused(BuildRequest("POST", "/u", kUnderscoreHeaders, "hello"));
  EXPECT_EQ(req.headers.Get("transfer_encoding"), "chunked") << req.raw_head;
  EXPECT_EQ(req.headers.Get("content_length"), "100") << req.raw_head;
  EXPECT_EQ(req.headers.Get("x_custom"), "u") << req.raw_head;
  // They are not framing: the body is the 5 bytes Content-Length announced.
  EXPECT_EQ(req.body, "hello");
}

TEST_F(RequestHygieneTest, UnderscoreHeadersRejectedByFlag) {
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--headers_with_underscores=reject"}));
  ExpectRejected(BuildRequest("POST", "/u", kUnderscoreHeaders, "hello"), "underscore headers");
  // Names without '_' are untouched by the policy.
  const ReceivedRequest req =
      ServedThenReused(BuildRequest("GET", "/plain", {{"Host", "example.com"}, {"X-Normal", "n"}}));
  EXPECT_EQ(req.headers.Get("x-normal"), "n");
}

// HTTP/2 requests follow the same policy: curl over h2c (prior knowledge) sends the
// fields as they are.
TEST_F(RequestHygieneTest, UnderscoreHeadersOverHttp2FollowThePolicy) {
  for (const std::string policy : {"drop", "reject"}) {
    SCOPED_TRACE(policy);
    ASSERT_NO_FATAL_FAILURE(StartDefault({"--headers_with_underscores=" + policy}));
    const size_t before = backend_->request_count();
    const CommandResult r =
        RunCommand({"/usr/bin/curl", "-sS", "--http2-prior-knowledge", "--max-time", "10", "-o",
                    "/dev/null", "-w", "%{http_code}", "-H", "X_Custom: u", "-H", "X-Normal: n",
                    "http://127.0.0.1:" + std::to_string(proxy_port()) + "/u"},
                   seconds(20));
    if (policy == "drop") {
      EXPECT_EQ(r.stdout_text, "200") << r.DebugString();
      ASSERT_EQ(backend_->request_count(), before + 1);
      const ReceivedRequest req = backend_->requests().back();
      EXPECT_FALSE(req.headers.Has("x_custom")) << req.raw_head;
      EXPECT_EQ(req.headers.Get("x-normal"), "n");
    } else {
      // The stream is refused (RST_STREAM PROTOCOL_ERROR) and nothing is forwarded.
      EXPECT_NE(r.stdout_text, "200") << r.DebugString();
      EXPECT_EQ(backend_->request_count(), before);
    }
    proxy().Stop();
  }
}

// Upgrade: h2c is an old smuggling path (a proxy that passes it on can let a client
// speak HTTP/2 straight to the backend, past the proxy's routing and checks): the
// upgrade is not performed, and neither Upgrade nor HTTP2-Settings reaches the backend.
TEST_F(RequestHygieneTest, AnH2cUpgradeIsStrippedAndServedAsHttp11) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  const ReceivedRequest req =
      ServedThenReused(BuildRequest("GET", "/h2c",
                                    {{"Host", "example.com"},
                                     {"Connection", "Upgrade, HTTP2-Settings"},
                                     {"Upgrade", "h2c"},
                                     {"HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"}}));
  EXPECT_FALSE(req.headers.Has("upgrade")) << req.raw_head;
  EXPECT_FALSE(req.headers.Has("http2-settings")) << req.raw_head;
  // Without Connection naming it, HTTP2-Settings alone is still not forwarded.
  const ReceivedRequest alone = ServedThenReused(
      BuildRequest("GET", "/h2c",
                   {{"Host", "example.com"}, {"Upgrade", "h2c"}, {"HTTP2-Settings", "AAMAAABk"}}));
  EXPECT_FALSE(alone.headers.Has("upgrade")) << alone.raw_head;
  EXPECT_FALSE(alone.headers.Has("http2-settings")) << alone.raw_head;
}

TEST(RequestHygieneFlagsTest, BadUnderscorePolicyIsRefusedAtStart) {
  const RunResult run = RunProxyExpectingExit(SingleClusterConfig({9}),
                                              {"--headers_with_underscores=maybe"}, seconds(10));
  EXPECT_FALSE(run.became_ready);
  EXPECT_TRUE(run.exited_by_itself) << run.status.DebugString();
  EXPECT_NE(run.status.code, 0);
  EXPECT_EQ(run.status.signal, 0) << "crashed instead of exiting";
  EXPECT_NE(run.stderr_text.find("--headers_with_underscores"), std::string::npos)
      << run.stderr_text;
}

TEST_F(RequestHygieneTest, ConnectionCannotRemoveHostOrForwardingHeaders) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  const ReceivedRequest req = ServedThenReused(
      BuildRequest("GET", "/c",
                   {{"Host", "example.com"},
                    {"Connection", "host, x-forwarded-for, X-Request-Id, via, x-hop"},
                    {"X-Forwarded-For", "203.0.113.7"},
                    {"X-Request-Id", "rid-kept"},
                    {"Via", "1.0 front"},
                    {"X-Hop", "removed"}}));
  EXPECT_EQ(req.headers.GetAll("host"), std::vector<std::string>{"example.com"}) << req.raw_head;
  EXPECT_EQ(req.headers.Joined("x-forwarded-for"), "203.0.113.7, 127.0.0.1") << req.raw_head;
  EXPECT_EQ(req.headers.GetAll("x-request-id"), std::vector<std::string>{"rid-kept"});
  EXPECT_EQ(req.headers.Joined("via"), "1.0 front");
  // Nomination still removes everything else.
  EXPECT_FALSE(req.headers.Has("x-hop")) << req.raw_head;
}

TEST_F(RequestHygieneTest, ResponseConnectionCannotRemoveViaOrRequestId) {
  backend_ = &AddBackend("b", [](BackendExchange& ex) {
    ex.Reply(200, "ok",
             {{"Connection", "via, x-request-id, x-resp-hop"},
              {"Via", "1.1 backend"},
              {"X-Request-Id", "rid-resp"},
              {"X-Resp-Hop", "removed"}});
  });
  ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()})));
  RawClient client = Connect();
  const Response r = client.RoundTrip(SimpleGet("/"));
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.headers.Joined("via"), "1.1 backend");
  EXPECT_EQ(r.headers.Joined("x-request-id"), "rid-resp");
  EXPECT_FALSE(r.headers.Has("x-resp-hop"));
  const Response again = client.RoundTrip(SimpleGet("/again"));
  ASSERT_TRUE(again.ok()) << again.DebugString();
  EXPECT_EQ(again.status, 200);
}

}  // namespace
}  // namespace switchyard::testing
