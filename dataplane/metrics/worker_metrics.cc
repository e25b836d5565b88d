#include "dataplane/metrics/worker_metrics.h"

namespace switchyard::metrics {
namespace {

// ResourceStore entries: shared, so a published view keeps stats alive after the store
// has dropped them.
using ClusterEntry = std::shared_ptr<ClusterStats>;

template <typename Stats>
std::shared_ptr<Stats>& EntryFor(runtime::ResourceStore& store, runtime::ResourceKind kind,
                                 std::string_view name) {
  std::shared_ptr<Stats>& entry = store.GetOrCreate<std::shared_ptr<Stats>>(kind, name);
  if (entry == nullptr) entry = std::make_shared<Stats>();
  return entry;
}

}  // namespace

size_t StatusClass(int status) {
  return status >= 100 && status <= 599 ? static_cast<size_t>(status / 100) : 0;
}

WorkerMetrics::WorkerMetrics() : totals_(std::make_shared<WorkerTotals>()) {
  next_.totals = totals_;
  Publish();
}

void WorkerMetrics::Bind(const runtime::RuntimeConfig& config, runtime::ResourceStore& store) {
  store_ = &store;
  bound_generation_ = config.generation();
  routes_.clear();
  route_durations_.clear();
  next_.routes.clear();
  next_.route_durations.clear();
  const std::vector<std::string>& route_names = config.route_names();
  for (size_t index = 0; index < route_names.size(); ++index) {
    const std::string& name = route_names[index];
    auto& entry = EntryFor<RouteStats>(store, runtime::ResourceKind::kRoute, name);
    routes_.push_back(entry.get());
    next_.routes.emplace_back(name, entry);
    if (config.route_has_duration_histogram(index)) {
      auto& durations = EntryFor<RouteDurationStats>(store, runtime::ResourceKind::kRoute, name);
      route_durations_.push_back(durations.get());
      next_.route_durations.emplace_back(name, durations);
    } else {
      route_durations_.push_back(nullptr);
    }
  }
  clusters_.clear();
  next_.clusters.clear();
  for (const runtime::Cluster& cluster : config.clusters()) {
    ClusterEntry& entry =
        EntryFor<ClusterStats>(store, runtime::ResourceKind::kCluster, cluster.name);
    clusters_.push_back(entry.get());
    next_.clusters.emplace_back(cluster.name, entry);
  }
  Publish();
}

template <typename Stats>
Stats* WorkerMetrics::RouteEntryOf(const RequestSample& sample,
                                   const std::vector<Stats*>& by_index) {
  if (sample.route == nullptr || sample.config == nullptr) return nullptr;
  if (sample.config->generation() == bound_generation_) {
    return sample.route->index < by_index.size() ? by_index[sample.route->index] : nullptr;
  }
  // The request began before a swap: its route's index is the old config's. Found by
  // name (rare), and not counted if the new config removed the route.
  if (store_ == nullptr) return nullptr;
  auto* entry = store_->Find<std::shared_ptr<Stats>>(
      runtime::ResourceKind::kRoute,
      runtime::RouteResourceName(sample.route->virtual_host, sample.route->name));
  return entry == nullptr ? nullptr : entry->get();
}

ClusterStats* WorkerMetrics::ClusterOf(const RequestSample& sample) {
  if (sample.cluster == nullptr || sample.config == nullptr) return nullptr;
  if (sample.config->generation() == bound_generation_) {
    const size_t index = static_cast<size_t>(sample.cluster - sample.config->clusters().data());
    return index < clusters_.size() ? clusters_[index] : nullptr;
  }
  if (store_ == nullptr) return nullptr;
  ClusterEntry* entry =
      store_->Find<ClusterEntry>(runtime::ResourceKind::kCluster, sample.cluster->name);
  return entry == nullptr ? nullptr : entry->get();
}

Counter& WorkerMetrics::LocalReply(std::string_view reason) {
  auto it = local_replies_.find(absl::string_view(reason.data(), reason.size()));
  if (it != local_replies_.end()) return *it->second;
  // A reason seen for the first time on this worker (a short, fixed set of codes).
  auto counter = std::make_shared<Counter>();
  local_replies_.emplace(std::string(reason), counter);
  next_.local_replies.emplace_back(std::string(reason), counter);
  Publish();
  return *counter;
}

void WorkerMetrics::Record(const RequestSample& sample) {
  const size_t status_class = StatusClass(sample.status);
  if (RouteStats* route = RouteEntryOf(sample, routes_)) {
    route->requests[status_class].Add();
  } else if (sample.route == nullptr) {
    totals_->unrouted[status_class].Add();
  }
  if (sample.route != nullptr && sample.route->duration_histogram) {
    if (RouteDurationStats* route = RouteEntryOf(sample, route_durations_)) {
      route->duration.Record(sample.duration);
    }
  }
  if (ClusterStats* cluster = ClusterOf(sample)) {
    cluster->requests[status_class].Add();
    if (sample.upstream_response_head.has_value()) {
      cluster->response_head.Record(*sample.upstream_response_head);
    }
    if (!sample.local_reply.empty()) {
      for (size_t i = 0; i < kUpstreamFailures.size(); ++i) {
        if (sample.local_reply == kUpstreamFailures[i].first) cluster->failures[i].Add();
      }
    }
  }
  if (!sample.local_reply.empty()) LocalReply(sample.local_reply).Add();
  totals_->request_duration.Record(sample.duration);
  totals_->request_body_bytes.Add(sample.request_body_bytes);
  totals_->response_body_bytes.Add(sample.response_body_bytes);
}

void WorkerMetrics::RecordRefusedHead(int status, std::string_view reason) {
  totals_->unrouted[StatusClass(status)].Add();
  if (!reason.empty()) LocalReply(reason).Add();
}

void WorkerMetrics::ConnectionOpened() {
  totals_->connections_total.Add();
  totals_->connections_active.Add(1);
}

void WorkerMetrics::ConnectionClosed() { totals_->connections_active.Add(-1); }

void WorkerMetrics::ConnectionIsHttp2() {
  totals_->connections_total_http2.Add();
  totals_->connections_active_http2.Add(1);
}

void WorkerMetrics::ConnectionLeftHttp2() { totals_->connections_active_http2.Add(-1); }

void WorkerMetrics::TlsHandshake(TlsHandshakeResult result) {
  totals_->tls_handshakes[static_cast<size_t>(result)].Add();
}

void WorkerMetrics::ExtAuthzCheck(ExtAuthzResult result) {
  totals_->ext_authz_checks[static_cast<size_t>(result)].Add();
}

void WorkerMetrics::ConnectionRefused(ConnectionRefusal reason) {
  totals_->connections_refused[static_cast<size_t>(reason)].Add();
}

void WorkerMetrics::Publish() {
  auto view = std::make_shared<const WorkerView>(next_);
  sync::MutexLock lock(&mu_);
  view_ = std::move(view);
}

std::shared_ptr<const WorkerView> WorkerMetrics::view() const {
  sync::MutexLock lock(&mu_);
  return view_;
}

}  // namespace switchyard::metrics
