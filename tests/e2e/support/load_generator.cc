#include "tests/e2e/support/load_generator.h"

#include <memory>
#include <sstream>

#include "common/ascii.h"
#include "tests/support/http_message.h"
#include "tests/support/raw_client.h"

namespace switchyard::e2e {
namespace {

using ::switchyard::testing::BuildRequest;
using ::switchyard::testing::Clock;
using ::switchyard::testing::RawClient;
using ::switchyard::testing::Response;

constexpr size_t kMaxSamples = 20;

}  // namespace

LoadGenerator::LoadGenerator(Options options) : options_(std::move(options)) {}

LoadGenerator::~LoadGenerator() { Stop(); }

void LoadGenerator::Start() {
  for (int i = 0; i < options_.threads; ++i) {
    threads_.emplace_back([this, i] { Run(i); });
  }
}

void LoadGenerator::Stop() {
  stop_ = true;
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void LoadGenerator::RecordFailure(std::string what) {
  std::lock_guard<std::mutex> lock(mu_);
  if (samples_.size() < kMaxSamples) samples_.push_back(std::move(what));
}

void LoadGenerator::Run(int index) {
  std::unique_ptr<RawClient> client;
  size_t next = static_cast<size_t>(index);
  const Clock::duration period =
      options_.requests_per_second > 0
          ? std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(1)) /
                options_.requests_per_second
          : Clock::duration::zero();
  auto next_send = Clock::now();
  while (!stop_) {
    if (client == nullptr) {
      // A short connect timeout: a connect stuck on a full accept queue is counted as a
      // connect error and retried, instead of stalling this thread's share of the load.
      client = std::make_unique<RawClient>(options_.port, std::chrono::seconds(2));
      ++connections_;
      if (!client->connected()) {
        ++connect_errors_;
        RecordFailure("connect: " + client->connect_error());
        client.reset();
        // Not synchronisation: keeps a refused port from turning into a busy loop.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
    }
    const std::string& target = options_.targets[next++ % options_.targets.size()];
    const std::string request = BuildRequest("GET", target, {{"Host", options_.host}});
    ++requests_;
    const Response r = client->RoundTrip(request, {.timeout = options_.response_timeout});
    if (!r.complete) {
      ++transport_errors_;
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++errors_[r.error];
      }
      RecordFailure("GET " + target + ": no complete response (" + r.error + ") after " +
                    std::to_string(r.body_bytes) + " body bytes");
      client.reset();
      continue;
    }
    if (options_.expected_status(r.status)) {
      ++ok_;
    } else {
      ++unexpected_status_;
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++statuses_[r.status];
      }
      RecordFailure("GET " + target + ": status " + std::to_string(r.status) + " " +
                    r.body.substr(0, 300));
    }
    std::string connection = r.headers.Joined("connection");
    LowerInPlace(connection);
    if (connection.find("close") != std::string::npos) {
      ++server_closes_;
      client.reset();
    }
    if (period != Clock::duration::zero()) {
      next_send += period;
      const auto now = Clock::now();
      if (next_send > now) {
        std::this_thread::sleep_until(next_send);
      } else {
        next_send = now;  // behind schedule: do not burst to catch up
      }
    }
  }
}

LoadGenerator::Counts LoadGenerator::counts() const {
  Counts c;
  c.requests = requests_;
  c.ok = ok_;
  c.unexpected_status = unexpected_status_;
  c.transport_errors = transport_errors_;
  c.connect_errors = connect_errors_;
  c.connections = connections_;
  c.server_closes = server_closes_;
  return c;
}

std::map<int, uint64_t> LoadGenerator::statuses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return statuses_;
}

std::vector<std::string> LoadGenerator::failure_samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_;
}

std::string LoadGenerator::Report() const {
  const Counts c = counts();
  std::ostringstream out;
  out << "requests=" << c.requests << " ok=" << c.ok << " failed=" << c.failed()
      << " (unexpected status " << c.unexpected_status << ", transport errors "
      << c.transport_errors << ", connect errors " << c.connect_errors << ")"
      << " connections=" << c.connections << " server_closes=" << c.server_closes;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [status, n] : statuses_) out << "\n  status " << status << " x" << n;
  for (const auto& [error, n] : errors_) out << "\n  error '" << error << "' x" << n;
  for (const std::string& s : samples_) out << "\n  sample: " << s;
  return out.str();
}

}  // namespace switchyard::e2e
