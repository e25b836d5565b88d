// The control plane's /metrics page (docs/metrics.md): discovery streams, pushes, ACKs and
// NACKs, connected proxies by the version they run, apply and store latency.
//
// Thread-safe: gRPC's threads record, the admin port's thread renders.
#ifndef SWITCHYARD_CONTROLPLANE_METRICS_CONTROL_PLANE_METRICS_H_
#define SWITCHYARD_CONTROLPLANE_METRICS_CONTROL_PLANE_METRICS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "common/metrics/histogram.h"
#include "common/sync/mutex.h"
#include "controlplane/discovery/discovery_counters.h"
#include "switchyard/v1/admin.pb.h"

namespace switchyard::controlplane {

// A latency histogram any thread may record into (the proxy's are per worker instead).
class LatencyHistogram {
 public:
  void Record(absl::Duration duration);
  metrics::HistogramData Read() const;

 private:
  mutable sync::Mutex mu_;
  metrics::Histogram histogram_ ABSL_GUARDED_BY(mu_);
};

class ControlPlaneMetrics {
 public:
  // The operations TimedVersionStore reports.
  static constexpr std::array<std::string_view, 6> kStoreOperations = {
      "append", "get", "current_version", "history", "record_rejections", "rejections"};

  void ObserveApply(absl::Duration duration) { apply_.Record(duration); }
  // An operation outside kStoreOperations is ignored.
  void ObserveStore(std::string_view operation, absl::Duration duration);

  // The page. `version`: the version being served; `proxies`: the registry's list.
  std::string Render(uint64_t version, const DiscoveryCounters& discovery,
                     const std::vector<switchyard::v1::ProxyStatus>& proxies) const;

 private:
  LatencyHistogram apply_;
  std::array<LatencyHistogram, kStoreOperations.size()> store_;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_METRICS_CONTROL_PLANE_METRICS_H_
