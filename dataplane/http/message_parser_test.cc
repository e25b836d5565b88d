#include "dataplane/http/message_parser.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::http {
namespace {

struct Parsed {
  bool ok = false;
  ParseFailure failure = ParseFailure::kNone;
  BodyFraming framing = BodyFraming::kNone;
  std::string body;
  HeaderMap headers;
  HeaderMap trailers;
  bool done = false;
};

// Feeds `bytes` the way a session does: parse, collect body pieces, discard consumed bytes.
template <bool kIsRequest>
Parsed Parse(std::string bytes, const ParserLimits& limits = {}, bool head_response = false) {
  HeaderMap headers;
  MessageParser<kIsRequest> parser(limits, headers);
  if (head_response) parser.skip(true);
  Parsed result;
  HeaderMap trailers;
  parser.set_trailers(&trailers);
  boost::beast::error_code ec;
  while (!bytes.empty() && !parser.is_done()) {
    const size_t n = parser.Feed(bytes, ec);
    if (ec) {
      result.failure = parser.failure();
      return result;
    }
    result.body += parser.TakeBody();
    bytes.erase(0, n);
    if (n == 0) break;  // needs more than we have
  }
  result.ok = true;
  result.headers = headers;
  result.trailers = trailers;
  result.framing = parser.framing();
  result.done = parser.is_done();
  return result;
}

TEST(RequestParserTest, SimpleGet) {
  const Parsed p = Parse<true>("GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.framing, BodyFraming::kNone);
}

TEST(RequestParserTest, HeadFieldsAreRecordedLowerCased) {
  HeaderMap headers;
  RequestParser parser({}, headers);
  boost::beast::error_code ec;
  std::string bytes = "POST /u HTTP/1.1\r\nHost: x\r\nX-Trace: AbC\r\nContent-Length: 3\r\n\r\nabc";
  const size_t n = parser.Feed(bytes, ec);
  ASSERT_FALSE(ec);
  ASSERT_TRUE(parser.is_header_done());
  EXPECT_EQ(parser.method(), "POST");
  EXPECT_EQ(parser.target(), "/u");
  EXPECT_EQ(parser.version(), 11);
  ASSERT_NE(parser.headers().Get("x-trace"), nullptr);
  EXPECT_EQ(*parser.headers().Get("X-TRACE"), "AbC");
  EXPECT_EQ(parser.framing(), BodyFraming::kContentLength);
  EXPECT_EQ(parser.content_length(), 3u);
  EXPECT_LT(n, bytes.size());  // stops after the head
}

TEST(RequestParserTest, ContentLengthBody) {
  const Parsed p = Parse<true>("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.body, "hello");
  EXPECT_TRUE(p.done);
}

TEST(RequestParserTest, ChunkedBodyIsDechunkedAndTrailersKeptApart) {
  const Parsed p = Parse<true>(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: 1\r\nX-Checksum: abc\r\n\r\n");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.framing, BodyFraming::kChunked);
  EXPECT_EQ(p.body, "abcde");
  EXPECT_TRUE(p.done);
  // Trailers never join the head (they are not framing and were not there when it was
  // routed); they go to the trailer map for phases.
  EXPECT_EQ(p.headers.Get("x-trailer"), nullptr);
  EXPECT_EQ(p.trailers.size(), 2u);
  ASSERT_NE(p.trailers.Get("x-trailer"), nullptr);
  EXPECT_EQ(*p.trailers.Get("x-trailer"), "1");
  ASSERT_NE(p.trailers.Get("x-checksum"), nullptr);
  EXPECT_EQ(*p.trailers.Get("x-checksum"), "abc");
}

TEST(RequestParserTest, TrailerFieldsCountAgainstTheFieldLimit) {
  const std::string head =
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n";
  const Parsed under = Parse<true>(head + "0\r\nA: 1\r\n\r\n", {.max_headers = 3});
  EXPECT_TRUE(under.ok);
  EXPECT_EQ(under.trailers.size(), 1u);
  const Parsed over = Parse<true>(head + "0\r\nA: 1\r\nB: 2\r\n\r\n", {.max_headers = 3});
  EXPECT_FALSE(over.ok);
  EXPECT_EQ(over.failure, ParseFailure::kTooManyHeaders);
}

TEST(ResponseParserTest, ChunkedTrailersAreKeptApart) {
  const Parsed p = Parse<false>(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "2\r\nok\r\n0\r\nGrpc-Status: 0\r\n\r\n");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.body, "ok");
  EXPECT_EQ(p.headers.Get("grpc-status"), nullptr);
  ASSERT_NE(p.trailers.Get("grpc-status"), nullptr);
  EXPECT_EQ(*p.trailers.Get("grpc-status"), "0");
}

struct BadRequestCase {
  const char* name;
  std::string bytes;
  ParseFailure failure;
};

class BadRequestTest : public ::testing::TestWithParam<BadRequestCase> {};

TEST_P(BadRequestTest, IsRejected) {
  const Parsed p = Parse<true>(
      GetParam().bytes, {.max_header_bytes = 4096, .max_headers = 10, .max_request_line = 256});
  EXPECT_FALSE(p.ok) << GetParam().name;
  EXPECT_EQ(p.failure, GetParam().failure) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    Framing, BadRequestTest,
    ::testing::Values(
        BadRequestCase{"cl_and_te",
                       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"te_and_cl",
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                       "Content-Length: 3\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{
            "duplicate_same_cl",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
            ParseFailure::kMalformed},
        BadRequestCase{"cl_list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{
            "cl_differs",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            ParseFailure::kMalformed},
        BadRequestCase{"cl_not_a_number",
                       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"cl_negative", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"te_gzip_chunked",
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"te_identity",
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"te_twice",
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"obs_fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"obs_fold_tab", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\tc\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"cr_in_value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\rc\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"nul_in_value",
                       std::string("GET / HTTP/1.1\r\nHost: x\r\nX-A: b") + '\0' + "c\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"bad_chunk_size",
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"chunk_size_overflow",
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "fffffffffffffffffffff\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"chunk_without_crlf",
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "3\r\nabcX0\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"http11_without_host", "GET / HTTP/1.1\r\n\r\n", ParseFailure::kMalformed},
        BadRequestCase{"two_hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"space_before_colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
                       ParseFailure::kMalformed},
        // RFC 9112 section 3.2: a Host that is not uri-host [":" port] is a 400.
        BadRequestCase{"host_with_space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"host_with_path", "GET / HTTP/1.1\r\nHost: acl.test/x\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"host_with_userinfo", "GET / HTTP/1.1\r\nHost: evil.com@acl.test\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"host_port_too_big", "GET / HTTP/1.1\r\nHost: acl.test:99999\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"http10_invalid_host", "GET / HTTP/1.0\r\nHost: a b\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"http10_two_hosts", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
                       ParseFailure::kMalformed},
        // RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing.
        BadRequestCase{"http10_chunked",
                       "POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "0\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"http10_chunked_no_host",
                       "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                       ParseFailure::kMalformed},
        BadRequestCase{"too_many_headers",
                       "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n"
                       "F: 1\r\nG: 1\r\nH: 1\r\nI: 1\r\nJ: 1\r\n\r\n",
                       ParseFailure::kTooManyHeaders},
        BadRequestCase{"headers_too_large",
                       "GET / HTTP/1.1\r\nHost: x\r\nA: " + std::string(5000, 'a') + "\r\n\r\n",
                       ParseFailure::kHeaderTooLarge},
        BadRequestCase{"request_line_too_long",
                       "GET /" + std::string(300, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
                       ParseFailure::kUriTooLong},
        BadRequestCase{"request_line_over_header_limit",
                       "GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
                       ParseFailure::kUriTooLong}),
    [](const ::testing::TestParamInfo<BadRequestCase>& info) { return info.param.name; });

// Feeds `bytes` in `step`-byte increments, as slow networks deliver them.
ParseFailure FailureWhenFedInSteps(const std::string& bytes, size_t step) {
  HeaderMap headers;
  RequestParser parser({}, headers);
  boost::beast::error_code ec;
  size_t consumed = 0;
  for (size_t have = step; !ec && !parser.is_header_done(); have += step) {
    have = std::min(have, bytes.size());
    consumed += parser.Feed(std::string_view(bytes).substr(consumed, have - consumed), ec);
    if (have == bytes.size()) break;
  }
  return parser.failure();
}

TEST(RequestParserTest, ObsFoldIsFoundWhateverTheReadSizes) {
  const std::string folded =
      "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\nX-B: 2\r\n folded\r\nX-C: 3\r\n\r\n";
  for (size_t step = 1; step <= folded.size(); ++step) {
    EXPECT_EQ(FailureWhenFedInSteps(folded, step), ParseFailure::kMalformed) << "step " << step;
  }
}

TEST(RequestParserTest, LargeHeaderAfterShortRequestLineIs431WhateverTheReadSizes) {
  const std::string big = "GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(70000, 'a') + "\r\n\r\n";
  EXPECT_EQ(FailureWhenFedInSteps(big, 16384), ParseFailure::kHeaderTooLarge);
  EXPECT_EQ(FailureWhenFedInSteps(big, big.size()), ParseFailure::kHeaderTooLarge);
}

// Found by tools/fuzz/http1_request_fuzzer: Boost.Beast 1.74 applies its header limit to
// the request line and then again to the fields after it, so a head that arrived in one
// read could be as large as the request line plus max_header_bytes. The limit is the
// whole head's, whatever the read sizes.
TEST(RequestParserTest, HeaderLimitCountsTheRequestLineWhateverTheReadSizes) {
  const ParserLimits limits;  // 64 KiB head, 8 KiB request line
  const std::string start = "GET /" + std::string(4000, 'p') + " HTTP/1.1\r\nHost: x\r\nX: ";
  const std::string end = "\r\n\r\n";
  const size_t fill = limits.max_header_bytes - start.size() - end.size();
  const std::string at_limit = start + std::string(fill, 'a') + end;
  const std::string over_limit = start + std::string(fill + 1, 'a') + end;
  ASSERT_EQ(at_limit.size(), limits.max_header_bytes);
  for (const size_t step : {size_t{1000}, size_t{16384}, at_limit.size(), over_limit.size()}) {
    EXPECT_EQ(FailureWhenFedInSteps(at_limit, step), ParseFailure::kNone) << "step " << step;
    EXPECT_EQ(FailureWhenFedInSteps(over_limit, step), ParseFailure::kHeaderTooLarge)
        << "step " << step;
  }
}

TEST(RequestParserTest, Http10WithoutHostIsAccepted) {
  EXPECT_TRUE(Parse<true>("GET / HTTP/1.0\r\n\r\n").ok);
}

TEST(RequestParserTest, ObsFoldCheckIgnoresBodyBytes) {
  const Parsed p = Parse<true>("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\na\r\n b");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.body, "a\r\n b");
}

TEST(RequestParserTest, ValidHostForms) {
  for (const char* host : {"example.com", "example.com:8080", "127.0.0.1:80", "[::1]:8443", ""}) {
    EXPECT_TRUE(Parse<true>(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n").ok)
        << host;
  }
}

// Parses one request head with `limits`; the parser's headers are copied out.
struct ParsedHead {
  bool ok = false;
  ParseFailure failure = ParseFailure::kNone;
  BodyFraming framing = BodyFraming::kNone;
  HeaderMap headers;
};

ParsedHead ParseHead(const std::string& bytes, const ParserLimits& limits) {
  HeaderMap headers;
  RequestParser parser(limits, headers);
  boost::beast::error_code ec;
  parser.Feed(bytes, ec);
  ParsedHead result;
  result.ok = !ec && parser.is_header_done();
  result.failure = parser.failure();
  result.framing = parser.framing();
  result.headers = headers;
  return result;
}

const std::string kUnderscoreRequest =
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer_Encoding: chunked\r\nContent_Length: 9\r\n"
    "X-Plain: 1\r\nContent-Length: 2\r\n\r\nab";

TEST(RequestParserTest, UnderscoreHeadersAreDroppedByDefault) {
  EXPECT_EQ(ParserLimits{}.headers_with_underscores, HeadersWithUnderscores::kDrop);
  const ParsedHead p = ParseHead(kUnderscoreRequest, {});
  ASSERT_TRUE(p.ok);
  EXPECT_FALSE(p.headers.Has("transfer_encoding"));
  EXPECT_FALSE(p.headers.Has("content_length"));
  EXPECT_TRUE(p.headers.Has("x-plain"));
  EXPECT_EQ(p.framing, BodyFraming::kContentLength);
  EXPECT_EQ(p.headers.size(), 3u);  // host, x-plain, content-length
}

TEST(RequestParserTest, UnderscoreHeadersAllowed) {
  const ParsedHead p =
      ParseHead(kUnderscoreRequest, {.headers_with_underscores = HeadersWithUnderscores::kAllow});
  ASSERT_TRUE(p.ok);
  ASSERT_NE(p.headers.Get("transfer_encoding"), nullptr);
  EXPECT_EQ(*p.headers.Get("transfer_encoding"), "chunked");
  EXPECT_EQ(*p.headers.Get("content_length"), "9");
  // They are ordinary fields: framing still comes from Content-Length.
  EXPECT_EQ(p.framing, BodyFraming::kContentLength);
}

TEST(RequestParserTest, UnderscoreHeadersRejected) {
  const ParsedHead p =
      ParseHead(kUnderscoreRequest, {.headers_with_underscores = HeadersWithUnderscores::kReject});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.failure, ParseFailure::kMalformed);
}

TEST(RequestParserTest, DroppedHeadersStillCountTowardsTheFieldLimit) {
  std::string bytes = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 10; ++i) bytes += "X_" + std::to_string(i) + ": 1\r\n";
  const ParsedHead p = ParseHead(bytes + "\r\n", {.max_headers = 5});
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.failure, ParseFailure::kTooManyHeaders);
}

TEST(ResponseParserTest, UnderscorePolicyIsForRequestsOnly) {
  HeaderMap headers;
  ResponseParser parser({.headers_with_underscores = HeadersWithUnderscores::kReject}, headers);
  boost::beast::error_code ec;
  parser.Feed("HTTP/1.1 200 OK\r\nX_Backend: 1\r\nContent-Length: 0\r\n\r\n", ec);
  ASSERT_FALSE(ec);
  EXPECT_TRUE(headers.Has("x_backend"));
}

TEST(ParserLimitsTest, ParseHeadersWithUnderscores) {
  HeadersWithUnderscores policy = HeadersWithUnderscores::kAllow;
  EXPECT_TRUE(ParseHeadersWithUnderscores("drop", policy));
  EXPECT_EQ(policy, HeadersWithUnderscores::kDrop);
  EXPECT_TRUE(ParseHeadersWithUnderscores("reject", policy));
  EXPECT_EQ(policy, HeadersWithUnderscores::kReject);
  EXPECT_TRUE(ParseHeadersWithUnderscores("allow", policy));
  EXPECT_EQ(policy, HeadersWithUnderscores::kAllow);
  EXPECT_FALSE(ParseHeadersWithUnderscores("Drop", policy));
  EXPECT_FALSE(ParseHeadersWithUnderscores("", policy));
  EXPECT_EQ(policy, HeadersWithUnderscores::kAllow);
}

TEST(ResponseParserTest, UntilCloseFraming) {
  const Parsed p = Parse<false>("HTTP/1.1 200 OK\r\n\r\nsome");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.framing, BodyFraming::kUntilClose);
  EXPECT_EQ(p.body, "some");
  EXPECT_FALSE(p.done);
}

TEST(ResponseParserTest, NoBodyStatuses) {
  EXPECT_TRUE(Parse<false>("HTTP/1.1 204 No Content\r\n\r\n").done);
  EXPECT_TRUE(Parse<false>("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").done);
  EXPECT_TRUE(Parse<false>("HTTP/1.1 100 Continue\r\n\r\n").done);
}

TEST(ResponseParserTest, HeadResponseHasNoBody) {
  const Parsed p = Parse<false>("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", {}, true);
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.framing, BodyFraming::kNone);
}

TEST(ResponseParserTest, AmbiguousResponseFramingIsRejected) {
  const Parsed p =
      Parse<false>("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.failure, ParseFailure::kMalformed);
}

// Feeds `reads` one after another the way a session does: each Feed sees every buffered,
// unconsumed byte; consumed bytes are discarded; after a Feed that consumed nothing the
// next read is appended.
template <bool kIsRequest>
Parsed FeedReads(const std::vector<std::string>& reads) {
  HeaderMap headers;
  MessageParser<kIsRequest> parser({}, headers);
  Parsed result;
  std::string buffer;
  for (const std::string& read : reads) {
    buffer += read;
    while (!buffer.empty() && !parser.is_done()) {
      boost::beast::error_code ec;
      const size_t n = parser.Feed(buffer, ec);
      if (ec) {
        result.failure = parser.failure();
        return result;
      }
      result.body += parser.TakeBody();
      buffer.erase(0, n);
      if (n == 0) break;
    }
  }
  result.ok = true;
  result.framing = parser.framing();
  result.done = parser.is_done();
  return result;
}

// Found by tools/fuzz/http1_request_fuzzer: an empty chunked body whose last chunk
// "0\r\n" arrives alone and is then followed by fewer than 2 more bytes made Boost.Beast
// 1.74 fail `assert(n >= 5)` in parse_chunk_header, aborting the whole proxy (Bazel
// builds keep asserts). Any client could send this.
TEST(RequestParserTest, EmptyChunkedBodyWithLastChunkSplitAcrossReads) {
  const std::string head = "POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const Parsed p = FeedReads<true>({head, "0\r\n", "\r", "\n"});
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.framing, BodyFraming::kChunked);
  EXPECT_EQ(p.body, "");

  // The same with a trailer field whose first byte arrives alone.
  const Parsed t = FeedReads<true>({head, "0\r\n", "X", "-T: 1\r\n\r\n"});
  ASSERT_TRUE(t.ok);
  EXPECT_TRUE(t.done);
}

TEST(RequestParserTest, ChunkedBodyDeliveredByteByByte) {
  std::vector<std::string> reads = {
      "POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"};
  for (const char c : std::string("1\r\na\r\n3;x=y\r\nbcd\r\n0\r\nT: v\r\n\r\n")) {
    reads.emplace_back(1, c);
  }
  const Parsed p = FeedReads<true>(reads);
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.body, "abcd");
}

// An upstream response goes through the same code (and could abort the proxy the same way).
TEST(ResponseParserTest, EmptyChunkedBodyWithLastChunkSplitAcrossReads) {
  const Parsed p = FeedReads<false>(
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "0\r\n", "\r", "\n"});
  ASSERT_TRUE(p.ok);
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.body, "");
}

}  // namespace
}  // namespace switchyard::http
