#include "tests/e2e/support/e2e_test.h"

#include <iostream>

#include "tests/support/child_process.h"

namespace switchyard::e2e {

std::string SnapshotYaml(const std::vector<RouteSpec>& routes,
                         const std::vector<ClusterSpec>& clusters) {
  std::string out =
      "virtual_hosts:\n"
      "- name: e2e\n"
      "  domains: [\"*\"]\n"
      "  routes:\n";
  for (const RouteSpec& r : routes) {
    out += "  - {name: " + r.name + ", match: {" + r.match + "}, route: {cluster: " + r.cluster +
           "}}\n";
  }
  out += "clusters:\n";
  for (const ClusterSpec& c : clusters) {
    out += "- name: " + c.name + "\n";
    if (!c.protocol.empty()) out += "  protocol: " + c.protocol + "\n";
    out += "  endpoints:\n";
    for (uint16_t port : c.ports) {
      out += "  - {address: 127.0.0.1, port: " + std::to_string(port) + "}\n";
    }
  }
  return out;
}

std::string IndentLines(const std::string& text, int spaces) {
  const std::string pad(static_cast<size_t>(spaces), ' ');
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    out += pad + text.substr(start, end - start) + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

void E2eTest::SetUp() {
  dir_ = ::switchyard::testing::MakeTempDir();
  ASSERT_FALSE(dir_.empty()) << "cannot create a temp dir";
}

namespace {

// A process the test did not stop must still run: anything else is a crash.
void ExpectAlive(ChildProcess& p) {
  if (p.pid() <= 0) return;
  EXPECT_TRUE(p.Running() || p.signalled())
      << p.name() << " exited during the test (" << p.exit_status().DebugString() << "); log:\n"
      << p.LogTail();
}

}  // namespace

void E2eTest::TearDown() {
  if (haproxy_) ExpectAlive(haproxy_->process());
  for (auto& p : proxies_) ExpectAlive(p->process());
  if (control_) {
    EXPECT_TRUE(control_->Running() || control_->signalled())
        << "the control plane exited during the test; log:\n"
        << control_->LogTail();
  }
  if (HasFailure()) {
    for (auto& p : proxies_) {
      std::cerr << "---- " << p->process().name() << " log (tail) ----\n"
                << p->process().LogTail(3000) << "\n";
    }
    if (control_) {
      std::cerr << "---- control plane log (tail) ----\n" << control_->LogTail(3000) << "\n";
    }
    if (haproxy_) {
      std::cerr << "---- haproxy log (tail) ----\n" << haproxy_->process().LogTail(3000) << "\n";
    }
  }
  // The entry first, the control plane last, as an operator would.
  if (haproxy_) haproxy_->Stop();
  for (auto& p : proxies_) {
    p->Stop();
    // A sanitized proxy (SWITCHYARD_PROXY_BIN) reports leaks as it exits.
    const std::string report =
        ::switchyard::testing::SanitizerReport(p->process().LogTail(1 << 20));
    EXPECT_TRUE(report.empty()) << p->process().name() << "'s sanitizer reported:\n" << report;
  }
  if (control_) control_->Stop();
  for (const auto& b : backends_) {
    const std::vector<std::string> errors = b->parse_errors();
    EXPECT_TRUE(errors.empty()) << "backend " << b->name()
                                << " received a malformed message: " << errors.front();
  }
  backends_.clear();
}

::testing::AssertionResult E2eTest::StartControlPlane() {
  control_ = std::make_unique<ControlPlane>(dir_);
  std::string error;
  if (!control_->Start(&error)) return ::testing::AssertionFailure() << error;
  yardctl_ = std::make_unique<Yardctl>(control_->address(), dir_);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult E2eTest::Apply(const std::string& yaml, uint64_t* version,
                                          const std::vector<std::string>& extra) {
  const CommandResult r = yardctl_->Apply(yaml, extra);
  if (r.timed_out || r.exit_code != 0) {
    return ::testing::AssertionFailure() << "yardctl apply: " << r.DebugString() << "\nsnapshot:\n"
                                         << yaml;
  }
  const uint64_t v = Yardctl::AppliedVersion(r);
  if (v == 0) {
    return ::testing::AssertionFailure() << "no version in yardctl apply's output: " << r.output;
  }
  if (version != nullptr) *version = v;
  return ::testing::AssertionSuccess();
}

DynamicProxy& E2eTest::AddProxy(DynamicProxy::Options options) {
  proxies_.push_back(std::make_unique<DynamicProxy>(dir_, std::move(options)));
  return *proxies_.back();
}

::testing::AssertionResult E2eTest::StartProxies(int count, const std::vector<std::string>& flags) {
  for (int i = 0; i < count; ++i) {
    DynamicProxy::Options options;
    options.node_id = "proxy" + std::to_string(proxies_.size() + 1);
    options.control_plane = control_->address();
    options.snapshot_cache = dir_ + "/" + options.node_id + ".cache";
    options.extra_flags = flags;
    DynamicProxy& p = AddProxy(std::move(options));
    std::string error;
    if (!p.Start(&error)) return ::testing::AssertionFailure() << error;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult E2eTest::StartHaproxy() {
  std::vector<Haproxy::Server> servers;
  for (const auto& p : proxies_) servers.push_back({p->port(), p->admin_port()});
  haproxy_ = std::make_unique<Haproxy>(dir_, std::move(servers));
  std::string error;
  if (!haproxy_->Start(&error)) return ::testing::AssertionFailure() << error;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult E2eTest::WaitForVersion(uint64_t version, Clock::duration timeout,
                                                   std::vector<DynamicProxy*> proxies) {
  if (proxies.empty()) {
    for (auto& p : proxies_) proxies.push_back(p.get());
  }
  for (DynamicProxy* p : proxies) {
    if (!PollUntil([&] { return p->Version() == version; }, timeout)) {
      const auto stats = p->Stats();
      return ::testing::AssertionFailure()
             << p->node_id() << " does not reach version " << version
             << "; /stats: " << (stats ? stats->dump() : "(no answer)");
    }
  }
  return ::testing::AssertionSuccess();
}

TestBackend& E2eTest::AddBackend(std::string name, TestBackend::Handler handler) {
  backends_.push_back(std::make_unique<TestBackend>(std::move(name), std::move(handler)));
  return *backends_.back();
}

}  // namespace switchyard::e2e
