// HTTP/2 towards clients, h2c with prior knowledge on --listen, with curl as the client a
// user would use: requests are routed, transformed and answered as HTTP/1.1 ones are;
// bodies cross in both directions whole; many streams share one connection; the
// gateway's own answers are HTTP/2 responses; HTTP/1.1 on the same port is unaffected.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/h2_frames.h"
#include "tests/support/http_message.h"
#include "tests/support/metrics_page.h"
#include "tests/support/poll.h"
#include "tests/support/proxy_test.h"
#include "tests/support/raw_client.h"

namespace switchyard::testing {
namespace {

using std::chrono::seconds;

// A deterministic body of `size` bytes.
std::string Pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return out;
}

class Http2Test : public ProxyTest {
 protected:
  void SetUp() override { dir_ = MakeTempDir("http2"); }

  void Start(TestBackend::Handler handler = nullptr) {
    backend_ = &AddBackend("b", std::move(handler));
    ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()}), {"--admin=127.0.0.1:0"}));
  }
  // One virtual host for "known.test" only: a request to 127.0.0.1:port matches no route.
  void StartWithOnlyKnownTest() {
    backend_ = &AddBackend("b");
    ASSERT_TRUE(StartProxy(R"yaml(
virtual_hosts:
  - name: v
    domains: ["known.test"]
    routes: [{name: r, match: {prefix: /}, route: {cluster: c}}]
clusters:
  - {name: c, endpoints: [{address: 127.0.0.1, port: )yaml" +
                           std::to_string(backend_->port()) + "}]}\n"));
  }
  std::string Url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(proxy_port()) + path;
  }
  // curl over h2c with prior knowledge; `extra` before the URLs. Output to files in dir_.
  CommandResult Curl(std::vector<std::string> extra, const std::vector<std::string>& urls) {
    std::vector<std::string> argv = {"/usr/bin/curl", "-sS", "--http2-prior-knowledge",
                                     "--max-time", "30"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.insert(argv.end(), urls.begin(), urls.end());
    return RunCommand(argv, seconds(60));
  }
  int64_t Metric(const std::string& series) {
    RawClient admin(proxy().admin_port());
    return MetricValue(admin.RoundTrip(SimpleGet("/metrics", "admin")).body, series);
  }

  std::string dir_;
  TestBackend* backend_ = nullptr;
};

TEST_F(Http2Test, AGetIsRoutedWithTheProxysHeadersAndComesBackAsHttp2) {
  ASSERT_NO_FATAL_FAILURE(Start([](BackendExchange& ex) { ex.Reply(200, "hello from b"); }));
  const CommandResult r =
      Curl({"-D", dir_ + "/head", "-o", dir_ + "/body", "-w", "%{http_version} %{response_code}",
            "-H", "cookie: a=1", "-H", "cookie: b=2"},
           {Url("/some/path?q=1")});
  ASSERT_EQ(r.exit_code, 0) << r.DebugString();
  EXPECT_EQ(r.stdout_text, "2 200");
  EXPECT_EQ(ReadFile(dir_ + "/body"), "hello from b");
  const std::string head = ReadFile(dir_ + "/head");
  EXPECT_NE(head.find("content-length: 12"), std::string::npos) << head;

  const auto requests = backend_->requests();
  ASSERT_EQ(requests.size(), 1u);
  const ReceivedRequest& seen = requests[0];
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/some/path?q=1");
  EXPECT_EQ(seen.headers.Joined("host"), "127.0.0.1:" + std::to_string(proxy_port()));
  EXPECT_EQ(seen.headers.Joined("x-forwarded-for"), "127.0.0.1");
  EXPECT_EQ(seen.headers.Joined("cookie"), "a=1; b=2");  // one field, as HTTP/1.1 wants
  EXPECT_FALSE(seen.headers.Has(":authority"));
  EXPECT_EQ(Metric(R"(switchyard_downstream_connections_total{protocol="http2"})"), 1);
}

TEST_F(Http2Test, LargeBodiesCrossWholeInBothDirections) {
  const std::string upload = Pattern(3 * 1024 * 1024 + 17);
  const std::string download = Pattern(5 * 1024 * 1024 + 3);
  ASSERT_NO_FATAL_FAILURE(Start([&](BackendExchange& ex) {
    const std::string& body = ex.ReadBody();
    ex.Reply(200, body == upload ? download : "mismatch");
  }));
  ASSERT_TRUE(WriteFile(dir_ + "/upload", upload));
  const CommandResult r =
      Curl({"--data-binary", "@" + dir_ + "/upload", "-o", dir_ + "/out", "-w", "%{response_code}"},
           {Url("/echo")});
  ASSERT_EQ(r.exit_code, 0) << r.DebugString();
  EXPECT_EQ(r.stdout_text, "200");
  const std::string got = ReadFile(dir_ + "/out");
  EXPECT_EQ(got.size(), download.size());
  EXPECT_TRUE(got == download) << "the response body differs";
  const auto requests = backend_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.Joined("content-length"), std::to_string(upload.size()));
}

