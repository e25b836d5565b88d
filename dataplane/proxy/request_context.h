// What the request phases know about one request, from its decoded headers to the
// upstream endpoint chosen for it. The codec fills the first block; each phase fills
// its own fields. One context per request, used on one worker thread.
#ifndef SWITCHYARD_DATAPLANE_PROXY_REQUEST_CONTEXT_H_
#define SWITCHYARD_DATAPLANE_PROXY_REQUEST_CONTEXT_H_

#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/http/header_map.h"
#include "dataplane/http/local_reply.h"
#include "dataplane/http/request_id.h"
#include "dataplane/runtime/runtime_config.h"
#include "dataplane/upstream/load_balancer.h"

namespace switchyard::proxy {

struct RequestContext {
  // Set by the codec before the phases run.
  std::string_view client_ip;
  std::string_view scheme = "http";
  std::string method;
  std::string target;  // origin-form: path and query
  int version = 11;
  http::HeaderMap headers;
  // The snapshot this request runs on from start to end, even if a newer one is swapped in.
  std::shared_ptr<const runtime::RuntimeConfig> config;

  // Filled by the phases.
  std::string request_id;
  const router::Route* route = nullptr;
  const runtime::Cluster* cluster = nullptr;
  const runtime::Endpoint* endpoint = nullptr;
  std::string upstream_target;
  // Set by the phase that stops the request.
  http::LocalReply local_reply;

  // Prepares the context for the next request on a connection. Strings and the header
  // map keep their storage, so a warm connection allocates nothing here.
  void Reset() {
    method.clear();
    target.clear();
    version = 11;
    headers.clear();
    config.reset();
    request_id.clear();
    route = nullptr;
    cluster = nullptr;
    endpoint = nullptr;
    upstream_target.clear();
    local_reply = {};
  }
};

// Load-balancer state for one config, on one worker: picks must be spread per worker,
// and workers share nothing.
class WorkerBalancers {
 public:
  // Rebuilds the state when `config` is not the one it was built for.
  upstream::SmoothWeightedRoundRobin& ForCluster(const runtime::RuntimeConfig& config,
                                                 size_t cluster_index);

 private:
  const runtime::RuntimeConfig* built_for_ = nullptr;
  std::vector<upstream::SmoothWeightedRoundRobin> balancers_;
};

// Per-worker services the phases use. Owned by the worker; used only on its thread.
struct WorkerServices {
  explicit WorkerServices(uint64_t seed) : request_ids(seed), random(seed ^ 0x9e3779b97f4a7c15) {}

  http::RequestIdGenerator request_ids;
  std::mt19937_64 random;
  WorkerBalancers balancers;
};

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_REQUEST_CONTEXT_H_
