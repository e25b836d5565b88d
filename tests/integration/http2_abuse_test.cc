// HTTP/2 abuse, driven with raw frames (tests/support/h2_frames): each attack ends the
// connection with GOAWAY, and the proxy goes on serving others. The limits are
// nghttp2's, set explicitly by the proxy (docs/http2.md, "Limits and defences").
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/h2_frames.h"
#include "tests/support/http_message.h"
#include "tests/support/proxy_test.h"
#include "tests/support/raw_client.h"

namespace switchyard::testing {
namespace {

using std::chrono::seconds;

// The resident memory of process `pid`, in KiB (0 when unreadable).
int64_t VmRssKib(pid_t pid) {
  const std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
  const size_t at = status.find("VmRSS:");
  return at == std::string::npos ? 0 : std::atoll(status.c_str() + at + 6);
}

// Reads frames from `client` until one satisfies `wanted` or `timeout` passes; returns
// every frame read (the last one is the wanted one, if it came).
std::vector<h2::ReceivedFrame> ReadFramesUntil(
    RawClient& client, const std::function<bool(const h2::ReceivedFrame&)>& wanted,
    Clock::duration timeout) {
  std::string bytes;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    bytes += client.ReadAvailable(std::chrono::milliseconds(100));
    std::vector<h2::ReceivedFrame> frames = h2::ParseFrames(bytes);
    for (size_t i = 0; i < frames.size(); ++i) {
      if (wanted(frames[i])) {
        frames.resize(i + 1);
        return frames;
      }
    }
  }
  return h2::ParseFrames(bytes);
}

bool IsResetOfStream1(const h2::ReceivedFrame& frame) {
  return frame.stream_id == 1 && frame.type == h2::kRstStream;
}

class Http2AbuseTest : public ProxyTest {
 protected:
  void Start(std::vector<std::string> flags = {}) {
    backend_ = &AddBackend("b", [](BackendExchange& ex) { ex.Reply(200, std::string(64, 'x')); });
    ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()}), std::move(flags)));
  }

  // Sends `attack` after the preface, then reads until the proxy closes the connection;
  // returns the frames it sent.
  std::vector<h2::ReceivedFrame> Attack(const std::string& attack) {
    RawClient client = Connect();
    EXPECT_TRUE(client.connected());
    // The proxy may close while this is still being sent; what matters is what it answers.
    client.Send(h2::ClientPreface() + attack, seconds(20));
    const RawClient::CloseResult closed = client.WaitForClose(seconds(20));
    EXPECT_TRUE(closed.closed) << "the connection stayed open";
    return h2::ParseFrames(closed.data);
  }

  static const h2::ReceivedFrame* Goaway(const std::vector<h2::ReceivedFrame>& frames) {
    for (const h2::ReceivedFrame& frame : frames) {
      if (frame.type == h2::kGoaway) return &frame;
    }
    return nullptr;
  }

  // After an attack the proxy still serves, over HTTP/1.1 and HTTP/2.
  void ExpectStillServing() {
    EXPECT_EQ(Get("/after").status, 200);
    RawClient client = Connect();
    h2::HpackEncoder hpack;
    ASSERT_TRUE(
        client.Send(h2::ClientPreface() + h2::Frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream,
                                                    1, hpack.Encode(h2::Get("/h2-after")))));
    const std::vector<h2::ReceivedFrame> frames = ReadFramesUntil(
        client,
        [](const h2::ReceivedFrame& frame) {
          return frame.stream_id == 1 && (frame.flags & h2::kEndStream) != 0;
        },
        seconds(5));
    const bool answered = !frames.empty() && frames.back().stream_id == 1 &&
                          (frames.back().flags & h2::kEndStream) != 0;
    EXPECT_TRUE(answered) << "no complete HTTP/2 response after the attack";
  }

  TestBackend* backend_ = nullptr;
};