// h2load (nghttp2's load generator) as the client: curl 7.88 cannot multiplex with prior
// knowledge (its bug #10634), h2load does by design.
// Chunked trailers from an HTTP/1.1 backend become the HTTP/2 response's trailers: a
// HEADERS frame after the body that ends the stream (curl's -D writes them after the
// head), less the fields a trailer section must not carry.
TEST_F(Http2Test, ResponseTrailersBecomeHttp2Trailers) {
  ASSERT_NO_FATAL_FAILURE(Start([](BackendExchange& ex) {
    ex.Send(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n0\r\nX-Checksum: c1\r\nGrpc-Status: 0\r\nContent-Type: text/evil\r\n\r\n");
  }));
  const CommandResult r =
      Curl({"-D", dir_ + "/head", "-o", dir_ + "/body", "-w", "%{http_version} %{response_code}"},
           {Url("/t")});
  ASSERT_EQ(r.exit_code, 0) << r.DebugString();
  EXPECT_EQ(r.stdout_text, "2 200");
  EXPECT_EQ(ReadFile(dir_ + "/body"), "hello");
  const std::string head = ReadFile(dir_ + "/head");
  const size_t blank = head.find("\r\n\r\n");
  ASSERT_NE(blank, std::string::npos) << head;
  const std::string trailers = head.substr(blank + 4);
  EXPECT_NE(trailers.find("x-checksum: c1"), std::string::npos) << head;
  EXPECT_NE(trailers.find("grpc-status: 0"), std::string::npos) << head;
  EXPECT_EQ(head.find("text/evil"), std::string::npos) << head;
}

// An HTTP/2 request's trailers (a second HEADERS frame ending the stream) go upstream in
// the chunked body's last chunk, less the fields a trailer section must not carry.
TEST_F(Http2Test, RequestTrailersGoUpstreamInTheLastChunk) {
  ASSERT_NO_FATAL_FAILURE(Start([](BackendExchange& ex) { ex.Reply(200, ex.ReadBody()); }));
  RawClient client(proxy_port());
  ASSERT_TRUE(client.connected());
  h2::HpackEncoder hpack;
  std::vector<std::pair<std::string, std::string>> head = h2::Get("/upload");
  head[0].second = "POST";  // :method
  client.Send(h2::ClientPreface() +
              h2::Frame(h2::kHeaders, h2::kEndHeaders, 1, hpack.Encode(head)) +
              h2::Frame(h2::kData, 0, 1, "abc") +
              h2::Frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1,
                        hpack.Encode({{"x-checksum", "c1"}, {"content-type", "text/evil"}})));
  ASSERT_TRUE(backend_->WaitForRequests(1, seconds(10)));
  ASSERT_TRUE(PollUntil([&] { return backend_->completed_request_count() == 1; }));
  const std::vector<ReceivedRequest> requests = backend_->requests();
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].body, "abc");
  EXPECT_TRUE(requests[0].chunked);
  EXPECT_EQ(requests[0].trailers.Joined("x-checksum"), "c1");
  EXPECT_FALSE(requests[0].trailers.Has("content-type"));
}

TEST_F(Http2Test, ManyStreamsShareOneConnection) {
  ASSERT_NO_FATAL_FAILURE(
      Start([](BackendExchange& ex) { ex.Reply(200, "stream " + ex.request().target); }));
  const CommandResult r = RunCommand(
      {"/usr/bin/h2load", "-n", "400", "-c", "1", "-m", "20", Url("/a"), Url("/b")}, seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.DebugString();
  EXPECT_NE(r.stdout_text.find("400 succeeded, 0 failed, 0 errored"), std::string::npos)
      << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("status codes: 400 2xx"), std::string::npos) << r.stdout_text;
  EXPECT_EQ(backend_->request_count(), 400u);
  size_t a = 0;
  for (const ReceivedRequest& seen : backend_->requests()) a += seen.target == "/a" ? 1 : 0;
  EXPECT_EQ(a, 200u);
  EXPECT_EQ(Metric(R"(switchyard_requests_total{virtual_host="vh",route="r",class="2xx"})"), 400);
  EXPECT_EQ(Metric(R"(switchyard_downstream_connections_total{protocol="http2"})"), 1);
}

