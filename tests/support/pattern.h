// A deterministic byte stream for large bodies: byte i is i % 251. The period is prime and
// does not divide any buffer or chunk size the proxy is likely to use, so a dropped,
// duplicated or reordered block shows up as a mismatch at a known offset.
#ifndef SWITCHYARD_TESTS_SUPPORT_PATTERN_H_
#define SWITCHYARD_TESTS_SUPPORT_PATTERN_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace switchyard::testing {

inline constexpr uint64_t kPatternPeriod = 251;

// `size` pattern bytes starting at stream offset `offset`.
std::string PatternBytes(uint64_t offset, size_t size);

// Checks a pattern stream fed in arbitrary pieces.
class PatternChecker {
 public:
  void Feed(std::string_view data);
  uint64_t bytes() const { return bytes_; }
  bool ok() const { return first_mismatch_ < 0; }
  // Offset of the first wrong byte, or -1.
  int64_t first_mismatch() const { return first_mismatch_; }

 private:
  uint64_t bytes_ = 0;
  int64_t first_mismatch_ = -1;
};

// Produces a pattern stream in blocks, reusing one buffer, so sending 1 GiB costs no
// per-byte work: a block whose length is a multiple of the period repeats exactly.
class PatternSource {
 public:
  explicit PatternSource(uint64_t total, size_t block = kPatternPeriod * 4096);
  // The next block (empty at the end).
  std::string_view Next();
  uint64_t produced() const { return produced_; }
  uint64_t total() const { return total_; }

 private:
  uint64_t total_;
  uint64_t produced_ = 0;
  std::string block_;
};

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_PATTERN_H_
