// A ring of bytes that carries access-log records from one worker thread (the producer) to
// the writer thread (the consumer) without a lock: the producer copies a record in and
// publishes its end with a release store; the consumer reads up to that end and gives the
// space back with a release store of its own position. Neither ever waits for the other;
// a record that finds no room is refused, and the caller counts the drop.
//
// Why bytes: a record is written in one sequential run (a few cache lines for a typical
// request) and read in the same order, where separate std::strings would scatter it over a
// dozen heap blocks, each a cache miss on the worker and a line moved between cores. The
// memory is allocated once and not written until used, so an idle proxy's ring costs
// address space, not RAM.
//
// Layout: each record is a header (its size, whole, and its numbers and string lengths)
// then the strings' bytes, rounded up to 8 bytes. A record never wraps: when it does not
// fit before the end, the rest of the ring is skipped with a padding entry.
#ifndef SWITCHYARD_DATAPLANE_ACCESS_LOG_RECORD_RING_H_
#define SWITCHYARD_DATAPLANE_ACCESS_LOG_RECORD_RING_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "dataplane/access_log/access_log_record.h"

namespace switchyard::access_log {

class RecordRing {
 public:
  // `capacity_bytes` is rounded down to a multiple of 8.
  explicit RecordRing(size_t capacity_bytes);

  // Producer thread. Copies `record` in; false, changing nothing, when it does not fit.
  bool Append(const AccessLogRecord& record);

  // Consumer thread. Calls `visit(const AccessLogRecord&)` for each record published so
  // far, oldest first, then gives their space back; the views are valid during the call
  // only. Returns how many records it visited.
  template <typename Visit>
  size_t Consume(Visit&& visit) {
    const uint64_t end = write_.load(std::memory_order_acquire);
    uint64_t at = read_.load(std::memory_order_relaxed);
    size_t records = 0;
    while (at < end) {
      AccessLogRecord record;
      bool padding = false;
      at += Decode(at, record, padding);
      if (padding) continue;
      visit(record);
      ++records;
    }
    read_.store(at, std::memory_order_release);
    return records;
  }

  // Producer thread: bytes in use as of the consumer position it last saw, an upper bound
  // (the consumer may have taken more since) that costs no cache line of the consumer's.
  // Append refreshes that position whenever this bound reaches half the capacity, so a
  // value at or above half is current as of the last Append.
  size_t used_bytes_upper_bound() const {
    return static_cast<size_t>(write_.load(std::memory_order_relaxed) - read_seen_);
  }
  // Bytes published and not yet consumed; exact on either thread when the other is idle.
  size_t used_bytes() const {
    return static_cast<size_t>(write_.load(std::memory_order_acquire) -
                               read_.load(std::memory_order_acquire));
  }
  size_t capacity_bytes() const { return capacity_; }

 private:
  // Reads the entry at position `at`; returns its size.
  size_t Decode(uint64_t at, AccessLogRecord& record, bool& padding) const;

  const size_t capacity_;
  std::unique_ptr<char[]> bytes_;
  // Positions count bytes since the start and never wrap (2^64 bytes is centuries of
  // logging); the offset in the ring is position % capacity_.
  std::atomic<uint64_t> write_{0};  // stored by the producer only
  uint64_t read_seen_ = 0;          // producer's copy of read_, refreshed when short
  // Keeps read_ off the cache line of the producer's fields, so that the producer's
  // stores do not take the line from a consumer reading read_ (and back). Padding rather
  // than alignas(64): an over-aligned object is one that every allocation path (stack
  // frames under ASan's fake stack, say) must honour.
  [[maybe_unused]] char apart_[64] = {};
  std::atomic<uint64_t> read_{0};  // stored by the consumer only
};

}  // namespace switchyard::access_log

#endif  // SWITCHYARD_DATAPLANE_ACCESS_LOG_RECORD_RING_H_
