#include "dataplane/http/proxy_headers.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::http {
namespace {

TEST(ProxyHeadersTest, TrailersKeepOnlyWhatATrailerSectionMayCarry) {
  HeaderMap t;
  for (const char* name :
       {"Grpc-Status", "X-Checksum", "Content-Length", "Transfer-Encoding", "Trailer", "Host",
        "Connection", "Keep-Alive", "TE", "Upgrade", "Proxy-Authorization", "Content-Type",
        "Content-Encoding", "Content-Range", ":path", "Server-Timing"}) {
    t.Add(name, "v");
  }
  RemoveForbiddenTrailers(t);
  std::vector<std::string> left;
  for (const HeaderField& field : t) left.push_back(field.name);
  EXPECT_EQ(left, (std::vector<std::string>{"grpc-status", "x-checksum", "server-timing"}));
}

TEST(ProxyHeadersTest, RemovesHopByHopAndConnectionNamedHeaders) {
  HeaderMap h;
  h.Add("Connection", "keep-alive, X-Secret");
  h.Add("X-Secret", "1");
  h.Add("Keep-Alive", "timeout=5");
  h.Add("TE", "trailers");
  h.Add("Trailer", "X-T");
  h.Add("Transfer-Encoding", "chunked");
  h.Add("Upgrade", "websocket");
  h.Add("Proxy-Authorization", "Basic x");
  h.Add("Proxy-Connection", "keep-alive");
  h.Add("Content-Length", "3");
  h.Add("X-Kept", "yes");
  RemoveHopByHopHeaders(h);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(*h.Get("x-kept"), "yes");
}

TEST(ProxyHeadersTest, ConnectionCannotNominateHeadersTheProxyOwns) {
  HeaderMap h;
  h.Add("Host", "api.example.com");
  h.Add("Connection",
        "host, X-Forwarded-For, x-forwarded-proto, X-Forwarded-Host, x-request-id, via, "
        "forwarded, x-real-ip, x-custom");
  h.Add("X-Forwarded-For", "10.0.0.1");
  h.Add("X-Request-Id", "rid-1");
  h.Add("Via", "1.0 front");
  h.Add("Forwarded", "for=10.0.0.1");
  h.Add("X-Real-IP", "10.0.0.1");
  h.Add("X-Custom", "hop");
  PrepareUpstreamRequestHeaders(h, {.client_ip = "127.0.0.1", .scheme = "http", .via = "gw"});
  ASSERT_NE(h.Get("host"), nullptr);
  EXPECT_EQ(*h.Get("host"), "api.example.com");
  EXPECT_EQ(*h.Get("x-forwarded-for"), "10.0.0.1, 127.0.0.1");
  EXPECT_EQ(*h.Get("x-forwarded-host"), "api.example.com");
  ASSERT_NE(h.Get("x-request-id"), nullptr);
  EXPECT_EQ(*h.Get("x-request-id"), "rid-1");
  EXPECT_EQ(*h.Get("via"), "1.0 front, 1.1 gw");
  ASSERT_NE(h.Get("forwarded"), nullptr);
  ASSERT_NE(h.Get("x-real-ip"), nullptr);
  // Nomination still works for everything else.
  EXPECT_FALSE(h.Has("x-custom"));
  EXPECT_FALSE(h.Has("connection"));
}

TEST(ProxyHeadersTest, ResponseConnectionCannotNominateProtectedHeaders) {
  HeaderMap h;
  h.Add("Connection", "x-request-id, via, x-hop");
  h.Add("X-Request-Id", "rid-2");
  h.Add("Via", "1.1 backend");
  h.Add("X-Hop", "1");
  PrepareDownstreamResponseHeaders(h, "");
  ASSERT_NE(h.Get("x-request-id"), nullptr);
  EXPECT_EQ(*h.Get("via"), "1.1 backend");
  EXPECT_FALSE(h.Has("x-hop"));
}

TEST(ProxyHeadersTest, ForwardingHeaders) {
  HeaderMap h;
  h.Add("Host", "api.example.com");
  h.Add("X-Forwarded-For", "10.0.0.1");
  h.Add("X-Forwarded-Proto", "https");
  PrepareUpstreamRequestHeaders(h, {.client_ip = "127.0.0.1", .scheme = "http", .via = "gw"});
  EXPECT_EQ(*h.Get("x-forwarded-for"), "10.0.0.1, 127.0.0.1");
  EXPECT_EQ(*h.Get("x-forwarded-proto"), "http");
  EXPECT_EQ(*h.Get("x-forwarded-host"), "api.example.com");
  EXPECT_EQ(*h.Get("via"), "1.1 gw");
}

TEST(ProxyHeadersTest, RepeatedForwardedForFieldsAreOneList) {
  HeaderMap h;
  h.Add("X-Forwarded-For", "198.51.100.1, 198.51.100.2");
  h.Add("X-Forwarded-For", "198.51.100.3");
  PrepareUpstreamRequestHeaders(h, {.client_ip = "127.0.0.1", .scheme = "http"});
  EXPECT_EQ(*h.Get("x-forwarded-for"), "198.51.100.1, 198.51.100.2, 198.51.100.3, 127.0.0.1");
  size_t count = 0;
  for (const HeaderField& f : h) count += f.name == "x-forwarded-for";
  EXPECT_EQ(count, 1u);
}

TEST(ProxyHeadersTest, NoViaUnlessConfigured) {
  HeaderMap h;
  PrepareDownstreamResponseHeaders(h, "");
  EXPECT_FALSE(h.Has("via"));
  PrepareDownstreamResponseHeaders(h, "edge");
  EXPECT_EQ(*h.Get("via"), "1.1 edge");
}

TEST(ProxyHeadersTest, ClientWantsClose) {
  HeaderMap h;
  EXPECT_FALSE(ClientWantsClose(h, 11));
  EXPECT_TRUE(ClientWantsClose(h, 10));
  h.Add("Connection", "Keep-Alive");
  EXPECT_FALSE(ClientWantsClose(h, 10));
  h.Add("Connection", "close");
  EXPECT_TRUE(ClientWantsClose(h, 11));
}

TEST(ProxyHeadersTest, WantsWebSocketUpgrade) {
  const auto with = [](std::string_view connection, std::string_view upgrade) {
    HeaderMap h;
    if (!connection.empty()) h.Add("Connection", connection);
    if (!upgrade.empty()) h.Add("Upgrade", upgrade);
    return h;
  };
  EXPECT_TRUE(WantsWebSocketUpgrade(with("Upgrade", "websocket"), "GET", 11));
  EXPECT_TRUE(WantsWebSocketUpgrade(with("keep-alive, UPGRADE", "WebSocket/13"), "GET", 11));
  EXPECT_TRUE(WantsWebSocketUpgrade(with("upgrade", "h2c, websocket"), "GET", 11));
  EXPECT_FALSE(WantsWebSocketUpgrade(with("upgrade", "h2c"), "GET", 11));
  EXPECT_FALSE(WantsWebSocketUpgrade(with("keep-alive", "websocket"), "GET", 11));
  EXPECT_FALSE(WantsWebSocketUpgrade(with("upgrade", ""), "GET", 11));
  EXPECT_FALSE(WantsWebSocketUpgrade(with("upgrade", "websocketx"), "GET", 11));
  EXPECT_FALSE(WantsWebSocketUpgrade(with("upgrade", "websocket"), "POST", 11));
  EXPECT_FALSE(WantsWebSocketUpgrade(with("upgrade", "websocket"), "GET", 10));
  // Removed as hop-by-hop either way: only the route can ask the next hop again.
  HeaderMap h = with("Upgrade", "websocket");
  RemoveHopByHopHeaders(h);
  EXPECT_FALSE(h.Has("upgrade"));
  EXPECT_FALSE(h.Has("connection"));
}

}  // namespace
}  // namespace switchyard::http
