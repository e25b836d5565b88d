// Counters of the discovery service, for tests and logs.
#ifndef SWITCHYARD_CONTROLPLANE_DISCOVERY_DISCOVERY_COUNTERS_H_
#define SWITCHYARD_CONTROLPLANE_DISCOVERY_DISCOVERY_COUNTERS_H_

#include <atomic>
#include <cstdint>

namespace switchyard::controlplane {

// Thread-safe counters, readable while streams run.
struct DiscoveryCounters {
  std::atomic<int64_t> active_streams{0};
  std::atomic<uint64_t> streams_opened{0};
  std::atomic<uint64_t> full_responses{0};
  std::atomic<uint64_t> delta_responses{0};
  std::atomic<uint64_t> acks{0};
  std::atomic<uint64_t> nacks{0};
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_DISCOVERY_DISCOVERY_COUNTERS_H_
