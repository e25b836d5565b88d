// One worker's request and connection statistics, and the view a scrape reads of them
// from another thread (docs/metrics.md).
//
// Per-route and per-cluster stats live in the worker's ResourceStore, by resource name,
// so a route or cluster that a swap keeps keeps its counts, and one it removes is dropped
// (with the store's Retain) and stops being exported. On the request path they are found
// through arrays indexed by Route::index and cluster position, rebuilt at each swap:
// no lookup by name, no lock, no allocation.
//
// Threads: everything but view() runs on the worker's thread. view() may be called from
// any thread; the stats objects it points to stay valid as long as the view is held, and
// their counters are single-writer atomics (counter.h).
#ifndef SWITCHYARD_DATAPLANE_METRICS_WORKER_METRICS_H_
#define SWITCHYARD_DATAPLANE_METRICS_WORKER_METRICS_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/metrics/counter.h"
#include "common/metrics/histogram.h"
#include "common/sync/mutex.h"
#include "dataplane/router/route.h"
#include "dataplane/runtime/resource_store.h"
#include "dataplane/runtime/runtime_config.h"

namespace switchyard::metrics {

// Status classes as label values; index 0 counts requests that sent no status (the
// client went away first).
inline constexpr std::array<std::string_view, 6> kStatusClasses = {"none", "1xx", "2xx",
                                                                   "3xx",  "4xx", "5xx"};
size_t StatusClass(int status);

struct RouteStats {
  std::array<Counter, kStatusClasses.size()> requests;
};

// Only for routes that opt in (Route::duration_histogram): a histogram per route is 17
// series, too many to give every route of a large table.
struct RouteDurationStats {
  Histogram duration;  // from the first byte of the request to its end
};

// Requests that ended with the upstream failing them: the local-reply codes (stream.cc)
// and the label values /metrics gives them.
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kUpstreamFailures = {{
    {"upstream_connect_failed", "connect_failed"},  // refused, or the connect timeout
    {"upstream_tls_failed", "tls_failed"},          // the TLS handshake (cluster tls:)
    {"upstream_timeout", "timeout"},                // the route's timeout
    {"upstream_reset", "reset"},                    // closed before a response head
    {"upstream_protocol_error", "protocol_error"},  // an invalid response
}};

struct ClusterStats {
  std::array<Counter, kStatusClasses.size()> requests;
  std::array<Counter, kUpstreamFailures.size()> failures;
  // From the request's start to the upstream's response head.
  Histogram response_head;
};

// Why a client connection was closed as soon as it was accepted.
enum class ConnectionRefusal : uint8_t { kGlobalLimit = 0, kPerIpLimit = 1, kProxyProtocol = 2 };
inline constexpr std::array<std::string_view, 3> kConnectionRefusals = {
    "global_limit", "per_ip_limit", "proxy_protocol"};

// How a TLS handshake on --listen_tls ended (docs/metrics.md).
enum class TlsHandshakeResult : uint8_t {
  kFailure = 0,
  kSuccess = 1,
  kClientCertificateRefused = 2,  // mTLS: none sent where required, or it did not verify
};
inline constexpr std::array<std::string_view, 3> kTlsHandshakeResults = {
    "failure", "success", "client_certificate_refused"};

// How an external authorization check ended (docs/auth.md, "External authorization").
enum class ExtAuthzResult : uint8_t {
  kAllowed = 0,
  kDenied = 1,
  kFailedOpen = 2,    // no usable answer; the policy's failure_mode_allow let it through
  kFailedClosed = 3,  // no usable answer; refused
};
inline constexpr std::array<std::string_view, 4> kExtAuthzResults = {
    "allowed", "denied", "failed_open", "failed_closed"};

// Not per label: one of each per worker.
struct WorkerTotals {
  Histogram request_duration;  // from the first byte of the request to its end
  Gauge connections_active;    // every protocol
  Counter connections_total;   // every connection accepted
  Gauge connections_active_http2;
  Counter connections_total_http2;
  std::array<Counter, kConnectionRefusals.size()> connections_refused;
  // TLS handshakes on --listen_tls, by TlsHandshakeResult.
  std::array<Counter, kTlsHandshakeResults.size()> tls_handshakes;
  // External authorization checks, by ExtAuthzResult.
  std::array<Counter, kExtAuthzResults.size()> ext_authz_checks;
  Counter request_body_bytes;
  Counter response_body_bytes;
  // Requests that matched no route (their status classes).
  std::array<Counter, kStatusClasses.size()> unrouted;
};

// What a scrape reads of one worker. Immutable once published.
struct WorkerView {
  std::vector<std::pair<std::string, std::shared_ptr<const RouteStats>>> routes;
  // The routes that opted in, by the same names.
  std::vector<std::pair<std::string, std::shared_ptr<const RouteDurationStats>>> route_durations;
  std::vector<std::pair<std::string, std::shared_ptr<const ClusterStats>>> clusters;
  std::vector<std::pair<std::string, std::shared_ptr<const Counter>>> local_replies;
  std::shared_ptr<const WorkerTotals> totals;
};

// One finished request, as the request-end hook sees it.
struct RequestSample {
  // The config the request ran on, the route it matched and the cluster it chose (each
  // may be null).
  const runtime::RuntimeConfig* config = nullptr;
  const router::Route* route = nullptr;
  const runtime::Cluster* cluster = nullptr;
  int status = 0;
  // The gateway's error code when it answered itself; empty otherwise.
  std::string_view local_reply;
  std::chrono::nanoseconds duration{0};
  // Unset when no response head came from upstream.
  std::optional<std::chrono::nanoseconds> upstream_response_head;
  uint64_t request_body_bytes = 0;
  uint64_t response_body_bytes = 0;
};

class WorkerMetrics {
 public:
  WorkerMetrics();

