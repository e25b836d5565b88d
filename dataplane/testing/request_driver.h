// Drives requests through a PhaseChain the way proxy::Stream does (request headers,
// upstream choice, endpoint pick, response head, request end), with no sockets and no
// upstream: for the tests and benchmarks that measure the phases alone
// (dataplane/proxy:phase_alloc_test, tools/bench/observability_cost).
#ifndef SWITCHYARD_DATAPLANE_TESTING_REQUEST_DRIVER_H_
#define SWITCHYARD_DATAPLANE_TESTING_REQUEST_DRIVER_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "dataplane/http/header_map.h"
#include "dataplane/proxy/phase_chain.h"
#include "dataplane/proxy/request_context.h"
#include "dataplane/proxy/worker_services.h"
#include "dataplane/runtime/runtime_config.h"

namespace switchyard::testing {

class RequestDriver {
 public:
  // The config the driver's request is routed by: one prefix route with a prefix
  // rewrite, split by weight over two clusters of one and two endpoints.
  static absl::StatusOr<std::shared_ptr<const runtime::RuntimeConfig>> SampleConfig();

  // `services` must outlive the driver; its endpoint state is set up for `config`.
  RequestDriver(std::shared_ptr<const runtime::RuntimeConfig> config,
                proxy::WorkerServices& services);

  // Serves "GET /api/v1/users/12345?expand=profile,settings" for api.example.com through
  // `chain`, to a 200 response head. False, with `failure` saying where, when a phase
  // stopped it or no cluster was chosen. Storage is reused from request to request.
  bool ServeOne(const proxy::PhaseChain& chain, std::string* failure = nullptr);

  // From the next request on: this target instead, and these headers besides the
  // driver's own (a credential, say). The strings must outlive the requests.
  void set_target(std::string_view target) { target_ = target; }
  void set_extra_header(std::string_view name, std::string_view value) {
    extra_name_ = name;
    extra_value_ = value;
  }

  const proxy::RequestContext& context() const { return ctx_; }

 private:
  const std::shared_ptr<const runtime::RuntimeConfig> config_;
  proxy::WorkerServices& services_;
  proxy::RequestContext ctx_;
  http::HeaderMap response_headers_;
  std::string_view target_ = "/api/v1/users/12345?expand=profile,settings";
  std::string_view extra_name_;
  std::string_view extra_value_;
};

}  // namespace switchyard::testing

#endif  // SWITCHYARD_DATAPLANE_TESTING_REQUEST_DRIVER_H_
