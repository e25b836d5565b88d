// The CPU a request costs on its worker with metrics and the access log on, against off,
// in one run:
//   bazel run -c opt //tools/bench/observability_cost
// A worker's request path through every phase, driven by dataplane/testing's
// RequestDriver as dataplane/proxy:phase_alloc_test drives it (route, header changes,
// cluster and endpoint choice, response head, request end),
// in rounds that alternate five set-ups: off, on (metrics and the access log, written to
// /dev/null by its own thread), off again, metrics alone, the access log alone. The
// difference between the two "off" set-ups is the noise floor. Reported: the worker thread's CPU
// per request (what the request path pays) and the process's (the access-log writer's formatting
// included), each the lower quartile over the rounds.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/access_log/access_log_writer.h"
#include "dataplane/proxy/phase_chain.h"
#include "dataplane/proxy/worker_services.h"
#include "dataplane/testing/request_driver.h"

namespace switchyard::proxy {
namespace {

// Many short rounds: this is measured on shared machines, where another tenant's load
// moves a round's figure by hundreds of nanoseconds; the lowest quartile of many rounds
// is the least disturbed estimate, and it is what the comparison uses.
constexpr int kRequestsPerRound = 20'000;
constexpr int kRounds = 60;

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
  explicit Bench(const std::shared_ptr<const runtime::RuntimeConfig>& config)
      : services_(42, clock_, std::chrono::seconds(30)),
        driver_(config, services_),
        with_metrics_(PhaseChain::StandardPhases({.via = "switchyard"})),
        without_metrics_(PhaseChain::StandardPhases({.via = "switchyard", .metrics = false})) {
    services_.metrics.Bind(*config, services_.resources);
  }

  // One round of `count` requests; the access log is `log` (null: off).
  void Round(bool metrics, access_log::AccessLogWriter::Producer* log, int count) {
    services_.access_log = log;
    const PhaseChain& chain = metrics ? with_metrics_ : without_metrics_;
    for (int i = 0; i < count; ++i) driver_.ServeOne(chain);
  }

 private:
  time::ManualClock clock_;
  WorkerServices services_;
  testing::RequestDriver driver_;
  const PhaseChain with_metrics_;
  const PhaseChain without_metrics_;
};

// The value a quarter of the way up (the lower quartile).
double LowerQuartile(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 4];
}

int Main() {
  auto compiled = testing::RequestDriver::SampleConfig();
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
  Bench bench(*compiled);
  bench.Round(true, &log, kRequestsPerRound);  // warm-up
  bench.Round(false, nullptr, kRequestsPerRound);
  uint64_t logged = kRequestsPerRound;

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
      if (setup.access_log) {
        // Let the writer finish this round's records, so that its work does not run into
        // the next set-up's round.
        logged += kRequestsPerRound;
        for (;;) {
          const access_log::AccessLogWriter::Stats now = (*writer)->stats();
          if (now.written + now.dropped >= logged) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
    }
  }
  std::printf("%-10s %18s %18s\n", "set-up", "worker ns/request", "process ns/request");
  for (const Setup& setup : setups) {
    std::printf("%-10s %18.1f %18.1f\n", setup.name, LowerQuartile(setup.worker_ns),
                LowerQuartile(setup.process_ns));
  }
  const double off = LowerQuartile(setups[0].worker_ns);
  const double on = LowerQuartile(setups[1].worker_ns);
  const double again = LowerQuartile(setups[2].worker_ns);
  const access_log::AccessLogWriter::Stats stats = (*writer)->stats();
  std::printf(
      "added on the worker: %.1f ns/request (noise floor between the two 'off' set-ups: "
      "%.1f ns); added to the process: %.1f ns/request; access log: %llu written, %llu "
      "dropped\n",
      on - (off + again) / 2, std::abs(off - again),
      LowerQuartile(setups[1].process_ns) -
          (LowerQuartile(setups[0].process_ns) + LowerQuartile(setups[2].process_ns)) / 2,
      static_cast<unsigned long long>(stats.written),
      static_cast<unsigned long long>(stats.dropped));
  return 0;
}

}  // namespace
}  // namespace switchyard::proxy

int main() { return switchyard::proxy::Main(); }
