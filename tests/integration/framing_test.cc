// Malformed and ambiguous request framing. Each of these is a request-smuggling or
// desynchronisation vector if a proxy forwards it and the backend reads it differently, so
// the contract is: a 400 local reply, the client connection closed, and no complete
// request reaching the backend. TearDown additionally checks the proxy did not crash and
// the backend never received anything it could not parse.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::seconds;

struct BadRequest {
  const char* name;
  std::string bytes;
  // The error is in the head: the backend must not see the request at all. Otherwise
  // (chunk framing errors) the proxy may already have forwarded the head, but the backend
  // must never see a complete request.
  bool head_error;
};

void PrintTo(const BadRequest& b, std::ostream* os) { *os << b.name; }

std::string Post(const std::string& fields, const std::string& body) {
  return "POST /upload HTTP/1.1\r\nHost: example.com\r\n" + fields + "\r\n" + body;
}

std::vector<BadRequest> BadRequests() {
  const std::string chunked_te = "Transfer-Encoding: chunked\r\n";
  return {
      // Content-Length together with Transfer-Encoding, in both orders.
      {"cl_then_te", Post("Content-Length: 5\r\n" + chunked_te, "0\r\n\r\n"), true},
      {"te_then_cl", Post(chunked_te + "Content-Length: 5\r\n", "0\r\n\r\n"), true},
      {"cl_zero_with_te", Post("Content-Length: 0\r\n" + chunked_te, "0\r\n\r\n"), true},
      // Conflicting or invalid lengths.
      {"two_different_cl", Post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!"), true},
      {"cl_list_different", Post("Content-Length: 1,2\r\n", "ab"), true},
      {"cl_abc", Post("Content-Length: abc\r\n", "abc"), true},
      {"cl_negative", Post("Content-Length: -1\r\n", "a"), true},
      {"cl_plus_sign", Post("Content-Length: +5\r\n", "hello"), true},
      {"cl_overflow", Post("Content-Length: 99999999999999999999999\r\n", "x"), true},
      // Transfer-Encoding other than exactly "chunked".
      {"te_gzip_chunked", Post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), true},
      {"te_chunked_gzip", Post("Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"), true},
      {"te_identity", Post("Transfer-Encoding: identity\r\n", ""), true},
      {"te_chunked_twice", Post("Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n"), true},
      {"te_unknown", Post("Transfer-Encoding: foo\r\n", "0\r\n\r\n"), true},
      // obs-fold: a line starting with space or tab continues the previous field.
      {"obs_fold_space", "GET / HTTP/1.1\r\nHost: example.com\r\nX-Folded: a\r\n b\r\n\r\n", true},
      {"obs_fold_tab", "GET / HTTP/1.1\r\nHost: example.com\r\nX-Folded: a\r\n\tb\r\n\r\n", true},
      {"obs_fold_hiding_cl", Post("X-Folded: a\r\n Content-Length: 5\r\n", "hello"), true},
      // Control characters inside a field value.
      {"cr_in_value", "GET / HTTP/1.1\r\nHost: example.com\r\nX-A: b\rc\r\n\r\n", true},
      {"nul_in_value",
       std::string("GET / HTTP/1.1\r\nHost: example.com\r\nX-A: b") + '\0' + "c\r\n\r\n", true},
      // Whitespace between field name and colon (RFC 9112 5.1 requires a 400).
      {"space_before_colon", Post("Content-Length : 5\r\n", "hello"), true},
      // HTTP/1.1 requires Host.
      {"missing_host", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", true},
      {"garbage_request_line", "THIS IS NOT HTTP\r\n\r\n", true},
      // Broken chunked framing in the body.
      {"chunk_size_zz", Post(chunked_te, "zz\r\nhello\r\n0\r\n\r\n"), false},
      {"chunk_size_overflow", Post(chunked_te, "fffffffffffffffff1\r\nhello\r\n0\r\n\r\n"), false},
      {"chunk_size_negative", Post(chunked_te, "-5\r\nhello\r\n0\r\n\r\n"), false},
      {"chunk_missing_crlf", Post(chunked_te, "5\r\nhelloXX0\r\n\r\n"), false},
      {"chunk_data_longer_than_size", Post(chunked_te, "3\r\nhello\r\n0\r\n\r\n"), false},
  };
}

class MalformedRequestTest : public ProxyTest, public ::testing::WithParamInterface<BadRequest> {
 protected:
  void SetUp() override {
    backend_ = &AddBackend("b");
    ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()})));
  }
  TestBackend* backend_ = nullptr;
};

TEST_P(MalformedRequestTest, Gets400AndCloseAndNothingForwarded) {
  const BadRequest& bad = GetParam();
  RawClient client = Connect();
  ASSERT_TRUE(client.connected());
  // The proxy may answer and close before reading all of it; that is fine.
  client.Send(bad.bytes);
  const Response r = client.ReadResponse();
  EXPECT_TRUE(IsLocalReply(r, 400, {})) << bad.name;
  const RawClient::CloseResult closed = client.WaitForClose(seconds(5));
  EXPECT_TRUE(closed.closed) << "connection left open after a 400 for " << bad.name;
  EXPECT_TRUE(closed.data.empty()) << "bytes after the 400: " << closed.data;
  if (bad.head_error) {
    EXPECT_EQ(backend_->request_count(), 0u) << "forwarded: " << backend_->requests()[0].raw_head;
  }
  EXPECT_EQ(backend_->completed_request_count(), 0u);
  // The proxy is still serving.
  const Response ok = Get("/after");
  ASSERT_TRUE(ok.ok()) << ok.DebugString();
  EXPECT_EQ(ok.status, 200);
}

