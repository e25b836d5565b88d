// WebSocket over HTTP/1.1 (docs/websocket.md): on a route with `websocket: true` the
// Upgrade goes upstream and a 101 turns the connection into a byte tunnel, both ways, with
// half-closes passed on and the route's idle timeout; elsewhere the Upgrade is removed and
// the request is an ordinary GET. The backend echoes raw bytes after its 101, as a
// WebSocket server's frames would travel; the proxy never looks inside them.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/http_message.h"
#include "tests/support/metrics_page.h"
#include "tests/support/proxy_test.h"
#include "tests/support/raw_client.h"

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kUpgradeRequest[] =
    "GET /chat HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive, Upgrade\r\n"
    "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";

// What the backend saw and did, shared with its connection threads.
struct EchoState {
  std::atomic<int> upgrades{0};
  std::atomic<bool> saw_eof{false};
  std::string upgrade_header;
  std::string connection_header;
  std::string key_header;
};

// A WebSocket server in miniature: 101 to an Upgrade, then echoes every byte until the
// proxy ends its side, then sends "bye" and closes (a closing handshake's last word).
TestBackend::Handler EchoAfterUpgrade(const std::shared_ptr<EchoState>& state) {
  return [state](BackendExchange& ex) {
    const auto& headers = ex.request().headers;
    if (headers.Joined("upgrade").empty()) {
      ex.Reply(200, "plain GET");
      return;
    }
    state->upgrade_header = headers.Joined("upgrade");
    state->connection_header = headers.Joined("connection");
    state->key_header = headers.Joined("sec-websocket-key");
    ++state->upgrades;
    ex.SendHead(101, {{"Upgrade", "websocket"},
                      {"Connection", "Upgrade"},
                      {"Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}});
    Socket& socket = ex.raw_socket();
    for (;;) {
      std::string data;
      const IoStatus status =
          socket.ReadSome(&data, size_t{64} * 1024, Deadline::After(seconds(30)));
      if (status == IoStatus::kEof) {
        state->saw_eof = true;
        socket.WriteAll("bye", Deadline::After(seconds(5)));
        break;
      }
      if (status != IoStatus::kOk) break;
      if (socket.WriteAll(data, Deadline::After(seconds(10))) != IoStatus::kOk) break;
    }
    ex.CloseNow();
  };
}

class WebSocketTest : public ProxyTest {
 protected:
  void Start(const std::string& route_extra) {
    state_ = std::make_shared<EchoState>();
    TestBackend& backend = AddBackend("ws", EchoAfterUpgrade(state_));
    ASSERT_TRUE(
        StartProxy(SingleClusterConfig({backend.port()}, route_extra), {"--admin=127.0.0.1:0"}));
  }
  // Opens a tunnel: the upgrade request, then its 101.
  Response Upgrade(RawClient& client) {
    EXPECT_TRUE(client.Send(kUpgradeRequest));
    return client.ReadResponse({.stop_at_interim = true});
  }
  // Sends `bytes` and reads until as many came back.
  static std::string Echo(RawClient& client, const std::string& bytes) {
    if (!client.Send(bytes)) return "<send failed>";
    std::string got;
    while (got.size() < bytes.size()) {
      const std::string more = client.ReadAvailable(seconds(10));
      if (more.empty()) break;
      got += more;
    }
    return got;
  }

  std::shared_ptr<EchoState> state_;
};

TEST_F(WebSocketTest, AnUpgradeOnAWebSocketRouteBecomesATunnel) {
  ASSERT_NO_FATAL_FAILURE(Start("websocket: true"));
  RawClient client = Connect();
  ASSERT_TRUE(client.connected());
  const Response head = Upgrade(client);
  ASSERT_EQ(head.status, 101) << head.DebugString();
  EXPECT_EQ(head.headers.Joined("upgrade"), "websocket");
  EXPECT_EQ(head.headers.Joined("connection"), "upgrade");
  EXPECT_EQ(head.headers.Joined("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  // Upstream, the upgrade was asked for again, with the handshake's own fields intact.
  EXPECT_EQ(state_->upgrade_header, "websocket");
  EXPECT_EQ(state_->connection_header, "upgrade");
  EXPECT_EQ(state_->key_header, "dGhlIHNhbXBsZSBub25jZQ==");

  // Binary bytes, as WebSocket frames are, both ways; larger than one read.
  EXPECT_EQ(Echo(client, std::string("\x81\x05hello\x00\xff", 9)),
            std::string("\x81\x05hello\x00\xff", 9));
  const std::string big(size_t{300} * 1024, 'w');
  EXPECT_EQ(Echo(client, big).size(), big.size());

  // The client ends its side: the backend sees it, answers its last word, and the proxy
  // passes that on before closing.
  client.ShutdownWrite();
  const RawClient::CloseResult closed = client.WaitForClose(seconds(10));
  EXPECT_TRUE(closed.closed);
  EXPECT_EQ(closed.data, "bye");
  EXPECT_TRUE(state_->saw_eof.load());

  // Counted as one request with status 101, its tunnel bytes as body bytes, once the
  // tunnel has ended: the client sees the end of the upstream's direction (a half-close)
  // a moment before the proxy finishes the request, so the page is polled.
  const auto scrape = [this] {
    RawClient admin(proxy().admin_port());
    return admin.RoundTrip(SimpleGet("/metrics", "admin")).body;
  };
  EXPECT_TRUE(PollUntil([&] {
    return MetricValue(scrape(),
                       R"(switchyard_requests_total{virtual_host="vh",route="r",class="1xx"})") ==
           1;
  }));
  EXPECT_GE(
      MetricValue(scrape(), R"(switchyard_downstream_body_bytes_total{direction="received"})"),
      static_cast<int64_t>(big.size()));
}

TEST_F(WebSocketTest, ElsewhereTheUpgradeIsRemovedAndTheRequestIsAPlainGet) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  RawClient client = Connect();
  ASSERT_TRUE(client.connected());
  const Response response = Upgrade(client);
  EXPECT_EQ(response.status, 200) << response.DebugString();
  EXPECT_EQ(response.body, "plain GET");
  EXPECT_EQ(state_->upgrades.load(), 0);
}

// h2c and other tokens are never honoured, even on a WebSocket route.
TEST_F(WebSocketTest, OtherUpgradeTokensAreRemoved) {
  ASSERT_NO_FATAL_FAILURE(Start("websocket: true"));
  const Response response = RoundTrip(
      "GET / HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
  EXPECT_EQ(response.status, 200) << response.DebugString();
  EXPECT_EQ(response.body, "plain GET");
  EXPECT_EQ(state_->upgrades.load(), 0);
}

TEST_F(WebSocketTest, AnIdleTunnelIsClosedAfterTheRoutesIdleTimeout) {
  ASSERT_NO_FATAL_FAILURE(Start("websocket: true, idle_timeout: 1s"));
  RawClient client = Connect();
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(Upgrade(client).status, 101);
  EXPECT_EQ(Echo(client, "ping"), "ping");
  // Traffic keeps it open past the timeout...
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(milliseconds(500));
    EXPECT_EQ(Echo(client, "ping"), "ping");
  }
  // ...silence closes it (loosely bounded: the suite runs on busy machines).
  const auto quiet_since = Clock::now();
  const RawClient::CloseResult closed = client.WaitForClose(seconds(20));
  EXPECT_TRUE(closed.closed);
  EXPECT_GE(Clock::now() - quiet_since, milliseconds(800));
}

}  // namespace
}  // namespace switchyard::testing