TEST_F(Http2Test, TheGatewaysOwnAnswersAreHttp2Responses) {
  ASSERT_NO_FATAL_FAILURE(StartWithOnlyKnownTest());
  const CommandResult r =
      Curl({"-D", dir_ + "/head", "-o", dir_ + "/body", "-w", "%{http_version} %{response_code}"},
           {Url("/nowhere")});  // authority 127.0.0.1:port matches no virtual host
  ASSERT_EQ(r.exit_code, 0) << r.DebugString();
  EXPECT_EQ(r.stdout_text, "2 404");
  EXPECT_NE(ReadFile(dir_ + "/head").find("x-switchyard-local-reply: true"), std::string::npos);
  EXPECT_NE(ReadFile(dir_ + "/body").find("\"error\":\"route_not_found\""), std::string::npos)
      << ReadFile(dir_ + "/body");
  EXPECT_EQ(backend_->request_count(), 0u);
}

// A gRPC client cannot read a JSON page: the gateway's own answer to a gRPC call is a
// trailers-only response (one HEADERS frame ending the stream) with a gRPC status.
TEST_F(Http2Test, TheGatewaysOwnAnswerToAGrpcCallIsAGrpcStatus) {
  ASSERT_NO_FATAL_FAILURE(StartWithOnlyKnownTest());
  const CommandResult r =
      Curl({"-D", dir_ + "/head", "-o", dir_ + "/body", "-w",
            "%{http_version} %{response_code} %{size_download}", "-H",
            "content-type: application/grpc", "-H", "te: trailers", "--data-binary", "@/dev/null"},
           {Url("/pkg.Greeter/SayHello")});
  ASSERT_EQ(r.exit_code, 0) << r.DebugString();
  EXPECT_EQ(r.stdout_text, "2 200 0");
  const std::string head = ReadFile(dir_ + "/head");
  EXPECT_NE(head.find("grpc-status: 12\r\n"), std::string::npos) << head;  // UNIMPLEMENTED
  EXPECT_NE(head.find("grpc-message: no route matches this host and path\r\n"), std::string::npos)
      << head;
  EXPECT_NE(head.find("content-type: application/grpc\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("x-switchyard-local-reply: true"), std::string::npos) << head;

  // On the wire: HEADERS with END_STREAM, and no DATA.
  RawClient client(proxy_port());
  ASSERT_TRUE(client.connected());
  std::vector<std::pair<std::string, std::string>> fields = h2::Get("/pkg.Greeter/SayHello");
  fields.emplace_back("content-type", "application/grpc");
  client.Send(h2::ClientPreface() + h2::Frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1,
                                              h2::LiteralHeaderBlock(fields)));
  std::vector<h2::ReceivedFrame> frames;
  std::string received;
  const auto deadline = Clock::now() + seconds(10);
  bool ended = false;
  while (!ended && Clock::now() < deadline) {
    received += client.ReadAvailable(std::chrono::milliseconds(100));
    frames = h2::ParseFrames(received);
    for (const h2::ReceivedFrame& f : frames) {
      ended = ended || (f.stream_id == 1 && (f.flags & h2::kEndStream) != 0);
    }
  }
  ASSERT_TRUE(ended);
  std::vector<uint8_t> stream_frames;
  for (const h2::ReceivedFrame& f : frames) {
    if (f.stream_id == 1) stream_frames.push_back(f.type);
  }
  EXPECT_EQ(stream_frames, std::vector<uint8_t>{h2::kHeaders});
  EXPECT_EQ(backend_->request_count(), 0u);
}

TEST_F(Http2Test, Http1OnTheSamePortIsToldApartFromThePreface) {
  ASSERT_NO_FATAL_FAILURE(Start([](BackendExchange& ex) { ex.Reply(200, ex.ReadBody()); }));
  RawClient client = Connect();
  // "P" could begin the preface or a POST: the proxy waits for more before deciding.
  ASSERT_TRUE(client.Send("P"));
  ASSERT_TRUE(client.StaysOpenFor(std::chrono::milliseconds(100)));
  const Response r =
      client.RoundTrip("OST /x HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_EQ(r.status, 200) << r.DebugString();
  EXPECT_EQ(r.body, "abc");
  // And a request that merely looks like the preface's start is HTTP/1.1 too.
  const Response pri = RoundTrip("PRI * HTTP/1.1\r\nHost: example.com\r\n\r\n");
  EXPECT_NE(pri.status, 0) << pri.DebugString();
}

}  // namespace
}  // namespace switchyard::testing
