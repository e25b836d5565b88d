// The gateway's own phases, in order: request id, overload, trace context, refuse CONNECT,
// path normalization, refuse misdirected, route, cors (cors_phase.h), auth (auth_phase.h),
// header changes, choose cluster; and metrics and the access log, which only have a
// request-end hook.
#include <algorithm>
#include <chrono>
#include <random>
#include <utility>

#include "dataplane/http/proxy_headers.h"
#include "dataplane/http/trace_context.h"
#include "dataplane/proxy/auth_phase.h"
#include "dataplane/proxy/cors_phase.h"
#include "dataplane/proxy/phase.h"
#include "dataplane/proxy/phase_chain.h"
#include "dataplane/tls/certificate_set.h"
#include "dataplane/tls/client_identity.h"

namespace switchyard::proxy {

namespace {

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

class AssignRequestId final : public Phase {
 public:
  std::string_view name() const override { return "request_id"; }
  PhaseStatus OnRequestHeaders(RequestContext& ctx) const override {
    // A client-supplied id is kept so a trace can cross the gateway; bounded by the
    // header limits like any other field.
    if (const std::string* id = ctx.headers.Get("x-request-id"); id != nullptr && !id->empty()) {
      ctx.request_id = *id;
    } else {
      ctx.services->request_ids.Next(ctx.request_id);
      ctx.headers.Set("x-request-id", ctx.request_id);
    }
    return PhaseStatus::kContinue;
  }
};

// Routes and forwards the normal form of the path (http/path_normalizer.h), so a prefix
// route is a real boundary: `/public/../admin` is routed, and forwarded, as `/admin`.
// Over the second memory watermark (overload/overload.h), a request that starts is
// answered 503 at once: it would need buffers the proxy does not have to spare.
class ShedWhenOverloaded final : public Phase {
 public:
  std::string_view name() const override { return "overload"; }
  PhaseStatus OnRequestHeaders(RequestContext& ctx) const override {
    const overload::OverloadMonitor* monitor = ctx.services->overload;
    if (monitor == nullptr || monitor->level() != overload::OverloadLevel::kShed) {
      return PhaseStatus::kContinue;
    }
    ctx.local_reply = {503, "overloaded", "the gateway is short of memory; retry shortly"};
    return PhaseStatus::kStop;
  }
};

// Passes on the client's W3C trace context or starts one (http/trace_context.h).
class PropagateTraceContext final : public Phase {
 public:
  std::string_view name() const override { return "trace_context"; }
  PhaseStatus OnRequestHeaders(RequestContext& ctx) const override {
    http::ContinueOrStartTrace(ctx.headers, ctx.services->random, ctx.trace_id);
    return PhaseStatus::kContinue;
  }
};

// An HTTP/2 CONNECT for a TCP tunnel (which has no path to normalize or route), or an
// extended CONNECT for a protocol other than WebSocket: the gateway is no forward proxy.
class RefuseConnect final : public Phase {
 public:
  std::string_view name() const override { return "refuse_connect"; }
  PhaseStatus OnRequestHeaders(RequestContext& ctx) const override {
    if (!ctx.tunnel_only || ctx.websocket_upgrade) return PhaseStatus::kContinue;
    ctx.local_reply = {501, "connect_not_supported",
                       "the gateway tunnels only WebSocket over CONNECT (RFC 8441)"};
    return PhaseStatus::kStop;
  }
};

class NormalizePath final : public Phase {
 public:
  explicit NormalizePath(http::PathNormalizationOptions options) : options_(options) {}
  std::string_view name() const override { return "normalize_path"; }
  PhaseStatus OnRequestHeaders(RequestContext& ctx) const override {
    // Per worker thread, so a warm one allocates nothing.
    thread_local std::string normalized;
    const size_t path_length = std::min(ctx.target.find('?'), ctx.target.size());
    const std::string_view path(ctx.target.data(), path_length);
    const http::PathResult result = http::NormalizePath(path, options_, normalized);
    if (result == http::PathResult::kUnchanged) return PhaseStatus::kContinue;
    if (!http::PathAccepted(result)) {
      ctx.local_reply = {400, "invalid_path", ""};
      ctx.local_reply.message.append("the request path is not acceptable: ");
      ctx.local_reply.message.append(http::PathResultName(result));
      return PhaseStatus::kStop;
    }
    // The normal form is never longer than the input: this replaces in place.
    ctx.target.replace(0, path_length, normalized);
    return PhaseStatus::kContinue;
  }

