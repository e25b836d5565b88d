// Headers the proxy owns: hop-by-hop removal in both directions, X-Forwarded-*, request
// ids and Via.
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

class ProxyHeadersTest : public ProxyTest {
 protected:
  void StartDefault(std::vector<std::string> flags = {}) {
    backend_ = &AddBackend("b");
    ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()}), std::move(flags)));
  }
  // Sends `headers` (Host first) on a fresh connection; returns what the backend saw.
  ReceivedRequest Forward(const Headers& headers, const std::string& target = "/") {
    const size_t before = backend_->request_count();
    const Response r = RoundTrip(BuildRequest("GET", target, headers));
    EXPECT_TRUE(r.ok() && r.status == 200) << r.DebugString();
    EXPECT_EQ(backend_->request_count(), before + 1);
    const auto reqs = backend_->requests();
    return reqs.empty() ? ReceivedRequest() : reqs.back();
  }
  TestBackend* backend_ = nullptr;
};

// Tokens of every Connection field, lower-cased.
std::set<std::string> ConnectionTokens(const Headers& h) {
  std::set<std::string> out;
  std::string all = h.Joined("connection") + ",";
  std::string token;
  for (char c : all) {
    if (c == ',') {
      if (!token.empty()) out.insert(token);
      token.clear();
    } else if (c != ' ' && c != '\t') {
      token += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

// The proxy may put its own Connection field on its own hop, but only its own tokens.
void ExpectOnlyOwnConnectionTokens(const Headers& h) {
  for (const std::string& t : ConnectionTokens(h)) {
    EXPECT_TRUE(t == "keep-alive" || t == "close") << "forwarded Connection token '" << t << "'";
  }
}

TEST_F(ProxyHeadersTest, HopByHopRequestHeadersAreRemoved) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  const ReceivedRequest req = Forward({{"Host", "example.com"},
                                       {"Connection", "keep-alive, X-Custom-Hop, x-other-hop"},
                                       {"X-Custom-Hop", "secret"},
                                       {"X-Other-Hop", "secret2"},
                                       {"Keep-Alive", "timeout=5, max=100"},
                                       {"TE", "trailers"},
                                       {"Trailer", "X-Checksum"},
                                       {"Upgrade", "example/1"},
                                       {"Proxy-Connection", "keep-alive"},
                                       {"Proxy-Authorization", "Basic dXNlcjpwYXNz"},
                                       {"Proxy-Anything", "x"},
                                       {"X-End-To-End", "kept"},
                                       {"Authorization", "Bearer kept"}});
  for (const char* name :
       {"x-custom-hop", "x-other-hop", "keep-alive", "te", "trailer", "upgrade", "proxy-connection",
        "proxy-authorization", "proxy-anything", "transfer-encoding"}) {
    EXPECT_FALSE(req.headers.Has(name)) << name << " was forwarded:\n" << req.raw_head;
  }
  ExpectOnlyOwnConnectionTokens(req.headers);
  EXPECT_EQ(req.headers.Get("x-end-to-end"), "kept");
  EXPECT_EQ(req.headers.Get("authorization"), "Bearer kept");
}

TEST_F(ProxyHeadersTest, HopByHopResponseHeadersAreRemoved) {
  backend_ = &AddBackend("b", [](BackendExchange& ex) {
    ex.Reply(200, "ok",
             {{"Connection", "X-Resp-Hop"},
              {"X-Resp-Hop", "secret"},
              {"Keep-Alive", "timeout=5"},
              {"Trailer", "X-Checksum"},
              {"Upgrade", "foo"},
              {"Proxy-Authenticate", "Basic realm=x"},
              {"Proxy-Whatever", "x"},
              {"X-End-To-End", "kept"}});
  });
  ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()})));
  RawClient client = Connect();
  const Response r = client.RoundTrip(SimpleGet("/"));
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, "ok");
  for (const char* name :
       {"x-resp-hop", "keep-alive", "trailer", "upgrade", "proxy-authenticate", "proxy-whatever"}) {
    EXPECT_FALSE(r.headers.Has(name)) << name << " was forwarded:\n" << r.headers.DebugString();
  }
  ExpectOnlyOwnConnectionTokens(r.headers);
  EXPECT_EQ(r.headers.Get("x-end-to-end"), "kept");
}

TEST_F(ProxyHeadersTest, XForwardedForAppendsClientAddress) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  EXPECT_EQ(Forward({{"Host", "example.com"}}).headers.Joined("x-forwarded-for"), "127.0.0.1");
  EXPECT_EQ(Forward({{"Host", "example.com"}, {"X-Forwarded-For", "203.0.113.7"}})
                .headers.Joined("x-forwarded-for"),
            "203.0.113.7, 127.0.0.1");
  // Several incoming fields are one list; the client address goes at its end.
  EXPECT_EQ(Forward({{"Host", "example.com"},
                     {"X-Forwarded-For", "198.51.100.1, 198.51.100.2"},
                     {"X-Forwarded-For", "198.51.100.3"}})
                .headers.Joined("x-forwarded-for"),
            "198.51.100.1, 198.51.100.2, 198.51.100.3, 127.0.0.1");
}

