// The gtest fixture and assertions shared by the integration suites.
#ifndef SWITCHYARD_TESTS_SUPPORT_PROXY_TEST_H_
#define SWITCHYARD_TESTS_SUPPORT_PROXY_TEST_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/http_message.h"
#include "tests/support/poll.h"
#include "tests/support/proxy_process.h"
#include "tests/support/raw_client.h"
#include "tests/support/test_backend.h"

namespace switchyard::testing {

// Passes when `r` is one of the gateway's own answers: status `status`, header
// "x-switchyard-local-reply: true", an application/json body with a numeric "status"
// equal to `status`, an "error" among `errors` (any non-empty string when `errors` is
// empty), and a non-empty string "request_id".
::testing::AssertionResult IsLocalReply(const Response& r, int status,
                                        std::initializer_list<std::string_view> errors);
// The "request_id" of a local reply body, or "" when there is none.
std::string LocalReplyRequestId(const Response& r);
// True if the response carries the local-reply marker header.
bool HasLocalReplyMarker(const Response& r);

// YAML for one virtual host "*" with one prefix "/" route to cluster "c" holding one
// endpoint per port. `route_extra` goes into the route action, e.g. "timeout: 0.3s".
std::string SingleClusterConfig(const std::vector<uint16_t>& ports,
                                std::string_view route_extra = "");

// Polls `value` until it stops changing for `quiet` (e.g. bytes moved while a peer is
// stalled) and returns it; returns the latest value if `timeout` passes first.
uint64_t WaitForSteadyValue(const std::function<uint64_t()>& value, Clock::duration quiet,
                            Clock::duration timeout);

// Owns the proxy and backends of one test. TearDown checks that the proxy is still alive
// (no crash on whatever the test sent) and that no backend received a malformed message.
class ProxyTest : public ::testing::Test {
 protected:
  void TearDown() override;

  // Starts the proxy (workers default to 1 unless `flags` set --workers).
  ::testing::AssertionResult StartProxy(const std::string& config_yaml,
                                        std::vector<std::string> flags = {});
  ProxyProcess& proxy() { return *proxy_; }
  uint16_t proxy_port() const { return proxy_->port(); }

  TestBackend& AddBackend(std::string name, TestBackend::Handler handler = nullptr,
                          BackendOptions options = {});

  RawClient Connect() { return RawClient(proxy_port()); }
  // One GET on a fresh connection.
  Response Get(std::string_view target, std::string_view host = "example.com");
  // Raw request bytes on a fresh connection, one response back.
  Response RoundTrip(std::string_view request, const ReadOptions& options = {});
  // The proxy's /metrics page, from its admin port (the proxy must run with --admin), and
  // one series of it (metrics_page.h's MetricValue: -1 when absent).
  std::string MetricsPage();
  int64_t Metric(const std::string& series);

 private:
  std::vector<std::unique_ptr<TestBackend>> backends_;
  std::unique_ptr<ProxyProcess> proxy_;
};

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_PROXY_TEST_H_
