// HTTP/2 towards backends (a cluster's `protocol`; docs/upstream-http2.md): requests share
// one connection per endpoint and worker, up to the endpoint's MAX_CONCURRENT_STREAMS, and
// move to a new connection when one is full or going away; MATCH_CLIENT follows the
// client's protocol; h2 over TLS by ALPN; bodies and trailers cross in both directions.
// The backend is a TestBackend behind nghttpx, whose access log tells the protocol and
// the connection of each request.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_replace.h"
#include "dataplane/tls/testing/test_certificates.h"
#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/http_message.h"
#include "tests/support/nghttpx_front.h"
#include "tests/support/proxy_test.h"
#include "tests/support/raw_client.h"
#include "tests/support/socket.h"

namespace switchyard::testing {
namespace {

namespace certs = tls::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

class UpstreamHttp2Test : public ProxyTest {
 protected:
  void SetUp() override {
    backend_ = &AddBackend("b", [](BackendExchange& ex) {
      const std::string& target = ex.request().target;
      if (target.starts_with("/slow")) ex.Delay(milliseconds(400));
      if (target.starts_with("/trailers")) {
        ex.Send(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            "2\r\nok\r\n0\r\nGrpc-Status: 0\r\nX-Checksum: c1\r\n\r\n");
        return;
      }
      ex.Reply(200, "got " + std::to_string(ex.ReadBody().size()) + " bytes");
    });
  }

  // nghttpx in front of the backend, and the proxy with one cluster speaking `protocol`
  // to it (`tls` inside a flow mapping, or empty).
  void Start(const NghttpxOptions& options, const std::string& protocol,
             const std::string& tls = "", const std::string& route_extra = "") {
    front_ = std::make_unique<NghttpxFront>(backend_->port(), options);
    std::string error;
    ASSERT_TRUE(front_->Start(&error)) << error;
    const std::string config =
        "virtual_hosts:\n"
        "- {name: vh, domains: [\"*\"], routes: [{name: r, match: {prefix: /}, route: "
        "{cluster: c" +
        route_extra +
        "}}]}\n"
        "clusters:\n"
        "- {name: c, protocol: " +
        protocol + ", endpoints: [{address: 127.0.0.1, port: " + std::to_string(front_->port()) +
        "}]" + (tls.empty() ? "" : ", tls: {" + tls + "}") + "}\n";
    ASSERT_TRUE(StartProxy(config, {"--workers=1"}));
  }

  // `n` GETs of `path` at once, each on its own client connection; the statuses.
  std::vector<int> Concurrently(int n, const std::string& path) {
    std::vector<int> statuses(n);
    std::vector<std::thread> threads;
    threads.reserve(n);
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] { statuses[i] = Get(path + std::to_string(i)).status; });
    }
    for (std::thread& t : threads) t.join();
    return statuses;
  }

  TestBackend* backend_ = nullptr;
  std::unique_ptr<NghttpxFront> front_;
};

