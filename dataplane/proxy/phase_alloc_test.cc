// Checks that a warm request allocates nothing on its way through the whole phase
// sequence: request id, route, header changes, cluster choice, endpoint pick, response
// head phases and the request-end hooks (metrics, access log). Its own binary: it counts
// allocations (dataplane/testing/allocation_counter.h).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "dataplane/proxy/phase_chain.h"
#include "dataplane/proxy/request_context.h"
#include "dataplane/proxy/worker_services.h"
#include "dataplane/testing/allocation_counter.h"
#include "dataplane/testing/request_driver.h"
#include "gtest/gtest.h"

namespace switchyard::proxy {
namespace {

// Serves 500 warm-up requests, then 1000 counted ones, through every phase; `log` (when
// set) receives their access-log records.
void ExpectWarmRequestsDoNotAllocate(access_log::AccessLogWriter::Producer* log) {
  auto config = switchyard::testing::RequestDriver::SampleConfig();
  ASSERT_TRUE(config.ok()) << config.status();
  time::ManualClock clock;
  WorkerServices services(42, clock, std::chrono::seconds(30));
  services.access_log = log;
  switchyard::testing::RequestDriver driver(*config, services);
  const PhaseChain chain(PhaseChain::StandardPhases({.via = "switchyard"}));
  int served = 0;
  std::string failure;
  const auto serve_one = [&] {
    ASSERT_TRUE(driver.ServeOne(chain, &failure)) << failure;
    ++served;
  };

  // Warm-up: storage grows to its working size (every cluster's state is created, every
  // access-log slot has held a record).
  for (int i = 0; i < 500; ++i) serve_one();
  ASSERT_EQ(driver.context().upstream_target, "/internal/users/12345?expand=profile,settings");

  // This thread's: the worker's. (The access-log writer's thread is off the request path.)
  const int64_t before = switchyard::testing::ThreadAllocationCount();
  for (int i = 0; i < 1000; ++i) serve_one();
  EXPECT_EQ(switchyard::testing::ThreadAllocationCount() - before, 0)
      << "allocations over 1000 warm requests";
  EXPECT_EQ(served, 1500);

  // The counter does see allocations (under a sanitizer too).
  const int64_t sanity = switchyard::testing::AllocationCount();
  auto probe = std::make_unique<std::string>(100, 'x');
  EXPECT_GT(switchyard::testing::AllocationCount() - sanity, 0) << *probe;
}

TEST(PhaseAllocationTest, WarmRequestThroughEveryPhaseDoesNotAllocate) {
  ExpectWarmRequestsDoNotAllocate(nullptr);
}

// With the access log on, the worker fills records whose strings kept their storage:
// logging allocates nothing on the worker.
TEST(PhaseAllocationTest, WarmRequestWithTheAccessLogOnDoesNotAllocate) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  auto writer = access_log::AccessLogWriter::Open(
      {.path = std::string(tmp != nullptr ? tmp : "/tmp") + "/phase_alloc_access.log",
       .buffer_bytes = size_t{64} << 10,
       .flush_interval = std::chrono::milliseconds(1)},
      1);
  ASSERT_TRUE(writer.ok()) << writer.status();
  ExpectWarmRequestsDoNotAllocate(&(*writer)->producer(0));
  EXPECT_GT((*writer)->stats().written + (*writer)->stats().dropped, 1000u);
}

}  // namespace
}  // namespace switchyard::proxy