  // After a swap (and the store's Retain): rebinds the arrays to `config` and publishes a
  // new view.
  void Bind(const runtime::RuntimeConfig& config, runtime::ResourceStore& store);
  void Record(const RequestSample& sample);
  // A request the codec refused before it became one (a malformed or oversized head, a
  // head too slow): counted as unrouted and by its local-reply reason, not timed.
  void RecordRefusedHead(int status, std::string_view reason);
  void ConnectionOpened();
  void ConnectionClosed();
  // An open connection turned out to speak HTTP/2, and later stopped (it closes).
  void ConnectionIsHttp2();
  void ConnectionLeftHttp2();
  void ConnectionRefused(ConnectionRefusal reason);
  // A TLS handshake on --listen_tls ended, completed or not.
  void TlsHandshake(TlsHandshakeResult result);
  void ExtAuthzCheck(ExtAuthzResult result);

  // Any thread.
  std::shared_ptr<const WorkerView> view() const;

 private:
  // The route's entry of type `Stats`: from `by_index` when the request ran on the bound
  // config, else by name from the store (null when the new config removed the route).
  template <typename Stats>
  Stats* RouteEntryOf(const RequestSample& sample, const std::vector<Stats*>& by_index);
  ClusterStats* ClusterOf(const RequestSample& sample);
  Counter& LocalReply(std::string_view reason);
  void Publish();

  std::shared_ptr<WorkerTotals> totals_;
  runtime::ResourceStore* store_ = nullptr;
  uint64_t bound_generation_ = 0;
  std::vector<RouteStats*> routes_;  // by Route::index of the bound config
  // By Route::index; null for the routes that did not opt in.
  std::vector<RouteDurationStats*> route_durations_;
  std::vector<ClusterStats*> clusters_;  // by position in the bound config's clusters()
  absl::flat_hash_map<std::string, std::shared_ptr<Counter>> local_replies_;
  WorkerView next_;  // the series of the bound config, published by Publish

  mutable sync::Mutex mu_;
  std::shared_ptr<const WorkerView> view_ ABSL_GUARDED_BY(mu_);
};

}  // namespace switchyard::metrics

#endif  // SWITCHYARD_DATAPLANE_METRICS_WORKER_METRICS_H_