// CVE-2023-44487: streams opened and reset at once, thousands of them.
TEST_F(Http2AbuseTest, RapidResetEndsTheConnectionWithGoaway) {
  ASSERT_NO_FATAL_FAILURE(Start());
  h2::HpackEncoder hpack;
  std::string attack;
  constexpr uint32_t kStreams = 5000;
  for (uint32_t i = 0; i < kStreams; ++i) {
    const uint32_t id = 2 * i + 1;
    attack +=
        h2::Frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, id, hpack.Encode(h2::Get("/r")));
    attack += h2::RstStream(id, h2::kCancel);
  }
  const std::vector<h2::ReceivedFrame> frames = Attack(attack);
  const h2::ReceivedFrame* goaway = Goaway(frames);
  ASSERT_NE(goaway, nullptr) << "no GOAWAY among " << frames.size() << " frames";
  // nghttp2's limiter ends the session with INTERNAL_ERROR, long before the last stream.
  EXPECT_EQ(goaway->GoawayError(), h2::kInternalError);
  EXPECT_LT(goaway->GoawayLastStream(), 2 * kStreams - 1);
  // The limiter stopped it long before every stream reached the backend.
  EXPECT_LT(backend_->request_count(), kStreams / 2);
  ExpectStillServing();
}

// CVE-2024-28182: one header block spread over endless CONTINUATION frames.
TEST_F(Http2AbuseTest, ContinuationFloodEndsTheConnectionWithGoaway) {
  ASSERT_NO_FATAL_FAILURE(Start());
  h2::HpackEncoder hpack;
  std::vector<std::pair<std::string, std::string>> fields = h2::Get("/c");
  for (int i = 0; i < 200; ++i) fields.emplace_back("x-h" + std::to_string(i), "v");
  const std::string block = hpack.Encode(fields);
  std::string attack = h2::Frame(h2::kHeaders, h2::kEndStream, 1, block.substr(0, 4));
  for (size_t at = 4; at < block.size(); at += 4) {
    attack += h2::Frame(h2::kContinuation, 0, 1, block.substr(at, 4));  // never END_HEADERS
  }
  const std::vector<h2::ReceivedFrame> frames = Attack(attack);
  ASSERT_NE(Goaway(frames), nullptr) << frames.size() << " frames";
  EXPECT_EQ(backend_->request_count(), 0u);
  ExpectStillServing();
}

// SETTINGS (and PING) frames each demand an answer; a client that sends them without
// reading the answers would make the proxy queue them without end.
TEST_F(Http2AbuseTest, SettingsFloodEndsTheConnectionWithGoaway) {
  ASSERT_NO_FATAL_FAILURE(Start());
  std::string attack;
  for (int i = 0; i < 20000; ++i) attack += h2::Settings({{0x3 /* MAX_CONCURRENT */, 100}});
  const std::vector<h2::ReceivedFrame> frames = Attack(attack);
  const h2::ReceivedFrame* goaway = Goaway(frames);
  ASSERT_NE(goaway, nullptr) << frames.size() << " frames";
  EXPECT_EQ(goaway->GoawayError(), h2::kEnhanceYourCalm);
  ExpectStillServing();
}

// A header list past --max_request_headers_bytes (an HPACK bomb decodes to far more than
// it sends): the stream is refused before anything reaches the backend.
TEST_F(Http2AbuseTest, AnOversizedHeaderListIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Start({"--max_request_headers_bytes=4096"}));
  h2::HpackEncoder hpack;
  std::vector<std::pair<std::string, std::string>> fields = h2::Get("/big");
  // One 1000-byte field, indexed after its first use: 200 copies cost ~200 bytes on the
  // wire and 200 KB decoded.
  for (int i = 0; i < 200; ++i) fields.emplace_back("x-bomb", std::string(1000, 'b'));
  RawClient client = Connect();
  ASSERT_TRUE(
      client.Send(h2::ClientPreface() + h2::Frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1,
                                                  hpack.Encode(fields))));
  const std::vector<h2::ReceivedFrame> frames =
      ReadFramesUntil(client, IsResetOfStream1, seconds(5));
  const bool reset = !frames.empty() && IsResetOfStream1(frames.back());
  EXPECT_TRUE(reset) << "stream 1 was not reset";
  EXPECT_EQ(backend_->request_count(), 0u);
  ExpectStillServing();
}

