#include "dataplane/testing/allocation_counter.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<int64_t> allocations{0};
thread_local int64_t thread_allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  ++thread_allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace switchyard::testing {

int64_t AllocationCount() { return allocations.load(std::memory_order_relaxed); }

int64_t ThreadAllocationCount() { return thread_allocations; }

}  // namespace switchyard::testing
