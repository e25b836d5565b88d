#include "tests/support/h2_frames.h"

#include <nghttp2/nghttp2.h>

namespace switchyard::testing::h2 {
namespace {

void Put32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
}

uint32_t Get32(std::string_view bytes, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[at + i]);
  return value;
}

}  // namespace

std::string Frame(uint8_t type, uint8_t flags, uint32_t stream_id, std::string_view payload) {
  std::string out;
  const size_t length = payload.size();
  out += static_cast<char>((length >> 16) & 0xff);
  out += static_cast<char>((length >> 8) & 0xff);
  out += static_cast<char>(length & 0xff);
  out += static_cast<char>(type);
  out += static_cast<char>(flags);
  Put32(out, stream_id & 0x7fffffff);
  out.append(payload);
  return out;
}

std::string ClientPreface() {
  return std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + Frame(kSettings, 0, 0, "");
}

std::string RstStream(uint32_t stream_id, uint32_t error_code) {
  std::string payload;
  Put32(payload, error_code);
  return Frame(kRstStream, 0, stream_id, payload);
}

std::string Settings(const std::vector<std::pair<uint16_t, uint32_t>>& settings) {
  std::string payload;
  for (const auto& [id, value] : settings) {
    payload += static_cast<char>(id >> 8);
    payload += static_cast<char>(id & 0xff);
    Put32(payload, value);
  }
  return Frame(kSettings, 0, 0, payload);
}

struct HpackEncoder::Impl {
  nghttp2_hd_deflater* deflater = nullptr;
};

HpackEncoder::HpackEncoder() : impl_(new Impl) { nghttp2_hd_deflate_new(&impl_->deflater, 4096); }

HpackEncoder::~HpackEncoder() {
  nghttp2_hd_deflate_del(impl_->deflater);
  delete impl_;
}

std::string HpackEncoder::Encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (const auto& [name, value] : fields) {
    nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                   value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  std::string out(nghttp2_hd_deflate_bound(impl_->deflater, nva.data(), nva.size()), '\0');
  const ssize_t n = nghttp2_hd_deflate_hd(impl_->deflater, reinterpret_cast<uint8_t*>(out.data()),
                                          out.size(), nva.data(), nva.size());
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

struct HpackDecoder::Impl {
  nghttp2_hd_inflater* inflater = nullptr;
};

HpackDecoder::HpackDecoder() : impl_(new Impl) { nghttp2_hd_inflate_new(&impl_->inflater); }

HpackDecoder::~HpackDecoder() {
  nghttp2_hd_inflate_del(impl_->inflater);
  delete impl_;
}

bool HpackDecoder::Decode(std::string_view block,
                          std::vector<std::pair<std::string, std::string>>& fields) {
  const auto* in = reinterpret_cast<const uint8_t*>(block.data());
  size_t left = block.size();
  for (;;) {
    nghttp2_nv nv;
    int flags = 0;
    const ssize_t used =
        nghttp2_hd_inflate_hd2(impl_->inflater, &nv, &flags, in, left, /*in_final=*/1);
    if (used < 0) return false;
    in += used;
    left -= static_cast<size_t>(used);
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) != 0) {
      fields.emplace_back(std::string(reinterpret_cast<const char*>(nv.name), nv.namelen),
                          std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen));
    }
    if ((flags & NGHTTP2_HD_INFLATE_FINAL) != 0) {
      nghttp2_hd_inflate_end_headers(impl_->inflater);
      return true;
    }
    if (used == 0 && (flags & NGHTTP2_HD_INFLATE_EMIT) == 0) return false;
  }
}

std::vector<std::pair<std::string, std::string>> Get(const std::string& path) {
  return {{":method", "GET"}, {":scheme", "http"}, {":authority", "example.com"}, {":path", path}};
}

std::string WindowUpdate(uint32_t stream_id, uint32_t increment) {
  return Frame(kWindowUpdate, 0, stream_id, Bytes32(increment));
}

std::string Ping(std::string_view payload, bool ack) {
  return Frame(kPing, ack ? kAck : 0, 0, payload);
}

std::string Priority(uint32_t stream_id, uint32_t depends_on) {
  return Frame(kPriority, 0, stream_id, Bytes32(depends_on) + std::string(1, '\x0f'));
}

std::string Bytes32(uint32_t value) {
  std::string out;
  Put32(out, value);
  return out;
}

namespace {

// An HPACK integer with an N-bit prefix (RFC 7541 5.1); `first` holds the prefix's flags.
void PutHpackInteger(std::string& out, uint8_t first, int prefix_bits, size_t value) {
  const size_t max_prefix = (size_t{1} << prefix_bits) - 1;
  if (value < max_prefix) {
    out += static_cast<char>(first | value);
    return;
  }
  out += static_cast<char>(first | max_prefix);
  value -= max_prefix;
  while (value >= 128) {
    out += static_cast<char>((value % 128) + 128);
    value /= 128;
  }
  out += static_cast<char>(value);
}

}  // namespace

std::string LiteralHeaderBlock(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    out += '\0';  // literal without indexing, new name
    PutHpackInteger(out, 0, 7, name.size());
    out += name;
    PutHpackInteger(out, 0, 7, value.size());
    out += value;
  }
  return out;
}

uint32_t ReceivedFrame::RstStreamError() const {
  return payload.size() >= 4 ? Get32(payload, 0) : UINT32_MAX;
}

uint32_t ReceivedFrame::GoawayLastStream() const {
  return payload.size() >= 8 ? Get32(payload, 0) & 0x7fffffff : UINT32_MAX;
}

uint32_t ReceivedFrame::GoawayError() const {
  return payload.size() >= 8 ? Get32(payload, 4) : UINT32_MAX;
}

std::vector<ReceivedFrame> ParseFrames(std::string_view bytes) {
  std::vector<ReceivedFrame> frames;
  size_t at = 0;
  while (bytes.size() - at >= 9) {
    const size_t length = (static_cast<size_t>(static_cast<uint8_t>(bytes[at])) << 16) |
                          (static_cast<size_t>(static_cast<uint8_t>(bytes[at + 1])) << 8) |
                          static_cast<uint8_t>(bytes[at + 2]);
    if (bytes.size() - at - 9 < length) break;
    ReceivedFrame frame;
    frame.type = static_cast<uint8_t>(bytes[at + 3]);
    frame.flags = static_cast<uint8_t>(bytes[at + 4]);
    frame.stream_id = Get32(bytes, at + 5) & 0x7fffffff;
    frame.payload = std::string(bytes.substr(at + 9, length));
    frames.push_back(std::move(frame));
    at += 9 + length;
  }
  return frames;
}

std::vector<ReceivedFrame> TakeFrames(std::string& bytes) {
  std::vector<ReceivedFrame> frames = ParseFrames(bytes);
  size_t used = 0;
  for (const ReceivedFrame& frame : frames) used += 9 + frame.payload.size();
  bytes.erase(0, used);
  return frames;
}

}  // namespace switchyard::testing::h2
