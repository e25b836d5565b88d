#include "dataplane/proxy/request_pipeline.h"

#include <utility>

#include "dataplane/http/proxy_headers.h"

namespace switchyard::proxy {
namespace {

std::string_view PathOf(std::string_view target) { return target.substr(0, target.find('?')); }

class AssignRequestId final : public RequestPhase {
 public:
  std::string_view name() const override { return "request_id"; }
  PhaseResult OnRequestHeaders(RequestContext& ctx, WorkerServices& services) const override {
    // A client-supplied id is kept so a trace can cross the gateway; bounded by the
    // header limits like any other field.
    if (const std::string* id = ctx.headers.Get("x-request-id"); id != nullptr && !id->empty()) {
      ctx.request_id = *id;
    } else {
      services.request_ids.Next(ctx.request_id);
      ctx.headers.Set("x-request-id", ctx.request_id);
    }
    return PhaseResult::kContinue;
  }
};

class MatchRoute final : public RequestPhase {
 public:
  std::string_view name() const override { return "route"; }
  PhaseResult OnRequestHeaders(RequestContext& ctx, WorkerServices&) const override {
    if (ctx.config == nullptr) {
      // Started before the first snapshot arrived (the admin port says not ready).
      ctx.local_reply = {503, "no_config", "the gateway has no configuration yet"};
      return PhaseResult::kStop;
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
      return PhaseResult::kStop;
    }
    return PhaseResult::kContinue;
  }
};

class TransformHeaders final : public RequestPhase {
 public:
  explicit TransformHeaders(std::string via) : via_(std::move(via)) {}
  std::string_view name() const override { return "header_changes"; }
  PhaseResult OnRequestHeaders(RequestContext& ctx, WorkerServices&) const override {
    // X-Forwarded-Host is added before any rewrite of Host.
    http::PrepareUpstreamRequestHeaders(
        ctx.headers, {.client_ip = ctx.client_ip, .scheme = ctx.scheme, .via = via_});
    if (!ctx.route->host_rewrite.empty()) ctx.headers.Set("host", ctx.route->host_rewrite);
    ctx.upstream_target = router::RewritePath(*ctx.route, ctx.target);
    return PhaseResult::kContinue;
  }

 private:
  std::string via_;
};

class ChooseCluster final : public RequestPhase {
 public:
  std::string_view name() const override { return "choose_cluster"; }
  PhaseResult OnRequestHeaders(RequestContext& ctx, WorkerServices& services) const override {
    const auto& choices = ctx.route->clusters;
    uint32_t index = choices.front().cluster_index;
    if (choices.size() > 1) {
      // Weighted split: a uniform draw over the total weight.
      uint64_t draw = services.random() % ctx.route->total_weight;
      for (const router::WeightedClusterRef& choice : choices) {
        if (draw < choice.weight) {
          index = choice.cluster_index;
          break;
        }
        draw -= choice.weight;
      }
    }
    ctx.cluster = &ctx.config->clusters()[index];
    return PhaseResult::kContinue;
  }
};

class ChooseEndpoint final : public RequestPhase {
 public:
  std::string_view name() const override { return "choose_endpoint"; }
  PhaseResult OnRequestHeaders(RequestContext& ctx, WorkerServices& services) const override {
    const size_t cluster_index = static_cast<size_t>(ctx.cluster - ctx.config->clusters().data());
    const size_t pick = services.balancers.ForCluster(*ctx.config, cluster_index).Pick();
    ctx.endpoint = &ctx.cluster->endpoints[pick];
    // Requests go upstream as HTTP/1.1, which requires Host; an HTTP/1.0 client may have
    // sent none.
    if (!ctx.headers.Has("host")) ctx.headers.Add("host", ctx.endpoint->pool_key);
    return PhaseResult::kContinue;
  }
};

}  // namespace

upstream::SmoothWeightedRoundRobin& WorkerBalancers::ForCluster(
    const runtime::RuntimeConfig& config, size_t cluster_index) {
  if (built_for_ != &config) {
    balancers_.clear();
    for (const runtime::Cluster& cluster : config.clusters()) {
      std::vector<int64_t> weights;
      weights.reserve(cluster.endpoints.size());
      for (const runtime::Endpoint& endpoint : cluster.endpoints) {
        weights.push_back(endpoint.weight);
      }
      balancers_.emplace_back(std::move(weights));
    }
    built_for_ = &config;
  }
  return balancers_[cluster_index];
}

std::unique_ptr<const RequestPipeline> RequestPipeline::Standard(const PipelineOptions& options) {
  std::vector<std::unique_ptr<const RequestPhase>> phases;
  phases.push_back(std::make_unique<AssignRequestId>());
  phases.push_back(std::make_unique<MatchRoute>());
  phases.push_back(std::make_unique<TransformHeaders>(options.via));
  phases.push_back(std::make_unique<ChooseCluster>());
  phases.push_back(std::make_unique<ChooseEndpoint>());
  return std::make_unique<const RequestPipeline>(std::move(phases));
}

PhaseResult RequestPipeline::Run(RequestContext& ctx, WorkerServices& services) const {
  for (const auto& phase : phases_) {
    if (phase->OnRequestHeaders(ctx, services) == PhaseResult::kStop) return PhaseResult::kStop;
  }
  return PhaseResult::kContinue;
}

}  // namespace switchyard::proxy
