// Per-route request body limits through the real proxy: a maximum size (413) and a
// minimum rate before the response head (408), so a client cannot hold an upstream
// connection by trickling its body.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::seconds;

class RequestBodyTest : public ProxyTest {
 protected:
  void StartWithRoute(const std::string& route_options) {
    backend_ = &AddBackend("b");
    const std::string config = R"(
virtual_hosts:
  - name: vh
    domains: ["*"]
    routes:
      - {name: upload, match: {prefix: /}, route: {cluster: b)" +
                               route_options + R"(}}
clusters:
  - name: b
    endpoints: [{address: 127.0.0.1, port: )" +
                               std::to_string(backend_->port()) + "}]\n";
    ASSERT_TRUE(StartProxy(config));
  }

  TestBackend* backend_ = nullptr;
};

TEST_F(RequestBodyTest, DeclaredLengthOverTheLimitIs413AndNothingIsForwarded) {
  ASSERT_NO_FATAL_FAILURE(StartWithRoute(", max_request_body_bytes: 1000"));
  RawClient client = Connect();
  ASSERT_TRUE(client.connected());
  const Response r = client.RoundTrip(
      BuildRequest("POST", "/up", {{"Host", "example.com"}, {"Content-Length", "1001"}},
                   std::string(1001, 'x')));
  EXPECT_TRUE(IsLocalReply(r, 413, {"request_body_too_large"})) << r.DebugString();
  EXPECT_TRUE(client.WaitForClose(seconds(5)).closed);
  EXPECT_EQ(backend_->request_count(), 0u);

  // At the limit it is forwarded.
  const Response ok = Connect().RoundTrip(
      BuildRequest("POST", "/up", {{"Host", "example.com"}, {"Content-Length", "1000"}},
                   std::string(1000, 'x')));
  EXPECT_TRUE(ok.ok() && ok.status == 200) << ok.DebugString();
}

TEST_F(RequestBodyTest, ChunkedBodyOverTheLimitIs413) {
  ASSERT_NO_FATAL_FAILURE(StartWithRoute(", max_request_body_bytes: 10"));
  RawClient client = Connect();
  ASSERT_TRUE(client.connected());
  const Response r = client.RoundTrip(
      BuildRequest("POST", "/up", {{"Host", "example.com"}, {"Transfer-Encoding", "chunked"}},
                   "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"));
  EXPECT_TRUE(IsLocalReply(r, 413, {"request_body_too_large"})) << r.DebugString();
}

TEST_F(RequestBodyTest, TrickledBodyIs408) {
  ASSERT_NO_FATAL_FAILURE(StartWithRoute(""));  // the default minimum: 1024 bytes/s
  RawClient client = Connect();
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(BuildRequest(
      "POST", "/up", {{"Host", "example.com"}, {"Content-Length", "100000"}}, "first bytes")));
  // Judged after a 5 s grace period; the bound here is loose for busy CI machines.
  const Response r = client.ReadResponse({.timeout = seconds(30)});
  EXPECT_TRUE(IsLocalReply(r, 408, {"request_timeout"})) << r.DebugString();
  EXPECT_TRUE(client.WaitForClose(seconds(5)).closed);
}

}  // namespace
}  // namespace switchyard::testing