TEST_F(ProxyHeadersTest, XForwardedProtoAndHostAreSetNotTrusted) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  const ReceivedRequest plain = Forward({{"Host", "shop.example.com:8080"}});
  EXPECT_EQ(plain.headers.GetAll("x-forwarded-proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(plain.headers.GetAll("x-forwarded-host"),
            std::vector<std::string>{"shop.example.com:8080"});
  // Spoofed values from the client are replaced, not passed along.
  const ReceivedRequest spoofed = Forward({{"Host", "shop.example.com"},
                                           {"X-Forwarded-Proto", "https"},
                                           {"X-Forwarded-Host", "evil.example"}});
  EXPECT_EQ(spoofed.headers.GetAll("x-forwarded-proto"), std::vector<std::string>{"http"});
  EXPECT_EQ(spoofed.headers.GetAll("x-forwarded-host"),
            std::vector<std::string>{"shop.example.com"});
  // Host itself goes through unchanged.
  EXPECT_EQ(spoofed.headers.GetAll("host"), std::vector<std::string>{"shop.example.com"});
}

TEST_F(ProxyHeadersTest, RequestIdIsGeneratedUniqueOrPassedThrough) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  std::set<std::string> ids;
  RawClient client = Connect();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(client.RoundTrip(SimpleGet("/")).ok());
  }
  for (const ReceivedRequest& req : backend_->requests()) {
    const std::vector<std::string> values = req.headers.GetAll("x-request-id");
    ASSERT_EQ(values.size(), 1u) << req.raw_head;
    EXPECT_FALSE(values[0].empty());
    ids.insert(values[0]);
  }
  EXPECT_EQ(ids.size(), 50u) << "request ids repeat";
  const ReceivedRequest given =
      Forward({{"Host", "example.com"}, {"X-Request-Id", "client-chosen-id-123"}});
  EXPECT_EQ(given.headers.GetAll("x-request-id"), std::vector<std::string>{"client-chosen-id-123"});
}

TEST_F(ProxyHeadersTest, LocalReplyCarriesTheRequestId) {
  TestBackend& b = AddBackend("b");
  ASSERT_TRUE(StartProxy(
      "virtual_hosts:\n- {name: v, domains: [\"only.example.com\"], routes: [{name: r, match: "
      "{prefix: \"/\"}, route: {cluster: c}}]}\nclusters:\n- {name: c, endpoints: [{address: "
      "127.0.0.1, port: " +
      std::to_string(b.port()) + "}]}\n"));
  const Response given = RoundTrip(
      BuildRequest("GET", "/", {{"Host", "elsewhere.example"}, {"X-Request-Id", "rid-42"}}));
  ASSERT_TRUE(IsLocalReply(given, 404, {"route_not_found"}));
  EXPECT_EQ(LocalReplyRequestId(given), "rid-42");
  // Generated ids differ per request.
  const Response a = Get("/", "elsewhere.example");
  const Response c = Get("/", "elsewhere.example");
  ASSERT_TRUE(IsLocalReply(a, 404, {"route_not_found"}));
  ASSERT_TRUE(IsLocalReply(c, 404, {"route_not_found"}));
  EXPECT_NE(LocalReplyRequestId(a), LocalReplyRequestId(c));
}

TEST_F(ProxyHeadersTest, NoViaWithoutFlag) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  EXPECT_FALSE(Forward({{"Host", "example.com"}}).headers.Has("via"));
  // An incoming Via is end-to-end and stays as it was.
  EXPECT_EQ(Forward({{"Host", "example.com"}, {"Via", "1.0 fred"}}).headers.Joined("via"),
            "1.0 fred");
}

TEST_F(ProxyHeadersTest, ViaIsAddedWithFlag) {
  ASSERT_NO_FATAL_FAILURE(StartDefault({"--via=edge-1"}));
  EXPECT_EQ(Forward({{"Host", "example.com"}}).headers.Joined("via"), "1.1 edge-1");
  EXPECT_EQ(Forward({{"Host", "example.com"}, {"Via", "1.0 fred"}}).headers.Joined("via"),
            "1.0 fred, 1.1 edge-1");
}

TEST_F(ProxyHeadersTest, EndToEndHeadersKeepValuesAndOrder) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  const ReceivedRequest req = Forward({{"Host", "example.com"},
                                       {"X-Multi", "first"},
                                       {"Accept", "text/html"},
                                       {"X-Multi", "second"},
                                       {"Cookie", "a=1"},
                                       {"X-Empty", ""},
                                       {"X-Spaces", "a  b"}},
                                      "/path%20with?q=a%2Fb&r=%E2%82%AC");
  EXPECT_EQ(req.target, "/path%20with?q=a%2Fb&r=%E2%82%AC");
  EXPECT_EQ(req.headers.GetAll("x-multi"), (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(req.headers.Get("accept"), "text/html");
  EXPECT_EQ(req.headers.Get("cookie"), "a=1");
  EXPECT_EQ(req.headers.Get("x-empty"), "");
  EXPECT_EQ(req.headers.Get("x-spaces"), "a  b");
}

}  // namespace
}  // namespace switchyard::testing