// A client that asks for a large response and never opens its receive window: the
// proxy holds at most a window of it (the upstream read waits), and cuts the stream when
// it has made no progress for --idle_timeout.
TEST_F(Http2AbuseTest, AClientThatNeverOpensItsWindowHoldsLittleAndIsCut) {
  constexpr uint64_t kResponse = 64ull * 1024 * 1024;
  backend_ = &AddBackend("b", [](BackendExchange& ex) {
    if (ex.request().target == "/large") {
      ex.StreamPatternResponse(200, kResponse);
    } else {
      ex.Reply(200, "small");
    }
  });
  ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()}), {"--idle_timeout=1s"}));
  const int64_t rss_before = VmRssKib(proxy().pid());
  RawClient client = Connect();
  h2::HpackEncoder hpack;
  ASSERT_TRUE(client.Send(h2::ClientPreface() + h2::Settings({{0x4 /* INITIAL_WINDOW */, 0}}) +
                          h2::Frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1,
                                    hpack.Encode(h2::Get("/large")))));
  const std::vector<h2::ReceivedFrame> frames =
      ReadFramesUntil(client, IsResetOfStream1, seconds(15));
  const bool reset = !frames.empty() && IsResetOfStream1(frames.back());
  uint64_t data_bytes = 0;
  for (const h2::ReceivedFrame& frame : frames) {
    if (frame.type == h2::kData) data_bytes += frame.payload.size();
  }
  EXPECT_TRUE(reset) << "stream 1 was not cut";
  EXPECT_EQ(data_bytes, 0u);  // a window of 0 lets nothing through
  // Far less than the response was held: the upstream was read only as far as a piece.
  EXPECT_LT(VmRssKib(proxy().pid()) - rss_before, 16 * 1024);
  ExpectStillServing();
}

// A small response is handed to the session whole and its stream's work ends there; a
// client that never lets it through still gets the stream cut after the idle timeout, and
// the connection then closes as an idle one.
TEST_F(Http2AbuseTest, ASmallResponseThatTheClientNeverTakesIsCutToo) {
  Start({"--idle_timeout=1s"});
  RawClient client = Connect();
  h2::HpackEncoder hpack;
  ASSERT_TRUE(client.Send(h2::ClientPreface() + h2::Settings({{0x4 /* INITIAL_WINDOW */, 0}}) +
                          h2::Frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1,
                                    hpack.Encode(h2::Get("/small")))));
  const std::vector<h2::ReceivedFrame> frames =
      ReadFramesUntil(client, IsResetOfStream1, seconds(15));
  ASSERT_FALSE(frames.empty());
  EXPECT_TRUE(IsResetOfStream1(frames.back())) << "stream 1 was not cut";
  EXPECT_EQ(frames.back().RstStreamError(), h2::kCancel);
  EXPECT_TRUE(client.WaitForClose(seconds(15)).closed);
}

// The same with a request body still arriving (so the stream waits to read and to write
// at once): the idle timeout must end both waits, not just one of them.
TEST_F(Http2AbuseTest, AStalledUploadAndAStalledDownloadAreCutTogether) {
  backend_ = &AddBackend("b", [](BackendExchange& ex) {
    ex.StreamPatternResponse(200, 64ull * 1024 * 1024);  // answers without reading the body
  });
  ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()}), {"--idle_timeout=1s"}));
  RawClient client = Connect();
  h2::HpackEncoder hpack;
  std::vector<std::pair<std::string, std::string>> fields = h2::Get("/upload");
  fields[0].second = "POST";
  ASSERT_TRUE(client.Send(h2::ClientPreface() + h2::Settings({{0x4 /* INITIAL_WINDOW */, 0}}) +
                          h2::Frame(h2::kHeaders, h2::kEndHeaders, 1, hpack.Encode(fields)) +
                          h2::Frame(h2::kData, 0, 1, "part of a body that never ends")));
  const std::vector<h2::ReceivedFrame> frames =
      ReadFramesUntil(client, IsResetOfStream1, seconds(15));
  const bool reset = !frames.empty() && IsResetOfStream1(frames.back());
  EXPECT_TRUE(reset) << "stream 1 was not cut";
}

}  // namespace
}  // namespace switchyard::testing
