// Per-worker services that phases and streams use: request ids, randomness, the worker's
// clock, and the state that outlives a snapshot (endpoint state, per-resource store).
// Owned by the worker and used only on its thread, so nothing here takes a lock.
#ifndef SWITCHYARD_DATAPLANE_PROXY_WORKER_SERVICES_H_
#define SWITCHYARD_DATAPLANE_PROXY_WORKER_SERVICES_H_

#include <cstdint>
#include <random>

#include "dataplane/access_log/access_log_writer.h"
#include "dataplane/auth/token_cache.h"
#include "dataplane/http/request_id.h"
#include "dataplane/metrics/worker_metrics.h"
#include "dataplane/overload/overload.h"
#include "dataplane/runtime/resource_store.h"
#include "dataplane/time/clock.h"
#include "dataplane/upstream/connection_pool.h"
#include "dataplane/upstream/endpoint_store.h"

namespace switchyard::proxy {

struct WorkerServices {
  WorkerServices(uint64_t seed, const time::Clock& clock_in, time::Duration upstream_idle_timeout,
                 const time::Clock& timing_clock_in = time::SteadyClock::Instance())
      : request_ids(seed),
        random(seed ^ 0x9e3779b97f4a7c15),
        clock(clock_in),
        timing_clock(timing_clock_in),
        pool(upstream_idle_timeout) {}

  http::RequestIdGenerator request_ids;
  std::mt19937_64 random;
  // Deadlines: the worker's coarse clock (time/clock.h).
  const time::Clock& clock;
  // Measurements: the timestamps of RequestContext::record.
  const time::Clock& timing_clock;
  // Load-balancer position, in-flight counts and outcomes per endpoint; survives swaps.
  upstream::EndpointStore endpoints;
  // Idle upstream connections, keyed by endpoint and connection settings.
  upstream::ConnectionPool pool;
  // JSON Web Tokens this worker verified (docs/auth.md); they outlive swaps that keep
  // their issuer.
  auth::TokenCache tokens;
  // Whatever later features keep per route or cluster across swaps.
  runtime::ResourceStore resources;
  // Request and connection counts, read by /metrics from the admin thread.
  metrics::WorkerMetrics metrics;
  // The memory level (--max_memory); null when there is no limit.
  const overload::OverloadMonitor* overload = nullptr;
  // This worker's side of the access log; null when --access_log is off.
  access_log::AccessLogWriter::Producer* access_log = nullptr;
};

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_WORKER_SERVICES_H_
