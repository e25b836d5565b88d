#include "dataplane/testing/request_driver.h"

#include <utility>

#include "switchyard/config/loader.h"

namespace switchyard::testing {
namespace {

constexpr char kSnapshot[] = R"(
virtual_hosts:
  - name: api
    domains: ["api.example.com"]
    routes:
      - name: users
        match: {prefix: /api/v1/users/}
        route:
          prefix_rewrite: /internal/users/
          weighted_clusters:
            clusters: [{name: blue, weight: 3}, {name: green, weight: 1}]
clusters:
  - name: blue
    endpoints: [{address: 10.0.0.1, port: 80}, {address: 10.0.0.2, port: 80, weight: 2}]
  - name: green
    endpoints: [{address: 10.0.0.3, port: 80}]
)";

bool Failed(std::string* failure, const char* where) {
  if (failure != nullptr) *failure = where;
  return false;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const runtime::RuntimeConfig>> RequestDriver::SampleConfig() {
  absl::StatusOr<v1::Snapshot> snapshot = config::ParseSnapshot(kSnapshot, "request_driver.yaml");
  if (!snapshot.ok()) return snapshot.status();
  return runtime::RuntimeConfig::Compile(*snapshot);
}

RequestDriver::RequestDriver(std::shared_ptr<const runtime::RuntimeConfig> config,
                             proxy::WorkerServices& services)
    : config_(std::move(config)), services_(services) {
  services_.endpoints.OnConfig(*config_);
}

bool RequestDriver::ServeOne(const proxy::PhaseChain& chain, std::string* failure) {
  using proxy::Phase;
  using proxy::PhaseStatus;
  proxy::RequestContext& ctx = ctx_;
  ctx.Reset();
  ctx.services = &services_;
  ctx.client_ip = "192.0.2.10";
  ctx.method.assign("GET");
  ctx.target.assign(target_);
  ctx.authority.assign("api.example.com");
  ctx.headers.Add("host", "api.example.com");
  ctx.headers.Add("user-agent", "curl/7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1");
  ctx.headers.Add("x-forwarded-for", "198.51.100.7");
  if (!extra_name_.empty()) ctx.headers.Add(extra_name_, extra_value_);
  ctx.config = config_;
  ctx.record.start = services_.timing_clock.Now();
  size_t at = 0;
  if (chain.Run(0, at, [&](const Phase& p) { return p.OnRequestHeaders(ctx); }) !=
      PhaseStatus::kContinue) {
    return Failed(failure, "a request-headers phase stopped the request");
  }
  if (chain.Run(0, at, [&](const Phase& p) { return p.ChooseUpstream(ctx); }) !=
          PhaseStatus::kContinue ||
      ctx.cluster == nullptr) {
    return Failed(failure, "no cluster was chosen");
  }
  const size_t cluster_index = static_cast<size_t>(ctx.cluster - config_->clusters().data());
  const upstream::EndpointStore::Pick pick = services_.endpoints.Begin(*config_, cluster_index);
  ctx.endpoint = &ctx.cluster->endpoints[pick.index];
  ctx.record.upstream_connected = services_.timing_clock.Now();
  response_headers_.clear();
  response_headers_.Add("content-type", "application/json");
  response_headers_.Add("content-length", "512");
  int status = 200;
  proxy::ResponseHead head{status, response_headers_};
  const PhaseStatus response =
      chain.Run(0, at, [&](const Phase& p) { return p.OnResponseHeaders(ctx, head); });
  services_.endpoints.End(pick.state, upstream::EndpointOutcome::kSuccess);
  if (response != PhaseStatus::kContinue) {
    return Failed(failure, "a response-headers phase stopped the response");
  }
  ctx.record.status = status;
  ctx.record.response_head = services_.timing_clock.Now();
  ctx.record.finish = ctx.record.response_head;
  ctx.record.end = proxy::StreamEnd::kCompleted;
  chain.RunRequestEnd(ctx);
  ctx.config.reset();
  return true;
}

}  // namespace switchyard::testing
