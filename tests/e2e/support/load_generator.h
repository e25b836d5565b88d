// Steady HTTP/1.1 load for the end-to-end suites: several threads, each with one
// keep-alive connection, sending GETs in a loop and counting every outcome. A request
// counts as failed when it gets a status the caller did not expect (a local reply
// included) or no complete response at all (connect error, reset, EOF, timeout); a
// connection that fails is replaced so the load goes on, and the failure is counted.
#ifndef SWITCHYARD_TESTS_E2E_SUPPORT_LOAD_GENERATOR_H_
#define SWITCHYARD_TESTS_E2E_SUPPORT_LOAD_GENERATOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/socket.h"

namespace switchyard::e2e {

class LoadGenerator {
 public:
  struct Options {
    uint16_t port = 0;
    std::string host = "e2e.test";
    // Requested in turn by each thread (offset by the thread's index).
    std::vector<std::string> targets = {"/"};
    int threads = 4;
    // Per thread; 0: as fast as responses come back.
    int requests_per_second = 0;
    // A response slower than this counts as failed (and its connection is replaced).
    ::switchyard::testing::Clock::duration response_timeout = std::chrono::seconds(10);
    // Which statuses are fine; default: 2xx.
    std::function<bool(int)> expected_status = [](int s) { return s >= 200 && s < 300; };
  };

  struct Counts {
    uint64_t requests = 0;           // requests sent
    uint64_t ok = 0;                 // complete responses with an expected status
    uint64_t unexpected_status = 0;  // complete responses with any other status
    uint64_t transport_errors = 0;   // no complete response: reset, EOF, timeout, ...
    uint64_t connect_errors = 0;     // a new connection could not be made
    uint64_t connections = 0;        // connections opened
    uint64_t server_closes = 0;      // responses that announced "Connection: close"
    uint64_t failed() const { return unexpected_status + transport_errors + connect_errors; }
  };

  explicit LoadGenerator(Options options);
  ~LoadGenerator();
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  void Start();
  // Stops sending, lets in-flight requests finish, joins the threads.
  void Stop();

  Counts counts() const;
  // Unexpected statuses by code, and the first few failures described.
  std::map<int, uint64_t> statuses() const;
  std::vector<std::string> failure_samples() const;
  // "requests=.. ok=.. failed=.. (status 502 x3; error reset x1) connections=..".
  std::string Report() const;

 private:
  void Run(int index);
  void RecordFailure(std::string what);

  const Options options_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> ok_{0};
  std::atomic<uint64_t> unexpected_status_{0};
  std::atomic<uint64_t> transport_errors_{0};
  std::atomic<uint64_t> connect_errors_{0};
  std::atomic<uint64_t> connections_{0};
  std::atomic<uint64_t> server_closes_{0};

  mutable std::mutex mu_;
  std::map<int, uint64_t> statuses_;
  std::map<std::string, uint64_t> errors_;
  std::vector<std::string> samples_;
};

}  // namespace switchyard::e2e

#endif  // SWITCHYARD_TESTS_E2E_SUPPORT_LOAD_GENERATOR_H_
