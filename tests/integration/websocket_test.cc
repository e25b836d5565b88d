// WebSocket (docs/websocket.md). Over HTTP/1.1: on a route with `websocket: true` the
// Upgrade goes upstream and a 101 turns the connection into a byte tunnel, both ways, with
// half-closes passed on and the route's idle timeout; elsewhere the Upgrade is removed and
// the request is an ordinary GET. Over HTTP/2 (RFC 8441): an extended CONNECT becomes the
// same HTTP/1.1 upgrade upstream, and the stream's DATA frames the tunnel. The backend
// echoes raw bytes after its 101, as a WebSocket server's frames would travel; the proxy
// never looks inside them.
#include "dataplane/http/websocket.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/h2_frames.h"
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
  // Set by a test before its requests: the backend serves upgrades as plain GETs, or
  // answers a 101 whose Sec-WebSocket-Accept is not the key's.
  std::atomic<bool> ignore_upgrades{false};
  std::atomic<bool> wrong_accept{false};
  std::atomic<int> upgrades{0};
  std::atomic<int> plain_requests{0};
  std::atomic<bool> saw_eof{false};
  std::atomic<int> tunnels_ended{0};  // the backend's side of a tunnel is done
  std::string method;
  std::string upgrade_header;
  std::string connection_header;
  std::string key_header;
  std::string version_header;
};

