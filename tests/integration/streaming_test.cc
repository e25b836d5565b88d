// Large bodies stream through the proxy with backpressure: 1 GiB each way, chunked both
// ways, a client that stops reading and a backend that stops reading. The proxy's peak
// RSS (VmHWM) must stay within a fixed allowance above its warmed-up baseline, so a proxy
// that buffers whole bodies fails even when the transfer itself succeeds.
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/pattern.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;
// Growth of the proxy's peak RSS allowed during a transfer.
constexpr int64_t kRssAllowanceKb = int64_t{64} * 1024;
constexpr auto kBigTimeout = seconds(120);

class StreamingTest : public ProxyTest {
 protected:
  // Starts one worker in front of `backend` and records the warmed-up peak RSS.
  void StartProxyFor(TestBackend& backend) {
    ASSERT_TRUE(
        StartProxy(SingleClusterConfig({backend.port()}, "timeout: 120s"), {"--workers=1"}));
    const Response warm = Get("/warmup");
    ASSERT_TRUE(warm.ok()) << warm.DebugString();
    baseline_kb_ = proxy().PeakRssKb();
    ASSERT_GT(baseline_kb_, 0);
  }
  void ExpectRssWithinAllowance() {
    const int64_t peak = proxy().PeakRssKb();
    RecordProperty("proxy_rss_baseline_kb", std::to_string(baseline_kb_));
    RecordProperty("proxy_rss_peak_kb", std::to_string(peak));
    EXPECT_LT(peak - baseline_kb_, kRssAllowanceKb)
        << "proxy peak RSS grew from " << baseline_kb_ << " KiB to " << peak << " KiB";
  }
  int64_t baseline_kb_ = 0;
};

// A backend that verifies a pattern upload and answers "bytes=N ok=1|0".
void VerifyUpload(BackendExchange& ex) {
  if (ex.request().target == "/warmup") {
    ex.Reply(200, "warm");
    return;
  }
  PatternChecker checker;
  ex.StreamBody([&](std::string_view d) { checker.Feed(d); });
  ex.Reply(200, "bytes=" + std::to_string(checker.bytes()) +
                    " ok=" + (checker.ok() && ex.body_complete() ? "1" : "0"));
}

// A backend that answers every GET but the warm-up with `size` pattern bytes.
TestBackend::Handler Download(uint64_t size, bool chunked) {
  return [size, chunked](BackendExchange& ex) {
    if (ex.request().target == "/warmup") {
      ex.Reply(200, "warm");
      return;
    }
    ex.StreamPatternResponse(200, size, chunked);
  };
}

std::string Hex(size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%zx", n);
  return buf;
}

// Sends a pattern body of `total` bytes after `head`, chunked or raw.
bool SendPatternUpload(RawClient& client, const std::string& head, uint64_t total, bool chunked) {
  if (!client.Send(head)) return false;
  PatternSource source(total);
  for (std::string_view block = source.Next(); !block.empty(); block = source.Next()) {
    if (chunked && !client.Send(Hex(block.size()) + "\r\n")) return false;
    if (!client.Send(block, kBigTimeout)) return false;
    if (chunked && !client.Send("\r\n")) return false;
  }
  return !chunked || client.Send("0\r\n\r\n");
}

ReadOptions CheckingReader(PatternChecker* checker) {
  ReadOptions opts;
  opts.timeout = kBigTimeout;
  opts.body_sink = [checker](std::string_view d) { checker->Feed(d); };
  return opts;
}

TEST_F(StreamingTest, Upload1GiBWithContentLength) {
  TestBackend& b = AddBackend("b", VerifyUpload, {.read_body_first = false, .record_body = false});
  ASSERT_NO_FATAL_FAILURE(StartProxyFor(b));
  RawClient client = Connect();
  ASSERT_TRUE(SendPatternUpload(
      client,
      BuildRequest("PUT", "/up",
                   {{"Host", "example.com"}, {"Content-Length", std::to_string(kGiB)}}),
      kGiB, false));
  const Response r = client.ReadResponse(ReadOptions{.timeout = kBigTimeout});
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, "bytes=" + std::to_string(kGiB) + " ok=1");
  EXPECT_EQ(b.requests().back().content_length, kGiB);
  ExpectRssWithinAllowance();
}

TEST_F(StreamingTest, Download1GiBWithContentLength) {
  TestBackend& b = AddBackend("b", Download(kGiB, false));
  ASSERT_NO_FATAL_FAILURE(StartProxyFor(b));
  PatternChecker checker;
  RawClient client = Connect();
  const Response r = client.RoundTrip(SimpleGet("/down"), CheckingReader(&checker));
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(checker.bytes(), kGiB);
  EXPECT_TRUE(checker.ok()) << "first mismatch at " << checker.first_mismatch();
  ExpectRssWithinAllowance();
}

