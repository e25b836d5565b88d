// The proxy's /metrics page: every worker's view summed by label set, plus the config
// and process state, in Prometheus' text format. Runs on the admin thread; reads the workers'
// counters without stopping them. docs/metrics.md lists the series.
#ifndef SWITCHYARD_DATAPLANE_METRICS_PROXY_METRICS_H_
#define SWITCHYARD_DATAPLANE_METRICS_PROXY_METRICS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/access_log/access_log_writer.h"
#include "dataplane/metrics/worker_metrics.h"
#include "dataplane/overload/overload.h"
#include "dataplane/tls/certificate_set.h"

namespace switchyard::metrics {

struct ProcessStats {
  uint64_t version = 0;  // 0 before the first snapshot
  uint64_t swaps = 0;
  uint64_t rejections = 0;
  double last_compile_seconds = 0;
  // Certificate files loaded again after a change on disk, and changes that could not be.
  uint64_t certificate_reloads = 0;
  uint64_t certificate_reload_failures = 0;
  // JWKS documents fetched from URLs (docs/auth.md, "Keys from a URL"), and fetches that
  // failed (the last keys kept serving).
  uint64_t jwks_fetches = 0;
  uint64_t jwks_fetch_failures = 0;
  // The served certificates, for their expiry; null before the first snapshot.
  std::shared_ptr<const tls::CertificateSet> certificates;
  bool draining = false;  // SIGTERM or POST /drain received
  // Set when --max_memory is.
  std::optional<overload::OverloadMonitor::Stats> overload;
  // Set when --access_log is on.
  std::optional<access_log::AccessLogWriter::Stats> access_log;
};

std::string RenderProxyMetrics(const std::vector<std::shared_ptr<const WorkerView>>& workers,
                               const ProcessStats& process);

}  // namespace switchyard::metrics

#endif  // SWITCHYARD_DATAPLANE_METRICS_PROXY_METRICS_H_