// A WebSocket server in miniature: 101 to an Upgrade, then echoes every byte until the
// proxy ends its side, then sends "bye" and closes (a closing handshake's last word).
TestBackend::Handler EchoAfterUpgrade(const std::shared_ptr<EchoState>& state) {
  return [state](BackendExchange& ex) {
    const auto& headers = ex.request().headers;
    if (headers.Joined("upgrade").empty() || state->ignore_upgrades) {
      ++state->plain_requests;
      ex.Reply(200, "plain GET");
      return;
    }
    state->method = ex.request().method;
    state->upgrade_header = headers.Joined("upgrade");
    state->connection_header = headers.Joined("connection");
    state->key_header = headers.Joined("sec-websocket-key");
    state->version_header = headers.Joined("sec-websocket-version");
    ++state->upgrades;
    const std::string accept =
        http::WebSocketAccept(state->wrong_accept ? "another key" : state->key_header);
    ex.SendHead(
        101,
        {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Accept", accept}});
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
    ++state->tunnels_ended;
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

// ---------------------------------------------------------------------------------------
// Over HTTP/2 (RFC 8441).

using Fields = std::vector<std::pair<std::string, std::string>>;

// A WebSocket client over h2c, frame by frame: the extended CONNECT on stream 1, then DATA
// both ways. It gives back every byte it receives as WINDOW_UPDATE (stream and
// connection), acknowledges SETTINGS, and remembers the server's.
class H2WebSocketClient {
 public:
  explicit H2WebSocketClient(uint16_t port) : client_(port) {}
  bool Connected() const { return client_.connected(); }

  // Sends the preface and `request` (HEADERS without END_STREAM); returns the response
  // head's fields, empty if none came within 10 s.
  Fields Open(const Fields& request) {
    EXPECT_TRUE(client_.Send(h2::ClientPreface() +
                             h2::Frame(h2::kHeaders, h2::kEndHeaders, 1, hpack_.Encode(request))));
    const auto deadline = Clock::now() + seconds(10);
    while (head_.empty() && reset_error_ == kNone && Clock::now() < deadline) {
      Pump(milliseconds(100));
    }
    return head_;
  }
  static Fields WebSocketRequest(const std::string& path) {
    return {{":method", "CONNECT"}, {":protocol", "websocket"},    {":scheme", "http"},
            {":path", path},        {":authority", "example.com"}, {"sec-websocket-version", "13"}};
  }

  // One DATA frame (at most 16 KiB: the default frame size).
  bool Send(std::string_view data, bool end) {
    return client_.Send(h2::Frame(h2::kData, end ? h2::kEndStream : 0, 1, data));
  }
  // Sends `data` in frames and reads until as much came back (or 10 s passed).
  std::string Echo(const std::string& data) {
    for (size_t at = 0; at < data.size(); at += 16384) {
      if (!Send(std::string_view(data).substr(at, 16384), false)) return "<send failed>";
    }
    return Read(data.size());
  }
  // The tunnel's next `size` bytes, or fewer if the stream ended or 10 s passed.
  std::string Read(size_t size) {
    const auto deadline = Clock::now() + seconds(10);
    while (data_.size() < size && !ended_ && reset_error_ == kNone && Clock::now() < deadline) {
      Pump(milliseconds(100));
    }
    std::string out = data_.substr(0, size);
    data_.erase(0, out.size());
    return out;
  }
  // Reads until the server ends the stream (END_STREAM or RST_STREAM) or 10 s passed.
  void WaitForEnd() {
    const auto deadline = Clock::now() + seconds(10);
    while (!ended_ && reset_error_ == kNone && Clock::now() < deadline) Pump(milliseconds(100));
  }

  void Reset() { client_.Send(h2::RstStream(1, h2::kCancel)); }
  bool Ended() const { return ended_; }
  uint32_t ResetError() const { return reset_error_; }
  uint32_t Setting(uint16_t id) const {
    const auto it = settings_.find(id);
    return it == settings_.end() ? 0 : it->second;
  }
  static constexpr uint32_t kNone = UINT32_MAX;

 private:
  void Pump(Clock::duration wait) {
    bytes_ += client_.ReadAvailable(wait);
    for (const h2::ReceivedFrame& frame : h2::TakeFrames(bytes_)) {
      if (frame.type == h2::kSettings && (frame.flags & h2::kAck) == 0) {
        for (size_t at = 0; at + 6 <= frame.payload.size(); at += 6) {
          const auto byte = [&](size_t i) { return static_cast<uint8_t>(frame.payload[at + i]); };
          settings_[static_cast<uint16_t>((byte(0) << 8) | byte(1))] =
              (uint32_t{byte(2)} << 24) | (byte(3) << 16) | (byte(4) << 8) | byte(5);
        }
        client_.Send(h2::Frame(h2::kSettings, h2::kAck, 0, ""));
      } else if (frame.stream_id != 1) {
        continue;
      } else if (frame.type == h2::kHeaders) {
        Fields fields;
        EXPECT_TRUE(hpack_in_.Decode(frame.payload, fields));
        if (head_.empty()) head_ = std::move(fields);
      } else if (frame.type == h2::kData && !frame.payload.empty()) {
        data_ += frame.payload;
        const auto size = static_cast<uint32_t>(frame.payload.size());
        client_.Send(h2::WindowUpdate(0, size) + h2::WindowUpdate(1, size));
      } else if (frame.type == h2::kRstStream) {
        reset_error_ = frame.RstStreamError();
      }
      if (frame.stream_id == 1 && (frame.flags & h2::kEndStream) != 0 &&
          (frame.type == h2::kData || frame.type == h2::kHeaders)) {
        ended_ = true;
      }
    }
  }

  RawClient client_;
  h2::HpackEncoder hpack_;
  h2::HpackDecoder hpack_in_;
  std::string bytes_;
  std::string data_;
  Fields head_;
  std::map<uint16_t, uint32_t> settings_;
  bool ended_ = false;
  uint32_t reset_error_ = kNone;
};

std::string FieldValue(const Fields& fields, std::string_view name) {
  for (const auto& [field, value] : fields) {
    if (field == name) return value;
  }
  return "";
}
bool HasField(const Fields& fields, std::string_view name) {
  for (const auto& field : fields) {
    if (field.first == name) return true;
  }
  return false;
}

TEST_F(WebSocketTest, AnExtendedConnectOverHttp2BecomesATunnel) {
  ASSERT_NO_FATAL_FAILURE(Start("websocket: true"));
  H2WebSocketClient client(proxy_port());
  ASSERT_TRUE(client.Connected());
  const Fields head = client.Open(H2WebSocketClient::WebSocketRequest("/chat"));
  EXPECT_EQ(client.Setting(0x8), 1u) << "SETTINGS_ENABLE_CONNECT_PROTOCOL not announced";
  ASSERT_EQ(FieldValue(head, ":status"), "200");
  // The handshake's HTTP/1.1 fields have no place on HTTP/2 (RFC 8441 5).
  EXPECT_FALSE(HasField(head, "sec-websocket-accept"));
  EXPECT_FALSE(HasField(head, "upgrade"));
  // Upstream it was the HTTP/1.1 handshake, with a key of the gateway's making.
  EXPECT_EQ(state_->method, "GET");
  EXPECT_EQ(state_->upgrade_header, "websocket");
  EXPECT_EQ(state_->connection_header, "upgrade");
  EXPECT_EQ(state_->version_header, "13");
  EXPECT_EQ(state_->key_header.size(), 24u) << state_->key_header;

  EXPECT_EQ(client.Echo(std::string("\x81\x05hello\x00\xff", 9)),
            std::string("\x81\x05hello\x00\xff", 9));
  // More than both windows (65535 bytes each way), so flow control must move.
  for (int round = 0; round < 5; ++round) {
    const std::string chunk(30000, static_cast<char>('a' + round));
    EXPECT_EQ(client.Echo(chunk), chunk) << "round " << round;
  }

  // END_STREAM is the client's half-close: the backend sees its end, says its last word,
  // and that arrives before the stream ends cleanly.
  ASSERT_TRUE(client.Send("", /*end=*/true));
  EXPECT_EQ(client.Read(3), "bye");
  client.WaitForEnd();
  EXPECT_TRUE(client.Ended());
  EXPECT_EQ(client.ResetError(), H2WebSocketClient::kNone);
  EXPECT_TRUE(state_->saw_eof.load());
}

// A client that resets its stream ends the tunnel: the upstream connection is closed too.
// Silence for the route's idle_timeout ends it the same way.
TEST_F(WebSocketTest, AResetOrAnIdleHttp2TunnelClosesTheUpstreamSide) {
  ASSERT_NO_FATAL_FAILURE(Start("websocket: true, idle_timeout: 1s"));
  H2WebSocketClient resetting(proxy_port());
  ASSERT_EQ(FieldValue(resetting.Open(H2WebSocketClient::WebSocketRequest("/")), ":status"), "200");
  EXPECT_EQ(resetting.Echo("ping"), "ping");
  resetting.Reset();
  EXPECT_TRUE(PollUntil([&] { return state_->tunnels_ended.load() == 1; }));

  H2WebSocketClient idle(proxy_port());
  ASSERT_EQ(FieldValue(idle.Open(H2WebSocketClient::WebSocketRequest("/")), ":status"), "200");
  EXPECT_EQ(idle.Echo("ping"), "ping");
  // Loosely bounded: the suite runs on busy machines.
  EXPECT_TRUE(PollUntil([&] { return state_->tunnels_ended.load() == 2; }, seconds(20)));
  idle.WaitForEnd();
  EXPECT_NE(idle.ResetError(), H2WebSocketClient::kNone) << "the stream was not reset";
}

// Where HTTP/1.1 would serve the upgrade as a plain GET, an extended CONNECT cannot be:
// its 2xx would say the tunnel is open.
TEST_F(WebSocketTest, AnExtendedConnectOnARouteWithoutWebSocketIs403) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  H2WebSocketClient client(proxy_port());
  ASSERT_TRUE(client.Connected());
  const Fields head = client.Open(H2WebSocketClient::WebSocketRequest("/chat"));
  EXPECT_EQ(FieldValue(head, ":status"), "403");
  EXPECT_EQ(FieldValue(head, "x-switchyard-local-reply"), "true");
  EXPECT_EQ(state_->upgrades.load() + state_->plain_requests.load(), 0);
}

// The gateway is no forward proxy: a CONNECT for a TCP tunnel, or for a protocol other
// than WebSocket, is refused with 501.
TEST_F(WebSocketTest, OtherConnectRequestsAre501) {
  ASSERT_NO_FATAL_FAILURE(Start("websocket: true"));
  const Fields requests[] = {
      {{":method", "CONNECT"}, {":authority", "example.com:443"}},
      {{":method", "CONNECT"},
       {":protocol", "connect-udp"},
       {":scheme", "http"},
       {":path", "/"},
       {":authority", "example.com"}},
  };
  for (const Fields& request : requests) {
    H2WebSocketClient client(proxy_port());
    ASSERT_TRUE(client.Connected());
    EXPECT_EQ(FieldValue(client.Open(request), ":status"), "501");
  }
  EXPECT_EQ(state_->upgrades.load() + state_->plain_requests.load(), 0);
}

// An upstream that served the upgrade as a plain GET, or whose 101 does not answer the
// gateway's key, must not look like an open tunnel to the client.
TEST_F(WebSocketTest, AnUpstreamThatDidNotAcceptTheUpgradeIs502OverHttp2) {
  ASSERT_NO_FATAL_FAILURE(Start("websocket: true"));
  state_->ignore_upgrades = true;
  {
    H2WebSocketClient client(proxy_port());
    ASSERT_TRUE(client.Connected());
    EXPECT_EQ(FieldValue(client.Open(H2WebSocketClient::WebSocketRequest("/")), ":status"), "502");
    EXPECT_EQ(state_->plain_requests.load(), 1);
  }
  state_->ignore_upgrades = false;
  state_->wrong_accept = true;
  H2WebSocketClient client(proxy_port());
  ASSERT_TRUE(client.Connected());
  EXPECT_EQ(FieldValue(client.Open(H2WebSocketClient::WebSocketRequest("/")), ":status"), "502");
  EXPECT_EQ(state_->upgrades.load(), 1);
}

}  // namespace
}  // namespace switchyard::testing
