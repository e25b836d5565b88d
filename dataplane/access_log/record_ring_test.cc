// The record ring: every field comes back as it went in, records keep their order across
// the ring's end, a record that does not fit is refused whole, and a producer and a
// consumer on two threads lose nothing (run under ThreadSanitizer too).
#include "dataplane/access_log/record_ring.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::access_log {
namespace {

using std::chrono::microseconds;
using std::chrono::steady_clock;

// Every field set, each string distinct, so a field stored in another's place shows.
AccessLogRecord Distinct(const std::string& path, uint64_t n = 0) {
  return AccessLogRecord{.start = steady_clock::time_point(microseconds(1'796'022'062'012'345)),
                         .request_id = "request-id",
                         .trace_id = "trace-id",
                         .protocol = "HTTP/1.1",
                         .method = "PATCH",
                         .authority = "api.example.com",
                         .path = path,
                         .status = 504,
                         .reason = "upstream_timeout",
                         .route = "route-a",
                         .cluster = "cluster-b",
                         .endpoint = "10.0.0.1:80",
                         .bytes_received = 11,
                         .bytes_sent = n,
                         .duration_us = 33,
                         .upstream_connect_us = 44,
                         .upstream_response_head_us = -1,
                         .client_address = "192.0.2.7"};
}

void ExpectSame(const AccessLogRecord& got, const AccessLogRecord& want) {
  EXPECT_EQ(got.start, want.start);
  EXPECT_EQ(got.request_id, want.request_id);
  EXPECT_EQ(got.trace_id, want.trace_id);
  EXPECT_EQ(got.protocol, want.protocol);
  EXPECT_EQ(got.method, want.method);
  EXPECT_EQ(got.authority, want.authority);
  EXPECT_EQ(got.path, want.path);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.reason, want.reason);
  EXPECT_EQ(got.route, want.route);
  EXPECT_EQ(got.cluster, want.cluster);
  EXPECT_EQ(got.endpoint, want.endpoint);
  EXPECT_EQ(got.bytes_received, want.bytes_received);
  EXPECT_EQ(got.bytes_sent, want.bytes_sent);
  EXPECT_EQ(got.duration_us, want.duration_us);
  EXPECT_EQ(got.upstream_connect_us, want.upstream_connect_us);
  EXPECT_EQ(got.upstream_response_head_us, want.upstream_response_head_us);
  EXPECT_EQ(got.client_address, want.client_address);
}

TEST(RecordRingTest, RecordsComeBackWholeAndInOrder) {
  RecordRing ring(4096);
  const std::vector<std::string> paths = {"/first", "", std::string("/nul\0inside", 11)};
  for (const std::string& path : paths) ASSERT_TRUE(ring.Append(Distinct(path)));
  size_t seen = 0;
  EXPECT_EQ(ring.Consume([&](const AccessLogRecord& record) {
    ASSERT_LT(seen, paths.size());
    ExpectSame(record, Distinct(paths[seen]));
    ++seen;
  }),
            3u);
  EXPECT_EQ(ring.used_bytes(), 0u);
  EXPECT_EQ(ring.Consume([](const AccessLogRecord&) { FAIL() << "consumed twice"; }), 0u);
}

// The bytes Distinct(a path of `length` bytes) takes in a ring.
size_t SizeOf(size_t length) {
  RecordRing probe(1 << 16);
  EXPECT_TRUE(probe.Append(Distinct(std::string(length, 'z'))));
  return probe.used_bytes();
}

// A path that makes Distinct(path) take exactly `size` bytes (a multiple of 8).
std::string PathForSize(size_t size) {
  size_t length = 0;
  while (SizeOf(length + 1) <= size) ++length;
  EXPECT_EQ(SizeOf(length), size);
  return std::string(length, 'y');
}

TEST(RecordRingTest, ARecordThatDoesNotFitIsRefusedAndChangesNothing) {
  RecordRing ring(1024);
  ASSERT_TRUE(ring.Append(Distinct("/small")));
  const size_t used = ring.used_bytes();
  EXPECT_FALSE(ring.Append(Distinct(std::string(2000, 'x'))));        // larger than the ring
  EXPECT_FALSE(ring.Append(Distinct(PathForSize(1024 - used + 8))));  // larger than the rest
  EXPECT_EQ(ring.used_bytes(), used);
  size_t seen = 0;
  ring.Consume([&](const AccessLogRecord& record) {
    EXPECT_EQ(record.path, "/small");
    ++seen;
  });
  EXPECT_EQ(seen, 1u);
  // Consumed, its space is free again: the ring takes one record up to its end and one
  // in the space at its start, and is then exactly full.
  ASSERT_TRUE(ring.Append(Distinct(PathForSize(1024 - used))));
  ASSERT_TRUE(ring.Append(Distinct("/small")));
  EXPECT_EQ(ring.used_bytes(), 1024u);
  EXPECT_FALSE(ring.Append(Distinct("")));
  EXPECT_EQ(ring.Consume([](const AccessLogRecord&) {}), 2u);
}

TEST(RecordRingTest, RecordsWrapAroundTheEndWithoutBeingSplit) {
  RecordRing ring(1000);  // rounded down to 1000 (a multiple of 8)
  uint64_t next_in = 0;
  uint64_t next_out = 0;
  // Records of varied sizes, many times round the ring, consumed in small batches.
  for (int round = 0; round < 200; ++round) {
    while (ring.Append(Distinct(std::string(next_in % 97, 'p'), next_in))) ++next_in;
    ring.Consume([&](const AccessLogRecord& record) {
      EXPECT_EQ(record.bytes_sent, next_out);
      EXPECT_EQ(record.path, std::string(next_out % 97, 'p'));
      ++next_out;
    });
    ASSERT_EQ(next_out, next_in);
  }
  EXPECT_GT(next_in, 400u);  // about 200 times round the ring
}

TEST(RecordRingTest, AProducerAndAConsumerOnTwoThreadsLoseNothing) {
  RecordRing ring(8192);
  constexpr uint64_t kRecords = 100'000;
  std::thread producer([&] {
    for (uint64_t n = 0; n < kRecords;) {
      if (ring.Append(Distinct(std::string(n % 61, 'q'), n))) {
        ++n;
      } else {
        std::this_thread::yield();
      }
    }
  });
  uint64_t next = 0;
  while (next < kRecords) {
    ring.Consume([&](const AccessLogRecord& record) {
      ASSERT_EQ(record.bytes_sent, next);
      ASSERT_EQ(record.path, std::string(next % 61, 'q'));
      ++next;
    });
  }
  producer.join();
  EXPECT_EQ(ring.used_bytes(), 0u);
}

}  // namespace
}  // namespace switchyard::access_log
