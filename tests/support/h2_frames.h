// Raw HTTP/2 frames for tests that must send what no well-behaved client sends (floods,
// resets, broken header blocks): frames assembled byte by byte (RFC 9113 section 4.1),
// header blocks encoded with nghttp2's HPACK encoder, and the frames a peer sent parsed
// back. Clients that behave use curl, nghttp and h2load instead.
#ifndef SWITCHYARD_TESTS_SUPPORT_H2_FRAMES_H_
#define SWITCHYARD_TESTS_SUPPORT_H2_FRAMES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::testing::h2 {

enum FrameType : uint8_t {
  kData = 0,
  kHeaders = 1,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoaway = 7,
  kWindowUpdate = 8,
  kContinuation = 9,
};
enum Flag : uint8_t { kEndStream = 0x1, kAck = 0x1, kEndHeaders = 0x4 };

// Error codes (RFC 9113 section 7).
inline constexpr uint32_t kNoError = 0x0;
inline constexpr uint32_t kProtocolError = 0x1;
inline constexpr uint32_t kInternalError = 0x2;
inline constexpr uint32_t kCancel = 0x8;
inline constexpr uint32_t kEnhanceYourCalm = 0xb;

std::string Frame(uint8_t type, uint8_t flags, uint32_t stream_id, std::string_view payload);
// The client preface and an empty SETTINGS frame.
std::string ClientPreface();
std::string RstStream(uint32_t stream_id, uint32_t error_code);
std::string Settings(const std::vector<std::pair<uint16_t, uint32_t>>& settings);

// A header block for `fields` (pseudo-headers first), HPACK-encoded with a table that
// lives as long as the encoder (one per connection, as the peer's decoder is).
class HpackEncoder {
 public:
  HpackEncoder();
  ~HpackEncoder();
  HpackEncoder(const HpackEncoder&) = delete;
  HpackEncoder& operator=(const HpackEncoder&) = delete;
  std::string Encode(const std::vector<std::pair<std::string, std::string>>& fields);

 private:
  struct Impl;
  Impl* impl_;
};

// A GET of `path` with the pseudo-headers a client sends.
std::vector<std::pair<std::string, std::string>> Get(const std::string& path);

struct ReceivedFrame {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t stream_id = 0;
  std::string payload;
  // GOAWAY's last stream id (payload bytes 0..3) and error code (4..7).
  uint32_t GoawayLastStream() const;
  uint32_t GoawayError() const;
};
// The frames in `bytes` (a server's output, after its SETTINGS); a trailing partial frame
// is ignored.
std::vector<ReceivedFrame> ParseFrames(std::string_view bytes);

}  // namespace switchyard::testing::h2

#endif  // SWITCHYARD_TESTS_SUPPORT_H2_FRAMES_H_
