#include "dataplane/upstream/endpoint_store.h"

#include <algorithm>
#include <utility>

#include "dataplane/runtime/runtime_config.h"

namespace switchyard::upstream {
namespace {

bool SameEndpoints(const std::vector<std::unique_ptr<EndpointState>>& states,
                   const std::vector<int64_t>& weights, const runtime::Cluster& cluster) {
  if (states.size() != cluster.endpoints.size()) return false;
  for (size_t i = 0; i < states.size(); ++i) {
    if (states[i]->pool_key != cluster.endpoints[i].pool_key ||
        weights[i] != cluster.endpoints[i].weight) {
      return false;
    }
  }
  return true;
}

}  // namespace

EndpointStore::~EndpointStore() = default;

void EndpointStore::OnConfig(const runtime::RuntimeConfig& config) {
  generation_ = config.generation();
  by_index_.assign(config.clusters().size(), nullptr);
  for (auto it = clusters_.begin(); it != clusters_.end();) {
    if (config.FindCluster(it->first) >= 0) {
      ++it;
      continue;
    }
    for (auto& state : it->second->endpoints) Retire(std::move(state));
    clusters_.erase(it++);
  }
}

EndpointStore::ClusterState* EndpointStore::StateFor(const runtime::RuntimeConfig& config,
                                                     size_t cluster_index) {
  const runtime::Cluster& cluster = config.clusters()[cluster_index];
  if (config.generation() == generation_ && cluster_index < by_index_.size()) {
    if (ClusterState* cached = by_index_[cluster_index]) return cached;
    std::unique_ptr<ClusterState>& slot = clusters_[cluster.name];
    if (slot == nullptr) slot = std::make_unique<ClusterState>();
    if (!SameEndpoints(slot->endpoints, slot->weights, cluster)) {
      Sync(*slot, config, cluster_index);
    }
    by_index_[cluster_index] = slot.get();
    return slot.get();
  }
  // A request pinned to an older snapshot.
  const auto it = clusters_.find(cluster.name);
  if (it != clusters_.end() && SameEndpoints(it->second->endpoints, it->second->weights, cluster)) {
    return it->second.get();
  }
  return nullptr;
}

void EndpointStore::Sync(ClusterState& state, const runtime::RuntimeConfig& config,
                         size_t cluster_index) {
  const runtime::Cluster& cluster = config.clusters()[cluster_index];
  absl::flat_hash_map<absl::string_view, size_t> old_index;
  for (size_t i = 0; i < state.endpoints.size(); ++i) {
    old_index.emplace(state.endpoints[i]->pool_key, i);
  }
  std::vector<std::unique_ptr<EndpointState>> endpoints;
  std::vector<int64_t> weights;
  std::vector<int64_t> current;
  endpoints.reserve(cluster.endpoints.size());
  for (const runtime::Endpoint& endpoint : cluster.endpoints) {
    weights.push_back(endpoint.weight);
    const auto found = old_index.find(endpoint.pool_key);
    if (found != old_index.end() && state.endpoints[found->second] != nullptr) {
      // Kept: its counters and its place in the rotation carry over.
      current.push_back(state.balancer.size() == state.endpoints.size()
                            ? state.balancer.current()[found->second]
                            : 0);
      endpoints.push_back(std::move(state.endpoints[found->second]));
    } else {
      current.push_back(0);
      auto fresh = std::make_unique<EndpointState>();
      fresh->pool_key = endpoint.pool_key;
      endpoints.push_back(std::move(fresh));
    }
  }
  for (auto& gone : state.endpoints) {
    if (gone != nullptr) Retire(std::move(gone));
  }
  state.endpoints = std::move(endpoints);
  state.weights = weights;
  state.balancer = SmoothWeightedRoundRobin(std::move(weights), std::move(current));
}

void EndpointStore::Retire(std::unique_ptr<EndpointState> state) {
  if (state->in_flight == 0) return;  // freed here
  state->retired = true;
  retired_.push_back(std::move(state));
}

EndpointStore::Pick EndpointStore::Begin(const runtime::RuntimeConfig& config,
                                         size_t cluster_index) {
  ClusterState* state = StateFor(config, cluster_index);
  if (state == nullptr) {
    const size_t count = config.clusters()[cluster_index].endpoints.size();
    ++untracked_.in_flight;
    return {static_cast<size_t>(untracked_rotation_++ % count), &untracked_};
  }
  const size_t index = state->balancer.Pick();
  EndpointState* endpoint = state->endpoints[index].get();
  ++endpoint->in_flight;
  return {index, endpoint};
}

void EndpointStore::End(EndpointState* state, EndpointOutcome outcome) {
  if (state->in_flight > 0) --state->in_flight;
  if (state == &untracked_) return;
  switch (outcome) {
    case EndpointOutcome::kSuccess:
      ++state->successes;
      state->consecutive_failures = 0;
      break;
    case EndpointOutcome::kConnectFailed:
      ++state->connect_failures;
      ++state->consecutive_failures;
      break;
    case EndpointOutcome::kReset:
      ++state->resets;
      ++state->consecutive_failures;
      break;
    case EndpointOutcome::kTimeout:
      ++state->timeouts;
      ++state->consecutive_failures;
      break;
  }
  if (state->retired && state->in_flight == 0) {
    std::erase_if(retired_, [state](const auto& owned) { return owned.get() == state; });
  }
}

const EndpointState* EndpointStore::Find(std::string_view cluster,
                                         std::string_view pool_key) const {
  const auto it = clusters_.find(absl::string_view(cluster.data(), cluster.size()));
  if (it == clusters_.end()) return nullptr;
  for (const auto& state : it->second->endpoints) {
    if (state->pool_key == pool_key) return state.get();
  }
  return nullptr;
}

}  // namespace switchyard::upstream
