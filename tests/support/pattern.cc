#include "tests/support/pattern.h"

#include <algorithm>
#include <cstring>

namespace switchyard::testing {
namespace {

// One block of the pattern long enough to compare any piece up to kCompareMax bytes
// starting at any phase, so checking is a memcmp instead of a per-byte modulo.
constexpr size_t kCompareMax = size_t{64} * 1024;

const std::string& Reference() {
  static const std::string* ref = new std::string(PatternBytes(0, kCompareMax + kPatternPeriod));
  return *ref;
}

}  // namespace

std::string PatternBytes(uint64_t offset, size_t size) {
  std::string out(size, '\0');
  uint64_t v = offset % kPatternPeriod;
  for (size_t i = 0; i < size; ++i) {
    out[i] = static_cast<char>(v);
    if (++v == kPatternPeriod) v = 0;
  }
  return out;
}

void PatternChecker::Feed(std::string_view data) {
  const std::string& ref = Reference();
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kCompareMax);
    const size_t phase = bytes_ % kPatternPeriod;
    if (first_mismatch_ < 0 && std::memcmp(data.data(), ref.data() + phase, n) != 0) {
      for (size_t i = 0; i < n; ++i) {
        if (data[i] != ref[phase + i]) {
          first_mismatch_ = static_cast<int64_t>(bytes_ + i);
          break;
        }
      }
    }
    bytes_ += n;
    data.remove_prefix(n);
  }
}

PatternSource::PatternSource(uint64_t total, size_t block)
    : total_(total), block_(PatternBytes(0, block - block % kPatternPeriod)) {}

std::string_view PatternSource::Next() {
  const uint64_t left = total_ - produced_;
  const size_t n = static_cast<size_t>(std::min<uint64_t>(left, block_.size()));
  produced_ += n;
  return std::string_view(block_.data(), n);
}

}  // namespace switchyard::testing
