#include "dataplane/access_log/record_ring.h"

#include <chrono>
#include <cstring>
#include <string_view>

namespace switchyard::access_log {
namespace {

// The string fields, in the order their lengths and bytes are stored.
constexpr std::string_view AccessLogRecord::*kStrings[] = {
    &AccessLogRecord::request_id, &AccessLogRecord::trace_id,      &AccessLogRecord::protocol,
    &AccessLogRecord::method,     &AccessLogRecord::authority,     &AccessLogRecord::path,
    &AccessLogRecord::reason,     &AccessLogRecord::route,         &AccessLogRecord::cluster,
    &AccessLogRecord::endpoint,   &AccessLogRecord::client_address};
constexpr size_t kStringCount = std::size(kStrings);

// An entry's header. Copied with memcpy, so the ring needs no alignment beyond its own.
struct Header {
  uint32_t size;   // the whole entry's, header and padding included
  int32_t status;  // kPadding: the entry only skips to the ring's end
  int64_t start_steady_micros;
  int64_t duration_us;
  int64_t upstream_connect_us;
  int64_t upstream_response_head_us;
  uint64_t bytes_received;
  uint64_t bytes_sent;
  uint32_t lengths[kStringCount];
};
constexpr int32_t kPadding = -1;

constexpr size_t RoundUp8(size_t n) { return (n + 7) & ~size_t{7}; }

}  // namespace

RecordRing::RecordRing(size_t capacity_bytes)
    : capacity_(capacity_bytes & ~size_t{7}), bytes_(new char[capacity_]) {}

bool RecordRing::Append(const AccessLogRecord& record) {
  Header header{.size = 0,
                .status = record.status < 0 ? 0 : record.status,
                .start_steady_micros = std::chrono::duration_cast<std::chrono::microseconds>(
                                           record.start.time_since_epoch())
                                           .count(),
                .duration_us = record.duration_us,
                .upstream_connect_us = record.upstream_connect_us,
                .upstream_response_head_us = record.upstream_response_head_us,
                .bytes_received = record.bytes_received,
                .bytes_sent = record.bytes_sent,
                .lengths = {}};
  size_t size = sizeof(Header);
  for (size_t i = 0; i < kStringCount; ++i) {
    const size_t length = (record.*kStrings[i]).size();
    if (length > capacity_) return false;  // also keeps the sum below from overflowing
    header.lengths[i] = static_cast<uint32_t>(length);
    size += length;
  }
  size = RoundUp8(size);
  if (size > capacity_ || size > UINT32_MAX) return false;
  header.size = static_cast<uint32_t>(size);

  const uint64_t write = write_.load(std::memory_order_relaxed);
  const size_t offset = write % capacity_;
  const size_t to_end = capacity_ - offset;
  const size_t skip = to_end < size ? to_end : 0;
  if (write + skip + size - read_seen_ > capacity_) {
    read_seen_ = read_.load(std::memory_order_acquire);
    if (write + skip + size - read_seen_ > capacity_) return false;
  }
  char* out = bytes_.get() + offset;
  if (skip != 0) {
    // to_end is a multiple of 8 and at least 8, so a padding header's first 8 bytes fit.
    const Header padding{.size = static_cast<uint32_t>(skip), .status = kPadding};
    std::memcpy(out, &padding, 8);
    out = bytes_.get();
  }
  std::memcpy(out, &header, sizeof(Header));
  out += sizeof(Header);
  for (size_t i = 0; i < kStringCount; ++i) {
    const std::string_view text = record.*kStrings[i];
    if (!text.empty()) std::memcpy(out, text.data(), text.size());
    out += text.size();
  }
  write_.store(write + skip + size, std::memory_order_release);
  // Past half full by the old estimate: look again, so that used_bytes_upper_bound() is
  // fresh where callers decide on it (waking the consumer) without reading the
  // consumer's cache line for every record.
  if (write + skip + size - read_seen_ >= capacity_ / 2) {
    read_seen_ = read_.load(std::memory_order_acquire);
  }
  return true;
}

size_t RecordRing::Decode(uint64_t at, AccessLogRecord& record, bool& padding) const {
  const char* in = bytes_.get() + at % capacity_;
  Header header;
  std::memcpy(&header, in, 8);  // size and status: all a padding entry has
  padding = header.status == kPadding;
  if (padding) return header.size;
  std::memcpy(&header, in, sizeof(Header));
  record.start =
      std::chrono::steady_clock::time_point(std::chrono::microseconds(header.start_steady_micros));
  record.status = header.status;
  record.duration_us = header.duration_us;
  record.upstream_connect_us = header.upstream_connect_us;
  record.upstream_response_head_us = header.upstream_response_head_us;
  record.bytes_received = header.bytes_received;
  record.bytes_sent = header.bytes_sent;
  in += sizeof(Header);
  for (size_t i = 0; i < kStringCount; ++i) {
    record.*kStrings[i] = std::string_view(in, header.lengths[i]);
    in += header.lengths[i];
  }
  return header.size;
}

}  // namespace switchyard::access_log