 private:
  http::PathNormalizationOptions options_;
};

// RFC 9110 15.5.20: a request on a TLS connection whose certificate does not cover its
// host, while another certificate does, was sent on the wrong connection (a client that
// reused a connection across hosts, or SNI and Host that disagree). 421 tells the client
// to retry on a connection of its own; serving it could route a request past the
// certificate checks the client relied on. A host no certificate covers is served: the
// default certificate's clients chose to accept it.
class RefuseMisdirected final : public Phase {
 public:
  std::string_view name() const override { return "refuse_misdirected"; }
  PhaseStatus OnRequestHeaders(RequestContext& ctx) const override {
    if (ctx.tls_certificate == nullptr || ctx.config == nullptr) return PhaseStatus::kContinue;
    const std::string* host_header = ctx.headers.Get("host");
    if (host_header == nullptr) return PhaseStatus::kContinue;
    const std::string_view host = HostWithoutPort(*host_header);
    if (ctx.tls_certificate->Covers(host)) return PhaseStatus::kContinue;
    const tls::CertificateSet* current = ctx.config->certificates().get();
    if (current == nullptr || !current->AnyCovers(host)) return PhaseStatus::kContinue;
    ctx.local_reply = {421, "misdirected_request",
                       "this connection's certificate does not cover the requested host"};
    return PhaseStatus::kStop;
  }

 private:
  // "example.com:443" -> "example.com"; "[::1]:443" -> "[::1]".
  static std::string_view HostWithoutPort(std::string_view authority) {
    const size_t bracket = authority.rfind(']');
    const size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
      authority = authority.substr(0, colon);
    }
    return authority;
  }
};

class MatchRoute final : public Phase {
 public:
  std::string_view name() const override { return "route"; }
  PhaseStatus OnRequestHeaders(RequestContext& ctx) const override {
    if (ctx.config == nullptr) {
      // Started before the first snapshot arrived (the admin port says not ready).
      ctx.local_reply = {503, "no_config", "the gateway has no configuration yet"};
      return PhaseStatus::kStop;
    }
    const std::string* host = ctx.headers.Get("host");
    router::RequestView view;
    view.method = ctx.method;
    view.host = host != nullptr ? std::string_view(*host) : std::string_view();
    view.path = PathOf(ctx.target);
    view.headers = &ctx.headers;
    ctx.route = ctx.config->routes().Match(view);
    if (ctx.route == nullptr) {
      ctx.local_reply = {404, "route_not_found", "no route matches this host and path"};
      return PhaseStatus::kStop;
    }
    if (ctx.tunnel_only && !ctx.route->websocket) {
      // An HTTP/1.1 upgrade elsewhere is served as the GET it also is; an extended CONNECT
      // has no such reading (its 2xx would say the tunnel is open). As Envoy answers.
      ctx.local_reply = {403, "websocket_not_enabled", "this route does not accept WebSocket"};
      return PhaseStatus::kStop;
    }
    return PhaseStatus::kContinue;
  }
};

class TransformHeaders final : public Phase {
 public:
  explicit TransformHeaders(std::string via) : via_(std::move(via)) {}
  std::string_view name() const override { return "header_changes"; }
  PhaseStatus OnRequestHeaders(RequestContext& ctx) const override {
    // X-Forwarded-Host is added before any rewrite of Host.
    http::PrepareUpstreamRequestHeaders(
        ctx.headers, {.client_ip = ctx.client_ip, .scheme = ctx.scheme, .via = via_});
    // Always: a client must not be able to claim a certificate it did not present.
    const bool forward =
        ctx.tls_certificate != nullptr && ctx.tls_certificate->forward_client_identity;
    tls::SetClientCertificateHeaders(forward ? ctx.client_identity : nullptr, ctx.headers);
    if (ctx.websocket_upgrade && ctx.route->websocket) {
      // The hop-by-hop removal above dropped them; this hop asks the upstream again.
      ctx.headers.Set("connection", "upgrade");
      ctx.headers.Set("upgrade", "websocket");
    }
    if (!ctx.route->host_rewrite.empty()) ctx.headers.Set("host", ctx.route->host_rewrite);
    router::RewritePath(*ctx.route, ctx.target, ctx.upstream_target);
    return PhaseStatus::kContinue;
  }

