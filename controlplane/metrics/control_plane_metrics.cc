#include "controlplane/metrics/control_plane_metrics.h"

#include <chrono>

#include "absl/container/btree_map.h"
#include "common/metrics/prometheus_text.h"

namespace switchyard::controlplane {

void LatencyHistogram::Record(absl::Duration duration) {
  sync::MutexLock lock(&mu_);
  histogram_.Record(absl::ToChronoNanoseconds(duration));
}

metrics::HistogramData LatencyHistogram::Read() const {
  sync::MutexLock lock(&mu_);
  return histogram_.Read();
}

void ControlPlaneMetrics::ObserveStore(std::string_view operation, absl::Duration duration) {
  for (size_t i = 0; i < kStoreOperations.size(); ++i) {
    if (kStoreOperations[i] == operation) store_[i].Record(duration);
  }
}

std::string ControlPlaneMetrics::Render(
    uint64_t version, const DiscoveryCounters& discovery,
    const std::vector<switchyard::v1::ProxyStatus>& proxies) const {
  metrics::PrometheusText out;
  out.Family("switchyard_control_version", "gauge", "Snapshot version being served.");
  out.Sample("switchyard_control_version", {}, version);

  // Connected proxies by the version they run: few distinct versions at any time.
  absl::btree_map<uint64_t, uint64_t> by_version;
  uint64_t disconnected = 0;
  for (const switchyard::v1::ProxyStatus& proxy : proxies) {
    if (proxy.connected()) {
      ++by_version[proxy.running_version()];
    } else {
      ++disconnected;
    }
  }
  out.Family("switchyard_control_proxies", "gauge",
             "Connected proxies by the snapshot version they run (0: none yet).");
  for (const auto& [running, count] : by_version) {
    const std::string label = std::to_string(running);
    out.Sample("switchyard_control_proxies", {{"version", label}}, count);
  }
  out.Family("switchyard_control_proxies_disconnected", "gauge",
             "Proxies seen recently that have no stream open now.");
  out.Sample("switchyard_control_proxies_disconnected", {}, disconnected);

  out.Family("switchyard_control_streams_active", "gauge", "Discovery streams open.");
  out.Sample("switchyard_control_streams_active", {},
             static_cast<int64_t>(discovery.active_streams.load()));
  out.Family("switchyard_control_streams_opened_total", "counter", "Discovery streams opened.");
  out.Sample("switchyard_control_streams_opened_total", {}, discovery.streams_opened.load());
  out.Family("switchyard_control_pushes_total", "counter",
             "Snapshots sent to proxies, whole or as a delta.");
  out.Sample("switchyard_control_pushes_total", {{"kind", "full"}},
             discovery.full_responses.load());
  out.Sample("switchyard_control_pushes_total", {{"kind", "delta"}},
             discovery.delta_responses.load());
  out.Family("switchyard_control_acks_total", "counter", "Snapshots proxies accepted.");
  out.Sample("switchyard_control_acks_total", {}, discovery.acks.load());
  out.Family("switchyard_control_nacks_total", "counter", "Snapshots proxies refused.");
  out.Sample("switchyard_control_nacks_total", {}, discovery.nacks.load());

  out.Family("switchyard_control_apply_seconds", "histogram",
             "Time an Apply or Rollback took, refused ones included.");
  out.Histogram("switchyard_control_apply_seconds", {}, apply_.Read());
  out.Family("switchyard_control_store_seconds", "histogram",
             "Time a call to the version store took, by operation.");
  for (size_t i = 0; i < kStoreOperations.size(); ++i) {
    out.Histogram("switchyard_control_store_seconds", {{"operation", kStoreOperations[i]}},
                  store_[i].Read());
  }
  return out.Take();
}

}  // namespace switchyard::controlplane
