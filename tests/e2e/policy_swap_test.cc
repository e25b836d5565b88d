// Auth policies changing live under load (docs/auth.md): a route and the policy it was
// published with swap together, so no request ever runs one version's route with another
// version's policy, and no request fails while they change.
//
// Version "open" routes /a/ to backend blue under policy "gate", which allows it; version
// "shut" routes /a/ to backend green under a policy of the same name that denies it. The
// test applies the two in turn, waiting for the proxy's ACK each time, while client
// threads send requests on keep-alive connections. Asserted: every request got 200 (from
// blue) or 403 access_denied, never anything else; both answers were seen; and green got
// nothing, which it would if a request had run "shut"'s route under "open"'s policy.
#include <atomic>
#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "tests/e2e/support/components.h"
#include "tests/e2e/support/e2e_test.h"
#include "tests/e2e/support/load_generator.h"

namespace switchyard::e2e {
namespace {

constexpr int kSwaps = 10;

class PolicySwapTest : public E2eTest {
 protected:
  std::string Version(bool open) const {
    return std::string(R"(
auth_policies:
  - name: gate
    rules: [{)") +
           (open ? "allow" : "deny") + R"(: {path_prefixes: [/a/]}}]
virtual_hosts:
  - name: vh
    domains: ["*"]
    routes: [{name: r, match: {prefix: /a/}, route: {cluster: )" +
           (open ? "blue" : "green") + R"(}, auth_policy: gate}]
clusters:
  - {name: blue, endpoints: [{address: 127.0.0.1, port: )" +
           std::to_string(blue_->port()) + R"(}]}
  - {name: green, endpoints: [{address: 127.0.0.1, port: )" +
           std::to_string(green_->port()) + "}]}\n";
  }

  TestBackend* blue_ = nullptr;
  TestBackend* green_ = nullptr;
};

TEST_F(PolicySwapTest, ARouteNeverRunsUnderAnotherVersionsPolicyAndNothingFails) {
  blue_ = &AddBackend("blue");
  green_ = &AddBackend("green");
  ASSERT_TRUE(StartControlPlane());
  uint64_t version = 0;
  ASSERT_TRUE(Apply(Version(true), &version));
  ASSERT_TRUE(StartProxies(1, {"--workers=2"}));
  ASSERT_TRUE(WaitForVersion(version, std::chrono::seconds(10)));

  std::atomic<uint64_t> allowed{0};
  std::atomic<uint64_t> denied{0};
  LoadGenerator load({.port = proxy(0).port(),
                      .targets = {"/a/1", "/a/2", "/a/3"},
                      .threads = 3,
                      .expected_status = [&](int status) {
                        (status == 200 ? allowed : denied)++;
                        return status == 200 || status == 403;
                      }});
  load.Start();
  for (int i = 0; i < kSwaps; ++i) {
    const bool open = i % 2 == 1;
    ASSERT_TRUE(Apply(Version(open), &version));
    ASSERT_TRUE(WaitForVersion(version, std::chrono::seconds(10)));
  }
  load.Stop();
  const LoadGenerator::Counts counts = load.counts();
  std::printf("[policy swap] %d swaps, %llu requests: %llu allowed, %llu denied, %llu failed\n",
              kSwaps, static_cast<unsigned long long>(counts.requests),
              static_cast<unsigned long long>(allowed.load()),
              static_cast<unsigned long long>(denied.load()),
              static_cast<unsigned long long>(counts.failed()));
  EXPECT_EQ(counts.failed(), 0u) << load.Report();
  EXPECT_GT(allowed.load(), 0u);
  EXPECT_GT(denied.load(), 0u);
  EXPECT_GT(blue_->request_count(), 0u);
  EXPECT_EQ(green_->request_count(), 0u)
      << "a request ran version \"shut\"'s route under version \"open\"'s policy";
}

}  // namespace
}  // namespace switchyard::e2e
