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
  kPriority = 2,
  kRstStream = 3,
  kSettings = 4,
  kPushPromise = 5,
  kPing = 6,
  kGoaway = 7,
  kWindowUpdate = 8,
  kContinuation = 9,
};
enum Flag : uint8_t {
  kEndStream = 0x1,
  kAck = 0x1,
  kEndHeaders = 0x4,
  kPadded = 0x8,
  kPriorityFlag = 0x20
};

// Error codes (RFC 9113 section 7).
inline constexpr uint32_t kNoError = 0x0;
inline constexpr uint32_t kProtocolError = 0x1;
inline constexpr uint32_t kInternalError = 0x2;
inline constexpr uint32_t kFlowControlError = 0x3;
inline constexpr uint32_t kStreamClosed = 0x5;
inline constexpr uint32_t kFrameSizeError = 0x6;
inline constexpr uint32_t kRefusedStream = 0x7;
inline constexpr uint32_t kCancel = 0x8;
inline constexpr uint32_t kCompressionError = 0x9;
inline constexpr uint32_t kEnhanceYourCalm = 0xb;

std::string Frame(uint8_t type, uint8_t flags, uint32_t stream_id, std::string_view payload);
// The client preface and an empty SETTINGS frame.
std::string ClientPreface();
std::string RstStream(uint32_t stream_id, uint32_t error_code);
std::string Settings(const std::vector<std::pair<uint16_t, uint32_t>>& settings);
std::string WindowUpdate(uint32_t stream_id, uint32_t increment);
// PING with an 8-byte payload (`ack`: the ACK flag).
std::string Ping(std::string_view payload, bool ack = false);
// PRIORITY (5 bytes: exclusive bit clear, the dependency, weight 16).
std::string Priority(uint32_t stream_id, uint32_t depends_on);
// The 4 bytes of `value`, most significant first.
std::string Bytes32(uint32_t value);

// A header block that encodes each field as a literal without indexing and without
// Huffman coding (RFC 7541 6.2.2), whatever the field holds: for requests an encoder
// would refuse to make (upper-case names, duplicated or misplaced pseudo-headers).
std::string LiteralHeaderBlock(const std::vector<std::pair<std::string, std::string>>& fields);

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

// Decodes a peer's header blocks, with a table that lives as long as the decoder.
class HpackDecoder {
 public:
  HpackDecoder();
  ~HpackDecoder();
  HpackDecoder(const HpackDecoder&) = delete;
  HpackDecoder& operator=(const HpackDecoder&) = delete;
  // The fields of one complete block; false (fields so far kept) when it does not decode.
  bool Decode(std::string_view block, std::vector<std::pair<std::string, std::string>>& fields);

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
  // RST_STREAM's error code.
  uint32_t RstStreamError() const;
};
// The frames in `bytes` (a server's output, after its SETTINGS); a trailing partial frame
// is ignored.
std::vector<ReceivedFrame> ParseFrames(std::string_view bytes);
// The same for bytes that keep arriving: the whole frames are removed from `bytes`, a
// partial one stays for the next call.
std::vector<ReceivedFrame> TakeFrames(std::string& bytes);

}  // namespace switchyard::testing::h2

#endif  // SWITCHYARD_TESTS_SUPPORT_H2_FRAMES_H_
