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
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"

namespace switchyard::proxy {
namespace {

constexpr char kSnapshot[] = R"(
virtual_hosts:
  - name: api
    domains: ["api.example.com"]
    routes:
      - name: users
        match: {prefix: /api/v1/users/}
        route:
          prefix_rewrite: /internal/users/
          weighted_clusters:
            clusters: [{name: blue, weight: 3}, {name: green, weight: 1}]
clusters:
  - name: blue
    endpoints: [{address: 10.0.0.1, port: 80}, {address: 10.0.0.2, port: 80, weight: 2}]
  - name: green
    endpoints: [{address: 10.0.0.3, port: 80}]
)";

// Serves 20 warm-up requests, then 1000 counted ones, through every phase; `log` (when
// set) receives their access-log records.
void ExpectWarmRequestsDoNotAllocate(access_log::AccessLogWriter::Producer* log) {
  auto snapshot = config::ParseSnapshot(kSnapshot, "test.yaml");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  auto compiled = runtime::RuntimeConfig::Compile(*snapshot);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  const std::shared_ptr<const runtime::RuntimeConfig> config = *compiled;

  time::ManualClock clock;
  WorkerServices services(42, clock, std::chrono::seconds(30));
  services.endpoints.OnConfig(*config);
  services.access_log = log;
  const PhaseChain chain(PhaseChain::StandardPhases({.via = "switchyard"}));
  RequestContext ctx;
  http::HeaderMap response_headers;
  int served = 0;

  const auto serve_one = [&] {
    ctx.Reset();
    ctx.services = &services;
    ctx.client_ip = "192.0.2.10";
    ctx.method.assign("GET");
    ctx.target.assign("/api/v1/users/12345?expand=profile,settings");
    ctx.headers.Add("host", "api.example.com");
    ctx.headers.Add("user-agent", "curl/7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1");
    ctx.headers.Add("x-forwarded-for", "198.51.100.7");
    ctx.config = config;
    ctx.record.start = clock.Now();
    size_t at = 0;
    ASSERT_EQ(chain.Run(0, at, [&](const Phase& p) { return p.OnRequestHeaders(ctx); }),
              PhaseStatus::kContinue);
    ASSERT_EQ(chain.Run(0, at, [&](const Phase& p) { return p.ChooseUpstream(ctx); }),
              PhaseStatus::kContinue);
    ASSERT_NE(ctx.cluster, nullptr);
    const size_t cluster_index = static_cast<size_t>(ctx.cluster - config->clusters().data());
    const upstream::EndpointStore::Pick pick = services.endpoints.Begin(*config, cluster_index);
    ctx.endpoint = &ctx.cluster->endpoints[pick.index];
    response_headers.clear();
    response_headers.Add("content-type", "application/json");
    response_headers.Add("content-length", "512");
    int status = 200;
    ResponseHead head{status, response_headers};
    ASSERT_EQ(chain.Run(0, at, [&](const Phase& p) { return p.OnResponseHeaders(ctx, head); }),
              PhaseStatus::kContinue);
    services.endpoints.End(pick.state, upstream::EndpointOutcome::kSuccess);
    ctx.record.status = status;
    ctx.record.end = StreamEnd::kCompleted;
    chain.RunRequestEnd(ctx);
    ctx.config.reset();
    ++served;
  };

  // Warm-up: storage grows to its working size (every cluster's state is created, every
  // access-log slot has held a record).
  for (int i = 0; i < 500; ++i) serve_one();
  ASSERT_EQ(ctx.upstream_target, "/internal/users/12345?expand=profile,settings");

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
       .buffer_records = 64,
       .flush_interval = std::chrono::milliseconds(1)},
      1);
  ASSERT_TRUE(writer.ok()) << writer.status();
  // Slots the warm-up did not reach (the writer kept up) get their storage here.
  (*writer)->producer(0).Reserve(128);
  ExpectWarmRequestsDoNotAllocate(&(*writer)->producer(0));
  EXPECT_GT((*writer)->stats().written + (*writer)->stats().dropped, 1000u);
}

}  // namespace
}  // namespace switchyard::proxy
