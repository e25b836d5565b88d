// --proxy_protocol: the client address from a PROXY protocol header (v1 and v2) is the
// one the backend sees in X-Forwarded-For, for every request on the connection; a
// connection without a valid header is closed before any request where one is required,
// and counted; an optional header is used when present.
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/http_message.h"
#include "tests/support/metrics_page.h"
#include "tests/support/poll.h"
#include "tests/support/proxy_process.h"
#include "tests/support/proxy_test.h"
#include "tests/support/raw_client.h"

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A v2 PROXY header for TCP over IPv6 from 2001:db8::9 port 80.
std::string V2Tcp6Header() {
  std::string header("\r\n\r\n\0\r\nQUIT\n\x21\x21\x00\x24", 16);
  std::string source(16, '\0');
  source[0] = '\x20';
  source[1] = '\x01';
  source[2] = '\x0d';
  source[3] = '\xb8';
  source[15] = '\x09';
  return header + source + std::string(15, '\0') + "\x01" + std::string("\x00\x50\x01\xbb", 4);
}

class ProxyProtocolTest : public ProxyTest {
 protected:
  void Start(const std::string& mode, std::vector<std::string> flags = {}) {
    backend_ = &AddBackend("b");
    flags.push_back("--proxy_protocol=" + mode);
    flags.push_back("--admin=127.0.0.1:0");
    ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()}), std::move(flags)));
  }
  // The X-Forwarded-For of the backend's latest request.
  std::string LastForwardedFor() {
    const auto requests = backend_->requests();
    return requests.empty() ? "<none>" : requests.back().headers.Joined("x-forwarded-for");
  }
  int64_t Refused() {
    RawClient admin(proxy().admin_port());
    const Response page = admin.RoundTrip(SimpleGet("/metrics", "admin"));
    return MetricValue(
        page.body, R"(switchyard_downstream_connections_refused_total{reason="proxy_protocol"})");
  }
  TestBackend* backend_ = nullptr;
};

TEST_F(ProxyProtocolTest, VersionOneAddressIsTheClientForEveryRequestOnTheConnection) {
  ASSERT_NO_FATAL_FAILURE(Start("required"));
  RawClient client = Connect();
  ASSERT_TRUE(client.Send("PROXY TCP4 203.0.113.9 192.0.2.1 40000 8080\r\n"));
  for (int i = 0; i < 2; ++i) {
    const Response r = client.RoundTrip(SimpleGet("/"));
    ASSERT_EQ(r.status, 200) << r.DebugString();
    EXPECT_EQ(LastForwardedFor(), "203.0.113.9");
  }
}

TEST_F(ProxyProtocolTest, VersionTwoHeaderInPiecesWithTheRequestBehindIt) {
  ASSERT_NO_FATAL_FAILURE(Start("required"));
  RawClient client = Connect();
  const std::string bytes = V2Tcp6Header() + SimpleGet("/");
  // The header arrives in three pieces, the request's first bytes with the last one.
  ASSERT_TRUE(client.Send(bytes.substr(0, 5)));
  std::this_thread::sleep_for(milliseconds(50));
  ASSERT_TRUE(client.Send(bytes.substr(5, 20)));
  std::this_thread::sleep_for(milliseconds(50));
  ASSERT_TRUE(client.Send(bytes.substr(25)));
  const Response r = client.ReadResponse();
  ASSERT_EQ(r.status, 200) << r.DebugString();
  EXPECT_EQ(LastForwardedFor(), "2001:db8::9");
}

TEST_F(ProxyProtocolTest, WithoutAValidHeaderARequiredListenerClosesBeforeAnyRequest) {
  ASSERT_NO_FATAL_FAILURE(Start("required"));
  const int64_t before = Refused();
  const size_t requests_before = backend_->request_count();
  for (const std::string& bytes : {SimpleGet("/"),                                   // no header
                                   std::string("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"),  // malformed
                                   std::string("PROXY TCP4 ") + std::string(200, '9')}) {
    RawClient client = Connect();
    ASSERT_TRUE(client.Send(bytes));
    const RawClient::CloseResult closed = client.WaitForClose(seconds(10));
    EXPECT_TRUE(closed.closed);
    EXPECT_EQ(closed.data, "") << "a response was sent for: " << bytes.substr(0, 40);
  }
  EXPECT_EQ(backend_->request_count(), requests_before);
  ASSERT_TRUE(PollUntil([&] { return Refused() == before + 3; })) << Refused();
  // The proxy serves on.
  RawClient client = Connect();
  ASSERT_TRUE(client.Send("PROXY TCP4 198.51.100.4 192.0.2.1 1 8080\r\n"));
  EXPECT_EQ(client.RoundTrip(SimpleGet("/")).status, 200);
}

TEST_F(ProxyProtocolTest, AHeaderThatNeverCompletesTimesOut) {
  ASSERT_NO_FATAL_FAILURE(Start("required", {"--request_headers_timeout=1s"}));
  const int64_t before = Refused();
  RawClient client = Connect();
  ASSERT_TRUE(client.Send("PROXY TCP4 203.0"));
  const RawClient::CloseResult closed = client.WaitForClose(seconds(20));
  EXPECT_TRUE(closed.closed);
  EXPECT_EQ(closed.data, "");
  ASSERT_TRUE(PollUntil([&] { return Refused() == before + 1; })) << Refused();
}

TEST_F(ProxyProtocolTest, LocalHeadersAndOptionalModeKeepThePeerAddress) {
  ASSERT_NO_FATAL_FAILURE(Start("optional"));
  {
    RawClient client = Connect();  // no header at all
    EXPECT_EQ(client.RoundTrip(SimpleGet("/")).status, 200);
    EXPECT_EQ(LastForwardedFor(), "127.0.0.1");
  }
  {
    RawClient client = Connect();
    ASSERT_TRUE(client.Send(std::string("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16)));  // LOCAL
    EXPECT_EQ(client.RoundTrip(SimpleGet("/")).status, 200);
    EXPECT_EQ(LastForwardedFor(), "127.0.0.1");
  }
  {
    RawClient client = Connect();
    ASSERT_TRUE(client.Send("PROXY TCP4 203.0.113.50 192.0.2.1 1 8080\r\n"));
    EXPECT_EQ(client.RoundTrip(SimpleGet("/")).status, 200);
    EXPECT_EQ(LastForwardedFor(), "203.0.113.50");
  }
}

TEST(ProxyProtocolFlagsTest, BadModesAndAPerIpLimitAreRefusedAtStart) {
  const std::string config = "virtual_hosts: []\n";
  const RunResult bogus = RunProxyExpectingExit(config, {"--proxy_protocol=yes"});
  EXPECT_TRUE(bogus.exited_by_itself);
  EXPECT_NE(bogus.stderr_text.find("--proxy_protocol must be off, optional or required, got 'yes'"),
            std::string::npos)
      << bogus.stderr_text;
  const RunResult combined =
      RunProxyExpectingExit(config, {"--proxy_protocol=required", "--max_connections_per_ip=10"});
  EXPECT_TRUE(combined.exited_by_itself);
  EXPECT_NE(combined.stderr_text.find("--max_connections_per_ip cannot be combined with "
                                      "--proxy_protocol"),
            std::string::npos)
      << combined.stderr_text;
}

}  // namespace
}  // namespace switchyard::testing