 private:
  std::string via_;
};

class ChooseCluster final : public Phase {
 public:
  std::string_view name() const override { return "choose_cluster"; }
  PhaseStatus ChooseUpstream(RequestContext& ctx) const override {
    const auto& choices = ctx.route->clusters;
    uint32_t index = choices.front().cluster_index;
    if (choices.size() > 1) {
      // Weighted split: a uniform draw over the total weight.
      uint64_t draw = ctx.services->random() % ctx.route->total_weight;
      for (const router::WeightedClusterRef& choice : choices) {
        if (draw < choice.weight) {
          index = choice.cluster_index;
          break;
        }
        draw -= choice.weight;
      }
    }
    ctx.cluster = &ctx.config->clusters()[index];
    return PhaseStatus::kContinue;
  }
};

// Counts every request in the worker's metrics (metrics/worker_metrics.h) once it ended.
class RecordMetrics final : public Phase {
 public:
  std::string_view name() const override { return "metrics"; }
  void OnRequestEnd(const RequestContext& ctx) const override {
    const RequestRecord& record = ctx.record;
    const time::MonotonicTime never{};
    metrics::RequestSample sample{.config = ctx.config.get(),
                                  .route = ctx.route,
                                  .cluster = ctx.cluster,
                                  .status = record.status,
                                  .local_reply = record.local_reply_error,
                                  .request_body_bytes = record.request_body_bytes,
                                  .response_body_bytes = record.response_body_bytes};
    if (record.finish != never) sample.duration = record.finish - record.start;
    if (record.response_head != never) {
      sample.upstream_response_head = record.response_head - record.start;
    }
    ctx.services->metrics.Record(sample);
  }
};

// One access-log record per request (access_log/access_log_writer.h), sampled by the
// route's access_log.sample_rate; nothing when --access_log is off.
class WriteAccessLog final : public Phase {
 public:
  std::string_view name() const override { return "access_log"; }
  void OnRequestEnd(const RequestContext& ctx) const override {
    access_log::AccessLogWriter::Producer* log = ctx.services->access_log;
    if (log == nullptr) return;
    if (ctx.route != nullptr && ctx.route->access_log_sample_rate < 1.0) {
      std::uniform_real_distribution<double> draw(0.0, 1.0);
      if (!(draw(ctx.services->random) < ctx.route->access_log_sample_rate)) return;
    }
    const RequestRecord& record = ctx.record;
    const time::MonotonicTime never{};
    const auto micros = [&](time::MonotonicTime at) -> int64_t {
      if (at == never) return -1;
      return std::chrono::duration_cast<std::chrono::microseconds>(at - record.start).count();
    };
    const auto name_of = [](const auto* resource) {
      return resource != nullptr ? std::string_view(resource->name) : std::string_view();
    };
    log->Submit(access_log::AccessLogRecord{
        .start = record.start,
        .request_id = ctx.request_id,
        .trace_id = ctx.trace_id,
        .protocol = ctx.protocol,
        .method = ctx.method,
        .authority = ctx.authority,
        .path = ctx.logged_target.empty() ? ctx.target : ctx.logged_target,
        .status = record.status,
        .reason = record.local_reply_error,
        .route = name_of(ctx.route),
        .cluster = name_of(ctx.cluster),
        .endpoint = ctx.endpoint != nullptr ? std::string_view(ctx.endpoint->authority)
                                            : std::string_view(),
        .bytes_received = record.request_body_bytes,
        .bytes_sent = record.response_body_bytes,
        .duration_us = micros(record.finish),
        .upstream_connect_us = micros(record.upstream_connected),
        .upstream_response_head_us = micros(record.response_head),
        .client_address = ctx.client_ip});
  }
};

}  // namespace

std::vector<std::unique_ptr<const Phase>> PhaseChain::StandardPhases(
    const StandardPhaseOptions& options) {
  std::vector<std::unique_ptr<const Phase>> phases;
  phases.push_back(std::make_unique<AssignRequestId>());
  phases.push_back(std::make_unique<ShedWhenOverloaded>());
  phases.push_back(std::make_unique<PropagateTraceContext>());
  phases.push_back(std::make_unique<RefuseConnect>());
  phases.push_back(std::make_unique<NormalizePath>(options.paths));
  phases.push_back(std::make_unique<RefuseMisdirected>());
  phases.push_back(std::make_unique<MatchRoute>());
  // Before auth: a preflight carries no credential and must not get 401.
  phases.push_back(MakeCorsPhase());
  phases.push_back(MakeAuthPhase(options.xff_trusted_hops));
  phases.push_back(std::make_unique<TransformHeaders>(options.via));
  phases.push_back(std::make_unique<ChooseCluster>());
  if (options.metrics) phases.push_back(std::make_unique<RecordMetrics>());
  phases.push_back(std::make_unique<WriteAccessLog>());
  return phases;
}

}  // namespace switchyard::proxy
