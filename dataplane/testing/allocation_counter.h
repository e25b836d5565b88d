// Counts heap allocations in a test binary, for tests that show a path allocates nothing.
// Linking //dataplane/testing:allocation_counter replaces the global operator new of the
// whole binary, so such a test is its own binary.
#ifndef SWITCHYARD_DATAPLANE_TESTING_ALLOCATION_COUNTER_H_
#define SWITCHYARD_DATAPLANE_TESTING_ALLOCATION_COUNTER_H_

#include <cstdint>

namespace switchyard::testing {

// Calls of the global operator new since the program started.
int64_t AllocationCount();
// The same, counting only the calling thread's.
int64_t ThreadAllocationCount();

}  // namespace switchyard::testing

#endif  // SWITCHYARD_DATAPLANE_TESTING_ALLOCATION_COUNTER_H_
