// Fuzz target: the HTTP/2 session glue itself (server::Http2Session: nghttp2's callbacks,
// stream lifecycle, flow control both ways, local replies, the writer, the sweep), on a
// real worker with a real upstream. http2_request_fuzzer covers the translation of one
// request; this one covers everything around it that a client's frames can reach.
//
// Setup, once per process: two in-process workers (server::Worker) listening on
// 127.0.0.1, one with the default limits and one with tight ones (2 concurrent streams,
// a 16-byte request window, 4 header fields of at most 256 bytes, 1 CONTINUATION, a
// reset burst of 4), routing to a TestBackend that echoes request bodies (and sends
// 100 KiB for /big, more than a window) and to a refusing port (/down).
//
// Input: the format of http2_request_fuzzer, so its seeds carry over. Byte 0, bit 0: the
// tight worker; bits 3-7: the writes' size (0: one write). Bytes 1..: what the client
// sends after the connection preface (which the target sends first).
//
// One input is one connection: the bytes are sent, then (when they end on a frame
// boundary) a PING; the target waits for its ACK, then briefly for the responses of the
// streams whose requests ended, then half-closes.
//
// Invariants, beyond "no crash, no sanitizer report":
//  - what the proxy sends is a sequence of well-formed frames: SETTINGS first, at most
//    16 KiB each, only types a server may send (never PUSH_PROMISE or PRIORITY), stream
//    frames on odd stream ids, every header block decodes with HPACK, and a response's
//    first block has a valid :status;
//  - the PING is answered unless the proxy ended the connection;
//  - once the client has half-closed, the proxy closes the connection, and the worker has
//    no connection left: no session, stream or coroutine outlives its client.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/proxy/phase_chain.h"
#include "dataplane/runtime/runtime_config.h"
#include "dataplane/server/http2_session.h"
#include "dataplane/server/server_options.h"
#include "dataplane/server/worker.h"
#include "switchyard/config/loader.h"
#include "tests/support/h2_frames.h"
#include "tests/support/socket.h"
#include "tests/support/test_backend.h"
#include "tools/fuzz/fuzz_check.h"

