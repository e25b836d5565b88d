// AllocatedBytes reads glibc's allocator. Its own test, tagged no_asan: under
// AddressSanitizer the heap is ASan's, which mallinfo2 does not see.
#include <vector>

#include "dataplane/overload/overload.h"
#include "gtest/gtest.h"

namespace switchyard::overload {
namespace {

TEST(AllocatedBytesTest, AllocatedBytesSeesTheHeapGrow) {
  const uint64_t before = AllocatedBytes();
  std::vector<char> block(64 << 20, 1);
  EXPECT_GE(AllocatedBytes(), before + (60u << 20)) << block[12345];
}

}  // namespace
}  // namespace switchyard::overload
