// The CPU a request costs on its worker with metrics and the access log on, against off,
// in one run:
//   bazel run -c opt //tools/bench/observability_cost
// A worker's request path through every phase (as dataplane/proxy:phase_alloc_test runs
// it: route, header changes, cluster and endpoint choice, response head, request end),
// in rounds that alternate five set-ups: off, on (metrics and the access log, written to
// /dev/null by its own thread), off again, metrics alone, the access log alone. The
// difference between the two "off" set-ups is the noise floor. Reported: the worker thread's CPU
// per request (what the request path pays) and the process's (the access-log writer's formatting
// included), each the median over the rounds.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/access_log/access_log_writer.h"
#include "dataplane/proxy/phase_chain.h"
#include "dataplane/proxy/request_context.h"
#include "dataplane/proxy/worker_services.h"
#include "switchyard/config/loader.h"

namespace switchyard::proxy {
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

constexpr int kRequestsPerRound = 200'000;
constexpr int kRounds = 7;

double CpuNanos(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

struct Setup {
  const char* name;
  bool metrics;
  bool access_log;
  std::vector<double> worker_ns;
  std::vector<double> process_ns;
};

class Bench {
 public:
  explicit Bench(std::shared_ptr<const runtime::RuntimeConfig> config)
      : config_(std::move(config)),
        services_(42, clock_, std::chrono::seconds(30)),
        with_metrics_(PhaseChain::StandardPhases({.via = "switchyard"})),
        without_metrics_(PhaseChain::StandardPhases({.via = "switchyard", .metrics = false})) {
    services_.endpoints.OnConfig(*config_);
    services_.metrics.Bind(*config_, services_.resources);
  }

  // One round of `count` requests; the access log is `log` (null: off).
  void Round(bool metrics, access_log::AccessLogWriter::Producer* log, int count) {
    services_.access_log = log;
    const PhaseChain& chain = metrics ? with_metrics_ : without_metrics_;
    for (int i = 0; i < count; ++i) ServeOne(chain);
  }

 private:
  void ServeOne(const PhaseChain& chain) {
    ctx_.Reset();
    ctx_.services = &services_;
    ctx_.client_ip = "192.0.2.10";
    ctx_.method.assign("GET");
    ctx_.target.assign("/api/v1/users/12345?expand=profile,settings");
    ctx_.authority.assign("api.example.com");
    ctx_.headers.Add("host", "api.example.com");
    ctx_.headers.Add("user-agent", "curl/7.88.1");
    ctx_.config = config_;
    ctx_.record.start = services_.timing_clock.Now();
    size_t at = 0;
    chain.Run(0, at, [&](const Phase& p) { return p.OnRequestHeaders(ctx_); });
    chain.Run(0, at, [&](const Phase& p) { return p.ChooseUpstream(ctx_); });
    const size_t cluster_index = static_cast<size_t>(ctx_.cluster - config_->clusters().data());
    const upstream::EndpointStore::Pick pick = services_.endpoints.Begin(*config_, cluster_index);
    ctx_.endpoint = &ctx_.cluster->endpoints[pick.index];
    response_headers_.clear();
    response_headers_.Add("content-type", "application/json");
    int status = 200;
    ResponseHead head{status, response_headers_};
    chain.Run(0, at, [&](const Phase& p) { return p.OnResponseHeaders(ctx_, head); });
    services_.endpoints.End(pick.state, upstream::EndpointOutcome::kSuccess);
    ctx_.record.status = status;
    ctx_.record.response_head = services_.timing_clock.Now();
    ctx_.record.finish = ctx_.record.response_head;
    ctx_.record.end = StreamEnd::kCompleted;
    chain.RunRequestEnd(ctx_);
    ctx_.config.reset();
  }

  std::shared_ptr<const runtime::RuntimeConfig> config_;
  time::ManualClock clock_;
  WorkerServices services_;
  const PhaseChain with_metrics_;
  const PhaseChain without_metrics_;
  RequestContext ctx_;
  http::HeaderMap response_headers_;
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

int Main() {
  auto snapshot = config::ParseSnapshot(kSnapshot, "bench.yaml");
  auto compiled = runtime::RuntimeConfig::Compile(*snapshot);
  if (!compiled.ok()) {
    std::fprintf(stderr, "%s\n", std::string(compiled.status().message()).c_str());
    return 1;
  }
  auto writer = access_log::AccessLogWriter::Open({.path = "/dev/null"}, 1);
  if (!writer.ok()) {
    std::fprintf(stderr, "%s\n", std::string(writer.status().message()).c_str());
    return 1;
  }
  access_log::AccessLogWriter::Producer& log = (*writer)->producer(0);
  log.Reserve(128);
  Bench bench(*compiled);
  bench.Round(true, &log, kRequestsPerRound);  // warm-up
  bench.Round(false, nullptr, kRequestsPerRound);

  std::vector<Setup> setups = {{"off", false, false, {}, {}},
                               {"on", true, true, {}, {}},
                               {"off again", false, false, {}, {}},
                               {"metrics", true, false, {}, {}},
                               {"access log", false, true, {}, {}}};
  for (int round = 0; round < kRounds; ++round) {
    for (Setup& setup : setups) {
      const double worker_start = CpuNanos(CLOCK_THREAD_CPUTIME_ID);
      const double process_start = CpuNanos(CLOCK_PROCESS_CPUTIME_ID);
      bench.Round(setup.metrics, setup.access_log ? &log : nullptr, kRequestsPerRound);
      setup.worker_ns.push_back((CpuNanos(CLOCK_THREAD_CPUTIME_ID) - worker_start) /
                                kRequestsPerRound);
      setup.process_ns.push_back((CpuNanos(CLOCK_PROCESS_CPUTIME_ID) - process_start) /
                                 kRequestsPerRound);
    }
  }
  std::printf("%-10s %18s %18s\n", "set-up", "worker ns/request", "process ns/request");
  for (const Setup& setup : setups) {
    std::printf("%-10s %18.1f %18.1f\n", setup.name, Median(setup.worker_ns),
                Median(setup.process_ns));
  }
  const double off = Median(setups[0].worker_ns);
  const double on = Median(setups[1].worker_ns);
  const double again = Median(setups[2].worker_ns);
  const access_log::AccessLogWriter::Stats stats = (*writer)->stats();
  std::printf(
      "added on the worker: %.1f ns/request (noise floor between the two 'off' set-ups: "
      "%.1f ns); added to the process: %.1f ns/request; access log: %llu written, %llu "
      "dropped\n",
      on - (off + again) / 2, std::abs(off - again),
      Median(setups[1].process_ns) -
          (Median(setups[0].process_ns) + Median(setups[2].process_ns)) / 2,
      static_cast<unsigned long long>(stats.written),
      static_cast<unsigned long long>(stats.dropped));
  return 0;
}

}  // namespace
}  // namespace switchyard::proxy

int main() { return switchyard::proxy::Main(); }
