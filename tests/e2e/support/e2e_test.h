// The gtest fixture of the end-to-end suites: one control plane, proxies subscribed to it,
// optionally HAProxy in front of them, in-process test backends, and yardctl. Each test
// starts what it needs; TearDown checks nothing crashed and stops everything by PID.
#ifndef SWITCHYARD_TESTS_E2E_SUPPORT_E2E_TEST_H_
#define SWITCHYARD_TESTS_E2E_SUPPORT_E2E_TEST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/support/components.h"
#include "tests/support/test_backend.h"

namespace switchyard::e2e {

using ::switchyard::testing::BackendExchange;
using ::switchyard::testing::TestBackend;

// A snapshot in YAML: one virtual host for every domain, the given routes in order, and
// the given clusters (endpoints on 127.0.0.1).
struct RouteSpec {
  std::string name;
  std::string match;  // a YAML mapping body, e.g. "prefix: /stable/" or "path: /m/3"
  std::string cluster;
};
struct ClusterSpec {
  std::string name;
  std::vector<uint16_t> ports;
  // The cluster's `protocol:` (HTTP2, MATCH_CLIENT); empty: the default, HTTP1.
  std::string protocol;
};
std::string SnapshotYaml(const std::vector<RouteSpec>& routes,
                         const std::vector<ClusterSpec>& clusters);

// `text` (a PEM block, say) with every line indented by `spaces`: the body of a YAML block
// scalar ("cert_pem: |").
std::string IndentLines(const std::string& text, int spaces);

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  const std::string& dir() const { return dir_; }

  ::testing::AssertionResult StartControlPlane();
  // Applies `yaml` with yardctl; must exit 0. *version gets the version it stored.
  ::testing::AssertionResult Apply(const std::string& yaml, uint64_t* version = nullptr,
                                   const std::vector<std::string>& extra = {});
  // Starts `count` more proxies subscribed to the control plane, each with its own
  // snapshot cache, and waits until each serves a snapshot.
  ::testing::AssertionResult StartProxies(int count, const std::vector<std::string>& flags = {});
  // HAProxy in front of every proxy started so far.
  ::testing::AssertionResult StartHaproxy();
  // Every proxy in `proxies` (default: all) reports `version` in /stats.
  ::testing::AssertionResult WaitForVersion(uint64_t version, Clock::duration timeout,
                                            std::vector<DynamicProxy*> proxies = {});

  TestBackend& AddBackend(std::string name, TestBackend::Handler handler = nullptr);

  ControlPlane& control() { return *control_; }
  Yardctl& yardctl() { return *yardctl_; }
  DynamicProxy& proxy(size_t i) { return *proxies_.at(i); }
  size_t proxy_count() const { return proxies_.size(); }
  // Adds a proxy the fixture owns (stopped and checked in TearDown like the others).
  DynamicProxy& AddProxy(DynamicProxy::Options options);
  Haproxy& haproxy() { return *haproxy_; }

 private:
  std::string dir_;
  std::unique_ptr<ControlPlane> control_;
  std::unique_ptr<Yardctl> yardctl_;
  std::vector<std::unique_ptr<DynamicProxy>> proxies_;
  std::unique_ptr<Haproxy> haproxy_;
  std::vector<std::unique_ptr<TestBackend>> backends_;
};

}  // namespace switchyard::e2e

#endif  // SWITCHYARD_TESTS_E2E_SUPPORT_E2E_TEST_H_