TEST_F(StreamingTest, ChunkedUpload256MiB) {
  TestBackend& b = AddBackend("b", VerifyUpload, {.read_body_first = false, .record_body = false});
  ASSERT_NO_FATAL_FAILURE(StartProxyFor(b));
  RawClient client = Connect();
  ASSERT_TRUE(SendPatternUpload(
      client,
      BuildRequest("POST", "/up", {{"Host", "example.com"}, {"Transfer-Encoding", "chunked"}}),
      256 * kMiB, true));
  const Response r = client.ReadResponse(ReadOptions{.timeout = kBigTimeout});
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, "bytes=" + std::to_string(256 * kMiB) + " ok=1");
  EXPECT_TRUE(b.requests().back().chunked);
  ExpectRssWithinAllowance();
}

TEST_F(StreamingTest, ChunkedDownload256MiB) {
  TestBackend& b = AddBackend("b", Download(256 * kMiB, true));
  ASSERT_NO_FATAL_FAILURE(StartProxyFor(b));
  PatternChecker checker;
  RawClient client = Connect();
  const Response r = client.RoundTrip(SimpleGet("/down"), CheckingReader(&checker));
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(checker.bytes(), 256 * kMiB);
  EXPECT_TRUE(checker.ok()) << "first mismatch at " << checker.first_mismatch();
  ExpectRssWithinAllowance();
}

TEST_F(StreamingTest, SlowClientDoesNotMakeTheProxyBufferTheResponse) {
  const uint64_t total = 192 * kMiB;
  TestBackend& b = AddBackend("b", Download(total, false));
  ASSERT_NO_FATAL_FAILURE(StartProxyFor(b));
  RawClient client = Connect();
  client.socket().SetReceiveBuffer(64 * 1024);
  ASSERT_TRUE(client.Send(SimpleGet("/down")));
  // Read nothing: the backend must be held back once the buffers along the way are full.
  const uint64_t stalled_at =
      WaitForSteadyValue([&] { return b.bytes_sent(); }, milliseconds(500), seconds(30));
  RecordProperty("backend_bytes_sent_while_client_stalled", std::to_string(stalled_at));
  EXPECT_LT(stalled_at, 64 * kMiB) << "the backend kept sending to a client that read nothing";
  ExpectRssWithinAllowance();
  // Now read, slowly, and get every byte.
  PatternChecker checker;
  ReadOptions opts = CheckingReader(&checker);
  opts.read_size = size_t{64} * 1024;
  opts.body_sink = [&checker](std::string_view d) {
    checker.Feed(d);
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  };
  const Response r = client.ReadResponse(opts);
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(checker.bytes(), total);
  EXPECT_TRUE(checker.ok()) << "first mismatch at " << checker.first_mismatch();
  ExpectRssWithinAllowance();
}

TEST_F(StreamingTest, SlowBackendDoesNotMakeTheProxyBufferTheRequest) {
  const uint64_t total = 192 * kMiB;
  // Shared: the handler thread can outlive the test body if an assertion returns early.
  auto release = std::make_shared<std::atomic<bool>>(false);
  TestBackend& b = AddBackend("b",
                              [release](BackendExchange& ex) {
                                if (ex.request().target != "/warmup") {
                                  ex.WaitUntil([&] { return release->load(); }, seconds(60));
                                }
                                VerifyUpload(ex);
                              },
                              {.read_body_first = false, .record_body = false});
  ASSERT_NO_FATAL_FAILURE(StartProxyFor(b));
  RawClient client = Connect();
  ASSERT_TRUE(client.Send(BuildRequest(
      "PUT", "/up", {{"Host", "example.com"}, {"Content-Length", std::to_string(total)}})));
  std::atomic<uint64_t> sent{0};
  std::thread sender([&] {
    PatternSource source(total);
    for (std::string_view block = source.Next(); !block.empty(); block = source.Next()) {
      if (client.SendCounted(block, &sent, kBigTimeout) != IoStatus::kOk) return;
    }
  });
  const uint64_t stalled_at =
      WaitForSteadyValue([&] { return sent.load(); }, milliseconds(500), seconds(30));
  const int64_t stalled_peak = proxy().PeakRssKb();
  *release = true;
  sender.join();
  RecordProperty("client_bytes_sent_while_backend_stalled", std::to_string(stalled_at));
  EXPECT_LT(stalled_at, 64 * kMiB) << "the proxy kept reading a body the backend did not take";
  EXPECT_LT(stalled_peak - baseline_kb_, kRssAllowanceKb);
  const Response r = client.ReadResponse(ReadOptions{.timeout = kBigTimeout});
  ASSERT_TRUE(r.ok()) << r.DebugString();
  EXPECT_EQ(r.body, "bytes=" + std::to_string(total) + " ok=1");
  ExpectRssWithinAllowance();
}

}  // namespace
}  // namespace switchyard::testing