TEST_F(UpstreamHttp2Test, RequestsGoUpstreamAsHttp2OverOneConnection) {
  ASSERT_NO_FATAL_FAILURE(Start({}, "HTTP2"));
  RawClient client(proxy_port());
  for (int i = 0; i < 3; ++i) {
    const Response r = client.RoundTrip(SimpleGet("/get" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << r.DebugString();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "got 0 bytes");
  }
  // Bodies larger than the stream window, with and without a length.
  const std::string big(1 << 20, 'x');
  Response r = client.RoundTrip("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " +
                                std::to_string(big.size()) + "\r\n\r\n" + big);
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, "got 1048576 bytes");
  r = client.RoundTrip(
      "POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, "got 11 bytes");

  ASSERT_TRUE(front_->WaitForRequests(5, seconds(5)));
  for (const NghttpxFront::Request& request : front_->Requests()) {
    EXPECT_EQ(request.alpn, "h2c") << request.path;
  }
  EXPECT_EQ(front_->ConnectionPorts().size(), 1u);
  ASSERT_EQ(backend_->request_count(), 5u);
  EXPECT_EQ(backend_->requests()[0].target, "/get0");
  EXPECT_EQ(backend_->requests()[4].body, "hello world");
}

TEST_F(UpstreamHttp2Test, ConcurrentRequestsShareAConnectionUpToItsStreamLimit) {
  ASSERT_NO_FATAL_FAILURE(Start({}, "HTTP2"));
  ASSERT_EQ(Get("/warm").status, 200);  // the connection is up, its SETTINGS known
  for (int status : Concurrently(8, "/slow")) EXPECT_EQ(status, 200);
  EXPECT_EQ(front_->ConnectionPorts().size(), 1u);
}

TEST_F(UpstreamHttp2Test, AFullConnectionMakesTheNextRequestOpenAnother) {
  ASSERT_NO_FATAL_FAILURE(Start({.max_concurrent_streams = 2}, "HTTP2"));
  ASSERT_EQ(Get("/warm").status, 200);
  for (int status : Concurrently(8, "/slow")) EXPECT_EQ(status, 200);
  // Two streams each: four connections carried the eight.
  EXPECT_GE(front_->ConnectionPorts().size(), 4u);
}

TEST_F(UpstreamHttp2Test, AGoawayMovesLaterRequestsToANewConnection) {
  ASSERT_NO_FATAL_FAILURE(Start({.max_requests = 2}, "HTTP2"));
  RawClient client(proxy_port());
  for (int i = 0; i < 6; ++i) {
    const Response r = client.RoundTrip(SimpleGet("/r" + std::to_string(i)));
    ASSERT_TRUE(r.ok()) << r.DebugString();
    EXPECT_EQ(r.status, 200) << i;
  }
  EXPECT_GE(front_->ConnectionPorts().size(), 3u);
}

TEST_F(UpstreamHttp2Test, MatchClientFollowsTheClientsProtocol) {
  ASSERT_NO_FATAL_FAILURE(Start({}, "MATCH_CLIENT"));
  ASSERT_EQ(Get("/from-http1").status, 200);
  const CommandResult curl =
      RunCommand({"/usr/bin/curl", "-sS", "--http2-prior-knowledge", "--max-time", "20", "-o",
                  "/dev/null", "-w", "%{http_version} %{response_code}",
                  "http://127.0.0.1:" + std::to_string(proxy_port()) + "/from-http2"},
                 seconds(30));
  ASSERT_EQ(curl.exit_code, 0) << curl.DebugString();
  EXPECT_EQ(curl.stdout_text, "2 200");
  ASSERT_TRUE(front_->WaitForRequests(2, seconds(5)));
  const std::vector<NghttpxFront::Request> requests = front_->Requests();
  EXPECT_EQ(requests[0].path, "/from-http1");
  EXPECT_EQ(requests[0].alpn, "http/1.1");
  EXPECT_EQ(requests[1].path, "/from-http2");
  EXPECT_EQ(requests[1].alpn, "h2c");
}

TEST_F(UpstreamHttp2Test, OverTlsAlpnChoosesH2) {
  const certs::TestCertificate ca = certs::CertificateAuthority("backend CA");
  const certs::TestCertificate cert =
      certs::IssueCertificate({.common_name = "backend.test", .dns_names = {"backend.test"}}, ca);
  const std::string dir = MakeTempDir("upstream-h2-tls");
  ASSERT_TRUE(certs::WriteFile(dir + "/cert.pem", cert.chain_pem).ok());
  ASSERT_TRUE(certs::WriteFile(dir + "/key.pem", cert.key_pem).ok());
  ASSERT_TRUE(certs::WriteFile(dir + "/ca.pem", ca.cert_pem).ok());
  ASSERT_NO_FATAL_FAILURE(Start({.cert_file = dir + "/cert.pem", .key_file = dir + "/key.pem"},
                                "HTTP2", "server_name: backend.test, ca_file: " + dir + "/ca.pem"));
  for (int i = 0; i < 2; ++i) {
    const Response r = Get("/secure");
    EXPECT_EQ(r.status, 200) << r.DebugString();
  }
  ASSERT_TRUE(front_->WaitForRequests(2, seconds(5)));
  EXPECT_EQ(front_->Requests()[0].alpn, "h2");
  EXPECT_EQ(front_->ConnectionPorts().size(), 1u);
}

TEST_F(UpstreamHttp2Test, ResponseTrailersComeBackToAnHttp1Client) {
  ASSERT_NO_FATAL_FAILURE(Start({}, "HTTP2"));
  const Response r = Get("/trailers");
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, "ok");
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.trailers.Joined("grpc-status"), "0");
  EXPECT_EQ(r.trailers.Joined("x-checksum"), "c1");
}

TEST_F(UpstreamHttp2Test, ATimedOutRequestResetsOnlyItsStream) {
  ASSERT_NO_FATAL_FAILURE(Start({}, "HTTP2", "", ", timeout: 0.2s"));
  ASSERT_EQ(Get("/warm").status, 200);
  EXPECT_EQ(Get("/slow").status, 504);
  // The connection carries on for the next requests.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get("/after").status, 200);
  EXPECT_EQ(front_->ConnectionPorts().size(), 1u);
}

TEST_F(UpstreamHttp2Test, AConnectionThatDiesFailsItsStreamsAndTheNextRequestReconnects) {
  ASSERT_NO_FATAL_FAILURE(Start({}, "HTTP2"));
  ASSERT_EQ(Get("/warm").status, 200);
  // Three requests in flight on the shared connection when the backend dies.
  std::vector<int> statuses(3);
  std::vector<std::thread> clients;
  clients.reserve(statuses.size());
  for (size_t i = 0; i < statuses.size(); ++i) {
    clients.emplace_back([&, i] { statuses[i] = Get("/slow" + std::to_string(i)).status; });
  }
  ASSERT_TRUE(backend_->WaitForRequests(4, seconds(10)));
  front_->Kill();
  for (std::thread& t : clients) t.join();
  for (int status : statuses) EXPECT_EQ(status, 502);
  // Nothing listens now: a new connection is tried, and refused. The port is held so that no
  // other server (of a test running beside this one) and no outgoing connection takes it.
  const RefusingPort held(front_->port());
  ASSERT_TRUE(held.ok()) << "port " << front_->port() << " was taken after nghttpx died";
  EXPECT_EQ(Get("/after").status, 503);
}

}  // namespace
}  // namespace switchyard::testing