INSTANTIATE_TEST_SUITE_P(Framing, MalformedRequestTest, ::testing::ValuesIn(BadRequests()),
                         [](const ::testing::TestParamInfo<BadRequest>& info) {
                           return std::string(info.param.name);
                         });

class FramingTest : public ProxyTest {
 protected:
  void SetUp() override {
    backend_ = &AddBackend("b", [](BackendExchange& ex) {
      ex.Reply(200, "target=" + ex.request().target + " body=" + ex.request().body);
    });
    ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()})));
  }
  TestBackend* backend_ = nullptr;
};

// The classic CL.TE smuggle: a front end that honours Content-Length and a back end that
// honours chunked disagree about where the first request ends. The hidden request must
// never reach the backend, on this connection or any later one.
TEST_F(FramingTest, SmuggledRequestNeverReachesBackend) {
  const std::string hidden = "GET /smuggled HTTP/1.1\r\nHost: example.com\r\n\r\n";
  const std::string body = "0\r\n\r\n" + hidden;
  RawClient client = Connect();
  ASSERT_TRUE(client.connected());
  client.Send("POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
  EXPECT_TRUE(IsLocalReply(client.ReadResponse(), 400, {}));
  EXPECT_TRUE(client.WaitForClose(seconds(5)).closed);
  // Later traffic (which would pick up a poisoned upstream connection) is clean.
  for (int i = 0; i < 3; ++i) {
    const Response r = Get("/after");
    ASSERT_TRUE(r.ok()) << r.DebugString();
    EXPECT_EQ(r.body, "target=/after body=");
  }
  for (const ReceivedRequest& req : backend_->requests()) {
    EXPECT_NE(req.target, "/smuggled");
  }
}

// Bare LF line endings are accepted or rejected as Beast decides, but never forwarded in a
// form the backend could read differently: either a 400 (nothing forwarded) or a clean,
// re-serialised request with exactly the fields the client meant.
TEST_F(FramingTest, BareLfIsRejectedOrNormalised) {
  const Response r =
      RoundTrip("POST /lf HTTP/1.1\nHost: example.com\nContent-Length: 5\nX-A: 1\n\nhello");
  ASSERT_TRUE(r.ok()) << r.DebugString();
  RecordProperty("outcome", r.status == 400 ? "rejected" : "normalised");
  if (r.status == 400) {
    EXPECT_TRUE(IsLocalReply(r, 400, {}));
    EXPECT_EQ(backend_->request_count(), 0u);
  } else {
    EXPECT_EQ(r.status, 200) << r.DebugString();
    EXPECT_EQ(r.body, "target=/lf body=hello");
    const ReceivedRequest req = backend_->requests().at(0);
    EXPECT_EQ(req.headers.Get("x-a"), "1");
    EXPECT_EQ(req.raw_head.find("\n\n"), std::string::npos) << req.raw_head;
  }
}

// A bare LF inside the field section must not let "Content-Length" hide inside another
// field's value on one side and be a real field on the other.
TEST_F(FramingTest, BareLfCannotHideAFieldFromOneSide) {
  RawClient client = Connect();
  ASSERT_TRUE(client.connected());
  client.Send(
      "POST /lf2 HTTP/1.1\r\nHost: example.com\r\nX-Foo: bar\nContent-Length: 5\r\n\r\nhello");
  const Response r = client.ReadResponse();
  ASSERT_TRUE(r.ok()) << r.DebugString();
  RecordProperty("outcome", r.status == 400 ? "rejected" : "normalised");
  if (r.status == 400) {
    EXPECT_TRUE(IsLocalReply(r, 400, {}));
    EXPECT_EQ(backend_->request_count(), 0u);
  } else {
    // Accepted: then the LF ended the X-Foo line and the body is the 5 bytes.
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "target=/lf2 body=hello");
    const ReceivedRequest req = backend_->requests().at(0);
    EXPECT_EQ(req.headers.Get("x-foo"), "bar");
    EXPECT_EQ(req.content_length, 5u);
  }
}

TEST_F(FramingTest, BareCrLineEndingIsRejected) {
  RawClient client = Connect();
  ASSERT_TRUE(client.connected());
  client.Send("GET /cr HTTP/1.1\rHost: example.com\r\r");
  const Response r = client.ReadResponse(ReadOptions{.timeout = seconds(15)});
  // A bare CR can never be a line ending that Beast accepts; it may only be rejected.
  EXPECT_TRUE(IsLocalReply(r, 400, {}));
  EXPECT_EQ(backend_->request_count(), 0u);
}

}  // namespace
}  // namespace switchyard::testing