namespace switchyard::server {
namespace {

namespace h2 = switchyard::testing::h2;
using std::chrono::milliseconds;
using std::chrono::seconds;
using switchyard::testing::BackendExchange;
using switchyard::testing::Deadline;
using switchyard::testing::IoStatus;
using switchyard::testing::RefusingPort;
using switchyard::testing::Socket;
using switchyard::testing::TestBackend;

constexpr std::string_view kPingPayload = "fuzzping";
constexpr size_t kFrameHeaderSize = 9;
constexpr uint32_t kMaxFrameSize = 16384;  // the proxy never raises SETTINGS_MAX_FRAME_SIZE

std::string Snapshot(uint16_t backend_port, uint16_t refusing_port) {
  return absl::StrCat(R"(version: 1
virtual_hosts:
  - name: all
    domains: ["*"]
    routes:
      - {name: big, match: {prefix: /big}, route: {cluster: backend}}
      - {name: down, match: {prefix: /down}, route: {cluster: down}}
      - {name: chat, match: {prefix: /chat}, route: {cluster: backend, websocket: true}}
      - {name: all, match: {prefix: /}, route: {cluster: backend}}
clusters:
  - name: backend
    endpoints: [{address: 127.0.0.1, port: )",
                      backend_port, R"(}]
  - name: down
    endpoints: [{address: 127.0.0.1, port: )",
                      refusing_port, "}]\n");
}

void Echo(BackendExchange& exchange) {
  if (exchange.request().target.rfind("/big", 0) == 0) {
    exchange.StreamPatternResponse(200, uint64_t{100} * 1024);
  } else {
    exchange.Reply(200, exchange.request().body);
  }
}

ServerOptions TightOptions() {
  ServerOptions options;
  options.limits.max_header_bytes = 256;
  options.limits.max_headers = 4;
  options.http2.max_concurrent_streams = 2;
  options.http2.initial_window_size = 16;
  options.http2.reset_burst = 4;
  options.http2.reset_rate = 1;
  options.http2.max_continuations = 1;
  return options;
}

// The workers and the upstream, for the whole process. Stopped at exit, before the
// statics they use are destroyed.
class Harness {
 public:
  Harness()
      : backend_("echo", Echo),
        phases_(proxy::PhaseChain::StandardPhases({})),
        tight_options_(TightOptions()) {
    SetLogLevel(LogLevel::kError);  // every input would log its connection's errors
    absl::StatusOr<v1::Snapshot> snapshot =
        config::ParseSnapshot(Snapshot(backend_.port(), refusing_.port()), "fuzz.yaml");
    FUZZ_CHECK(snapshot.ok());
    absl::StatusOr<std::shared_ptr<const runtime::RuntimeConfig>> config =
        runtime::RuntimeConfig::Compile(*snapshot);
    FUZZ_CHECK(config.ok());
    default_ = StartWorker(0, default_options_, *config, default_port_);
    tight_ = StartWorker(1, tight_options_, *config, tight_port_);
  }
  ~Harness() {
    default_->Stop();
    tight_->Stop();
  }
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  Worker& GetWorker(bool tight) { return tight ? *tight_ : *default_; }
  uint16_t Port(bool tight) const { return tight ? tight_port_ : default_port_; }

 private:
  std::unique_ptr<Worker> StartWorker(int index, const ServerOptions& options,
                                      std::shared_ptr<const runtime::RuntimeConfig> config,
                                      uint16_t& port) {
    auto worker = std::make_unique<Worker>(index, options, phases_, std::move(config));
    boost::system::error_code ec;
    const boost::asio::ip::tcp::endpoint bound =
        worker->Listen(ListenerKind::kPlain, {boost::asio::ip::make_address("127.0.0.1"), 0}, ec);
    FUZZ_CHECK(!ec);
    port = bound.port();
    worker->Start();
    return worker;
  }

  TestBackend backend_;
  RefusingPort refusing_;
  proxy::PhaseChain phases_;
  ServerOptions default_options_;
  ServerOptions tight_options_;
  std::unique_ptr<Worker> default_;
  std::unique_ptr<Worker> tight_;
  uint16_t default_port_ = 0;
  uint16_t tight_port_ = 0;
};

Harness* harness = nullptr;

Harness& GetHarness() {
  if (harness == nullptr) {
    harness = new Harness();
    std::atexit([] {
      delete harness;
      harness = nullptr;
    });
  }
  return *harness;
}

// What the client's bytes say, frame by frame, as far as they are whole frames.
struct ClientFrames {
  bool whole = true;                 // the bytes end on a frame boundary
  std::set<uint32_t> ended_streams;  // streams whose request the client ended (END_STREAM)
};

ClientFrames ReadClientFrames(std::string_view bytes) {
  ClientFrames frames;
  while (!bytes.empty()) {
    if (bytes.size() < kFrameHeaderSize) return {.whole = false};
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
    const size_t length = (size_t{byte(0)} << 16) | (size_t{byte(1)} << 8) | byte(2);
    const uint8_t type = byte(3);
    const uint8_t flags = byte(4);
    const uint32_t stream = ((uint32_t{byte(5)} << 24) | (uint32_t{byte(6)} << 16) |
                             (uint32_t{byte(7)} << 8) | byte(8)) &
                            0x7fffffffu;
    if (bytes.size() < kFrameHeaderSize + length) return {.whole = false};
    const bool ends = (type == h2::kHeaders || type == h2::kData) && (flags & h2::kEndStream);
    if (ends) frames.ended_streams.insert(stream);
    if (type == h2::kRstStream) frames.ended_streams.erase(stream);
    bytes.remove_prefix(kFrameHeaderSize + length);
  }
  return frames;
}

// Reads the proxy's output and checks each frame as it arrives.
class ServerOutput {
 public:
  explicit ServerOutput(Socket& socket) : socket_(socket) {}

  // Reads once, up to `deadline`; false once the connection ended (EOF or reset) or the
  // deadline passed.
  bool Read(Deadline deadline) {
    const IoStatus status = socket_.ReadSome(&pending_, size_t{64} * 1024, deadline);
    if (status != IoStatus::kOk) {
      if (status != IoStatus::kTimeout) closed_ = true;
      return false;
    }
    for (const h2::ReceivedFrame& frame : h2::TakeFrames(pending_)) Check(frame);
    return true;
  }

  bool Closed() const { return closed_; }
  bool PingAcked() const { return ping_acked_; }
  bool GoawaySeen() const { return goaway_; }
  bool StreamEnded(uint32_t id) const { return ended_.count(id) != 0; }

 private:
  void Check(const h2::ReceivedFrame& frame) {
    FUZZ_CHECK(frame.payload.size() <= kMaxFrameSize);
    FUZZ_CHECK(frames_ > 0 || frame.type == h2::kSettings);
    ++frames_;
    switch (frame.type) {
      case h2::kSettings:
      case h2::kWindowUpdate:
        break;
      case h2::kPing:
        FUZZ_CHECK(frame.stream_id == 0);
        if ((frame.flags & h2::kAck) != 0 && frame.payload == kPingPayload) ping_acked_ = true;
        break;
      case h2::kGoaway:
        FUZZ_CHECK(frame.stream_id == 0);
        goaway_ = true;
        break;
      case h2::kRstStream:
        FUZZ_CHECK(frame.stream_id % 2 == 1);
        ended_.insert(frame.stream_id);
        break;
      case h2::kData:
        FUZZ_CHECK(frame.stream_id % 2 == 1);
        if ((frame.flags & h2::kEndStream) != 0) ended_.insert(frame.stream_id);
        break;
      case h2::kHeaders:
        FUZZ_CHECK(frame.stream_id % 2 == 1);
        FUZZ_CHECK(block_.empty());
        block_stream_ = frame.stream_id;
        block_ = frame.payload;
        block_ends_stream_ = (frame.flags & h2::kEndStream) != 0;
        if ((frame.flags & h2::kEndHeaders) != 0) EndBlock();
        break;
      case h2::kContinuation:
        FUZZ_CHECK(block_stream_ != 0 && frame.stream_id == block_stream_);
        block_ += frame.payload;
        if ((frame.flags & h2::kEndHeaders) != 0) EndBlock();
        break;
      default:
        FUZZ_CHECK(false && "a frame type a server never sends");
    }
  }

  // A whole header block (the proxy sends neither padding nor priority in HEADERS).
  void EndBlock() {
    std::vector<std::pair<std::string, std::string>> fields;
    FUZZ_CHECK(decoder_.Decode(block_, fields));
    if (responded_.insert(block_stream_).second) {
      FUZZ_CHECK(!fields.empty() && fields[0].first == ":status");
      const std::string& status = fields[0].second;
      FUZZ_CHECK(status.size() == 3 && status[0] >= '1' && status[0] <= '5');
      // An interim response is followed by the final one.
      if (status[0] == '1') responded_.erase(block_stream_);
    }
    if (block_ends_stream_) ended_.insert(block_stream_);
    block_.clear();
    block_stream_ = 0;
  }

  Socket& socket_;
  std::string pending_;
  h2::HpackDecoder decoder_;
  std::string block_;
  uint32_t block_stream_ = 0;
  bool block_ends_stream_ = false;
  std::set<uint32_t> responded_;
  std::set<uint32_t> ended_;
  size_t frames_ = 0;
  bool closed_ = false;
  bool ping_acked_ = false;
  bool goaway_ = false;
};

void RunConnection(Harness& harness, bool tight, size_t write_size, std::string_view bytes) {
  Socket client = Socket::Connect(harness.Port(tight), seconds(5));
  FUZZ_CHECK(client.valid());
  client.SetNoDelay();
  const ClientFrames frames = ReadClientFrames(bytes);
  std::string out = std::string(kHttp2Preface).append(bytes);
  if (frames.whole) out += h2::Ping(kPingPayload);
  // The proxy may end the connection part way (GOAWAY): the rest then fails to send.
  for (std::string_view rest = out; !rest.empty();) {
    const size_t n = write_size == 0 ? rest.size() : std::min(write_size, rest.size());
    if (client.WriteAll(rest.substr(0, n), Deadline::After(seconds(5))) != IoStatus::kOk) break;
    rest.remove_prefix(n);
  }

  ServerOutput output(client);
  if (frames.whole) {
    const Deadline deadline = Deadline::After(seconds(5));
    while (!output.PingAcked() && !output.Closed()) {
      if (!output.Read(deadline) && !output.Closed()) break;
    }
    FUZZ_CHECK(output.PingAcked() || output.Closed() || output.GoawaySeen());
    // The streams whose requests are whole get a moment for their responses (the echo
    // upstream answers at once); a response the client's window holds back just ends it.
    const Deadline responses = Deadline::After(milliseconds(100));
    const auto all_ended = [&] {
      for (const uint32_t id : frames.ended_streams) {
        if (!output.StreamEnded(id)) return false;
      }
      return true;
    };
    while (!output.Closed() && !output.GoawaySeen() && !all_ended() && output.Read(responses)) {
    }
  }
  client.ShutdownWrite();
  const Deadline close_deadline = Deadline::After(seconds(5));
  while (!output.Closed()) {
    if (!output.Read(close_deadline) && !output.Closed()) break;
  }
  FUZZ_CHECK(output.Closed() && "the connection outlived its client by 5 s");
  client.Close();

  // The worker lets the connection go too (its bookkeeping is on the worker's thread).
  const auto gone_by = std::chrono::steady_clock::now() + seconds(5);
  while (harness.GetWorker(tight).open_connections() != 0 &&
         std::chrono::steady_clock::now() < gone_by) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  FUZZ_CHECK(harness.GetWorker(tight).open_connections() == 0);
}

}  // namespace
}  // namespace switchyard::server

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  switchyard::server::Harness& harness = switchyard::server::GetHarness();
  switchyard::server::RunConnection(
      harness, (control & 1) != 0, control >> 3,
      std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
