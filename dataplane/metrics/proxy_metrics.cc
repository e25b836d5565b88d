#include "dataplane/metrics/proxy_metrics.h"

#include <array>
#include <string_view>

#include "absl/container/btree_map.h"
#include "common/metrics/prometheus_text.h"

namespace switchyard::metrics {
namespace {

using ClassCounts = std::array<uint64_t, kStatusClasses.size()>;

void AddCounts(ClassCounts& sum, const std::array<Counter, kStatusClasses.size()>& counters) {
  for (size_t i = 0; i < sum.size(); ++i) sum[i] += counters[i].value();
}

// One sample per status class that saw requests.
void ClassSamples(PrometheusText& out, std::string_view name, Labels labels,
                  const ClassCounts& counts) {
  labels.emplace_back("class", "");
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    labels.back().second = kStatusClasses[i];
    out.Sample(name, labels, counts[i]);
  }
}

// The labels of the route "virtual_host/route" (runtime::RouteResourceName).
Labels RouteLabels(std::string_view name) {
  const size_t slash = name.find('/');
  return {{"virtual_host", name.substr(0, slash)}, {"route", name.substr(slash + 1)}};
}

}  // namespace

std::string RenderProxyMetrics(const std::vector<std::shared_ptr<const WorkerView>>& workers,
                               const ProcessStats& process) {
  absl::btree_map<std::string, ClassCounts> routes;
  absl::btree_map<std::string, HistogramData> route_durations;
  struct ClusterSums {
    ClassCounts requests{};
    HistogramData response_head;
    std::array<uint64_t, kUpstreamFailures.size()> failures{};
  };
  absl::btree_map<std::string, ClusterSums> clusters;
  absl::btree_map<std::string, uint64_t> local_replies;
  ClassCounts unrouted{};
  HistogramData duration;
  int64_t connections_active = 0;
  uint64_t connections_total = 0;
  int64_t connections_active_http2 = 0;
  uint64_t connections_total_http2 = 0;
  std::array<uint64_t, kConnectionRefusals.size()> connections_refused{};
  std::array<uint64_t, kTlsHandshakeResults.size()> tls_handshakes{};
  std::array<uint64_t, kExtAuthzResults.size()> ext_authz_checks{};
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  for (const auto& worker : workers) {
    for (const auto& [name, stats] : worker->routes) AddCounts(routes[name], stats->requests);
    for (const auto& [name, stats] : worker->route_durations) {
      route_durations[name] += stats->duration.Read();
    }
    for (const auto& [name, stats] : worker->clusters) {
      ClusterSums& sums = clusters[name];
      AddCounts(sums.requests, stats->requests);
      sums.response_head += stats->response_head.Read();
      for (size_t i = 0; i < sums.failures.size(); ++i) {
        sums.failures[i] += stats->failures[i].value();
      }
    }
    for (const auto& [reason, counter] : worker->local_replies) {
      local_replies[reason] += counter->value();
    }
    const WorkerTotals& totals = *worker->totals;
    AddCounts(unrouted, totals.unrouted);
    duration += totals.request_duration.Read();
    connections_active += totals.connections_active.value();
    connections_total += totals.connections_total.value();
    connections_active_http2 += totals.connections_active_http2.value();
    connections_total_http2 += totals.connections_total_http2.value();
    for (size_t i = 0; i < connections_refused.size(); ++i) {
      connections_refused[i] += totals.connections_refused[i].value();
    }
    for (size_t i = 0; i < tls_handshakes.size(); ++i) {
      tls_handshakes[i] += totals.tls_handshakes[i].value();
    }
    for (size_t i = 0; i < ext_authz_checks.size(); ++i) {
      ext_authz_checks[i] += totals.ext_authz_checks[i].value();
    }
    bytes_received += totals.request_body_bytes.value();
    bytes_sent += totals.response_body_bytes.value();
  }

  PrometheusText out;
  out.Family("switchyard_requests_total", "counter",
             "Requests by route and status class (route \"\": matched no route).");
  for (const auto& [name, counts] : routes) {
    ClassSamples(out, "switchyard_requests_total", RouteLabels(name), counts);
  }
  ClassSamples(out, "switchyard_requests_total", {{"virtual_host", ""}, {"route", ""}}, unrouted);
  if (!route_durations.empty()) {
    out.Family("switchyard_route_request_duration_seconds", "histogram",
               "From a request's first byte to its end, for the routes that opted in "
               "(metrics.duration_histogram).");
    for (const auto& [name, data] : route_durations) {
      out.Histogram("switchyard_route_request_duration_seconds", RouteLabels(name), data);
    }
  }

  out.Family("switchyard_upstream_requests_total", "counter",
             "Requests sent to a cluster, by the status class the client got.");
  for (const auto& [name, stats] : clusters) {
    ClassSamples(out, "switchyard_upstream_requests_total", {{"cluster", name}}, stats.requests);
  }
  out.Family("switchyard_upstream_failures_total", "counter",
             "Requests the upstream failed, by cluster and how: connect_failed (refused or "
             "the connect timeout), tls_failed (the TLS handshake), timeout (the route's), "
             "reset, protocol_error.");
  for (const auto& [name, stats] : clusters) {
    for (size_t i = 0; i < kUpstreamFailures.size(); ++i) {
      out.Sample("switchyard_upstream_failures_total",
                 {{"cluster", name}, {"reason", kUpstreamFailures[i].second}}, stats.failures[i]);
    }
  }
  out.Family("switchyard_upstream_response_head_seconds", "histogram",
             "From a request's start to its upstream's response head, by cluster.");
  for (const auto& [name, stats] : clusters) {
    if (stats.response_head.count() == 0) continue;
    out.Histogram("switchyard_upstream_response_head_seconds", {{"cluster", name}},
                  stats.response_head);
  }
  out.Family("switchyard_request_duration_seconds", "histogram",
             "From a request's first byte to its end, as the client saw it.");
  out.Histogram("switchyard_request_duration_seconds", {}, duration);
  out.Family("switchyard_local_replies_total", "counter",
             "Responses the gateway gave itself, by error code.");
  for (const auto& [reason, count] : local_replies) {
    out.Sample("switchyard_local_replies_total", {{"reason", reason}}, count);
  }
  out.Family("switchyard_downstream_connections_active", "gauge",
             "Open client connections, by protocol.");
  out.Sample("switchyard_downstream_connections_active", {{"protocol", "http1"}},
             connections_active - connections_active_http2);
  out.Sample("switchyard_downstream_connections_active", {{"protocol", "http2"}},
             connections_active_http2);
  out.Family("switchyard_downstream_connections_total", "counter",
             "Client connections: http1 counts every connection accepted (the protocol is "
             "known only from its first bytes), http2 those that turned out HTTP/2.");
  out.Sample("switchyard_downstream_connections_total", {{"protocol", "http1"}}, connections_total);
  out.Sample("switchyard_downstream_connections_total", {{"protocol", "http2"}},
             connections_total_http2);
  out.Family("switchyard_downstream_connections_refused_total", "counter",
             "Client connections closed as soon as accepted: --max_connections (global_limit) "
             "or --max_connections_per_ip (per_ip_limit), or closed before any request for "
             "a missing or malformed PROXY protocol header (proxy_protocol).");
  for (size_t i = 0; i < connections_refused.size(); ++i) {
    out.Sample("switchyard_downstream_connections_refused_total",
               {{"reason", kConnectionRefusals[i]}}, connections_refused[i]);
  }
  out.Family("switchyard_downstream_tls_handshakes_total", "counter",
             "TLS handshakes on --listen_tls, by result: failure counts a client that sent "
             "no valid ClientHello, offered nothing we accept, or took longer than "
             "--request_headers_timeout; client_certificate_refused one that sent no client "
             "certificate where one is required, or one that did not verify.");
  for (size_t i = 0; i < tls_handshakes.size(); ++i) {
    out.Sample("switchyard_downstream_tls_handshakes_total", {{"result", kTlsHandshakeResults[i]}},
               tls_handshakes[i]);
  }
  out.Family("switchyard_ext_authz_checks_total", "counter",
             "External authorization checks by result: allowed, denied, and the checks that "
             "got no usable answer (refused, timed out, an error status, a malformed answer), "
             "let through by failure_mode_allow (failed_open) or refused (failed_closed).");
  for (size_t i = 0; i < ext_authz_checks.size(); ++i) {
    out.Sample("switchyard_ext_authz_checks_total", {{"result", kExtAuthzResults[i]}},
               ext_authz_checks[i]);
  }
  out.Family("switchyard_downstream_body_bytes_total", "counter",
             "Request body bytes received from clients and response body bytes relayed to "
             "them from upstreams (framing and the gateway's own replies not counted).");
  out.Sample("switchyard_downstream_body_bytes_total", {{"direction", "received"}}, bytes_received);
  out.Sample("switchyard_downstream_body_bytes_total", {{"direction", "sent"}}, bytes_sent);

  out.Family("switchyard_config_version", "gauge", "Snapshot version served (0: none yet).");
  out.Sample("switchyard_config_version", {}, process.version);
  out.Family("switchyard_config_swaps_total", "counter", "Snapshots installed.");
  out.Sample("switchyard_config_swaps_total", {}, process.swaps);
  out.Family("switchyard_config_rejections_total", "counter",
             "Snapshots refused by this proxy (NACKed, or a bad file).");
  out.Sample("switchyard_config_rejections_total", {}, process.rejections);
  out.Family("switchyard_config_compile_seconds", "gauge",
             "Time the last installed snapshot took to validate and compile.");
  out.Sample("switchyard_config_compile_seconds", {}, process.last_compile_seconds);
  out.Family("switchyard_certificate_file_reloads_total", "counter",
             "Certificate files loaded again after a change on disk (success), or left "
             "unloaded because a file was missing, unreadable, expired or did not match its "
             "pair (failure: the certificates loaded before keep serving).");
  out.Sample("switchyard_certificate_file_reloads_total", {{"result", "success"}},
             process.certificate_reloads);
  out.Sample("switchyard_certificate_file_reloads_total", {{"result", "failure"}},
             process.certificate_reload_failures);
  out.Family("switchyard_jwks_fetches_total", "counter",
             "JWKS documents of auth policies' remote_jwks fetched (success), or not (failure: "
             "refused, timed out, not 200, or not a usable JWKS; the last keys keep serving).");
  out.Sample("switchyard_jwks_fetches_total", {{"result", "success"}}, process.jwks_fetches);
  out.Sample("switchyard_jwks_fetches_total", {{"result", "failure"}}, process.jwks_fetch_failures);
  if (process.certificates != nullptr && !process.certificates->empty()) {
    out.Family("switchyard_certificate_expiry_timestamp_seconds", "gauge",
               "When each served certificate's leaf expires (notAfter), in Unix seconds.");
    for (const auto& certificate : process.certificates->certificates()) {
      out.Sample("switchyard_certificate_expiry_timestamp_seconds",
                 {{"certificate", certificate->name}},
                 static_cast<double>(absl::ToUnixSeconds(certificate->not_after)));
    }
  }
  out.Family("switchyard_workers", "gauge", "Worker threads.");
  out.Sample("switchyard_workers", {}, static_cast<uint64_t>(workers.size()));
  out.Family("switchyard_draining", "gauge",
             "1 from SIGTERM or POST /drain until exit: not ready, closing connections.");
  out.Sample("switchyard_draining", {}, uint64_t{process.draining ? 1u : 0u});
  if (process.overload.has_value()) {
    const overload::OverloadMonitor::Stats& o = *process.overload;
    out.Family("switchyard_memory_allocated_bytes", "gauge",
               "Heap bytes in use, as the allocator counts them (what --max_memory limits).");
    out.Sample("switchyard_memory_allocated_bytes", {}, o.allocated_bytes);
    out.Family("switchyard_memory_limit_bytes", "gauge", "--max_memory.");
    out.Sample("switchyard_memory_limit_bytes", {}, o.limit_bytes);
    out.Family("switchyard_overload_level", "gauge",
               "0 normal; 1 not accepting, keep-alive off; 2 also shedding new requests.");
    out.Sample("switchyard_overload_level", {}, static_cast<uint64_t>(o.level));
    out.Family("switchyard_overload_entered_total", "counter",
               "Times memory crossed a watermark upwards, by the level entered (shed requests "
               "are switchyard_local_replies_total{reason=\"overloaded\"}).");
    out.Sample("switchyard_overload_entered_total", {{"level", "pause_accept"}},
               o.pause_accept_entered);
    out.Sample("switchyard_overload_entered_total", {{"level", "shed"}}, o.shed_entered);
  }
  if (process.access_log.has_value()) {
    out.Family("switchyard_access_log_records_total", "counter",
               "Access-log records written, and dropped (a full buffer or a failed write).");
    out.Sample("switchyard_access_log_records_total", {{"outcome", "written"}},
               process.access_log->written);
    out.Sample("switchyard_access_log_records_total", {{"outcome", "dropped"}},
               process.access_log->dropped);
    out.Family("switchyard_access_log_write_errors_total", "counter",
               "Failed writes to the access log.");
    out.Sample("switchyard_access_log_write_errors_total", {}, process.access_log->write_errors);
  }
  return out.Take();
}

}  // namespace switchyard::metrics
