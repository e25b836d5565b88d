// Per-worker endpoint state that lives outside any snapshot: the load balancer's position
// in each cluster, each endpoint's in-flight requests and the outcomes reported for it
// (later: health and outlier ejection). Keyed by cluster name and endpoint pool key, so
// a swap that keeps a cluster keeps its position, and one that keeps an endpoint keeps
// its counters; state of what a swap removed is dropped.
//
// Cost: OnConfig, when the worker receives a new snapshot, only visits the clusters this
// worker has state for (a hash lookup each); a cluster's endpoint list is compared with
// the new snapshot's lazily, at its first pick after the swap. Picks on the current
// snapshot are an index lookup plus the balancer.
//
// A request keeps the snapshot it started with, so a pick may come for an older snapshot
// than the store was synced to. It is served from the store when that cluster's endpoints
// did not change, and by plain rotation over the old snapshot's endpoints otherwise.
//
// Not thread-safe: one worker thread.
#ifndef SWITCHYARD_DATAPLANE_UPSTREAM_ENDPOINT_STORE_H_
#define SWITCHYARD_DATAPLANE_UPSTREAM_ENDPOINT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dataplane/upstream/load_balancer.h"

namespace switchyard::runtime {
class RuntimeConfig;
}  // namespace switchyard::runtime

namespace switchyard::upstream {

// What became of one attempt on an endpoint, as the upstream request reports it.
enum class EndpointOutcome {
  kSuccess,        // a response head arrived (any status)
  kConnectFailed,  // refused, unreachable or connect timeout
  kReset,          // the connection failed before or during the response
  kTimeout,        // no response head within the route's timeout
};

struct EndpointState {
  std::string pool_key;
  uint32_t in_flight = 0;
  uint64_t successes = 0;
  uint64_t connect_failures = 0;
  uint64_t resets = 0;
  uint64_t timeouts = 0;
  // Failures since the last success: what health checks and ejection will read.
  uint32_t consecutive_failures = 0;
  // Set when a swap removed the endpoint while requests were in flight; freed when the
  // last one ends.
  bool retired = false;
};

class EndpointStore {
 public:
  EndpointStore() = default;
  ~EndpointStore();
  EndpointStore(const EndpointStore&) = delete;
  EndpointStore& operator=(const EndpointStore&) = delete;

  // Called on the worker thread when `config` becomes the one new requests use.
  void OnConfig(const runtime::RuntimeConfig& config);

  // Picks an endpoint of cluster `cluster_index` of `config` (the snapshot the request
  // pinned) and counts it in flight. Returns the endpoint's index in that cluster and its
  // state, which stays valid until End().
  struct Pick {
    size_t index;
    EndpointState* state;
  };
  Pick Begin(const runtime::RuntimeConfig& config, size_t cluster_index);
  // Ends what Begin started, recording the attempt's outcome.
  void End(EndpointState* state, EndpointOutcome outcome);

  // For tests and the admin port: the state of `pool_key` in cluster `cluster`, or null.
  const EndpointState* Find(std::string_view cluster, std::string_view pool_key) const;
  size_t cluster_count() const { return clusters_.size(); }

 private:
  struct ClusterState {
    // Parallel to the endpoints of the snapshot it was synced with.
    std::vector<std::unique_ptr<EndpointState>> endpoints;
    std::vector<int64_t> weights;
    SmoothWeightedRoundRobin balancer{{1}};
  };

  // The state for `config`'s cluster, synced to its endpoint list when `config` is the
  // current snapshot; null when an older snapshot's endpoints differ from the state's.
  ClusterState* StateFor(const runtime::RuntimeConfig& config, size_t cluster_index);
  void Sync(ClusterState& state, const runtime::RuntimeConfig& config, size_t cluster_index);
  void Retire(std::unique_ptr<EndpointState> state);

  absl::flat_hash_map<std::string, std::unique_ptr<ClusterState>> clusters_;
  // Removed endpoints with requests still in flight.
  std::vector<std::unique_ptr<EndpointState>> retired_;
  // The current snapshot and its clusters' states by index (null until first used).
  uint64_t generation_ = 0;
  std::vector<ClusterState*> by_index_;
  // Placeholder state for picks on old snapshots that the store does not track, and the
  // rotation those picks use.
  EndpointState untracked_;
  uint64_t untracked_rotation_ = 0;
};

}  // namespace switchyard::upstream

#endif  // SWITCHYARD_DATAPLANE_UPSTREAM_ENDPOINT_STORE_H_
