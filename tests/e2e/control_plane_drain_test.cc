// A control plane stopped on purpose (SIGTERM) ends its discovery streams with the agreed
// "going away" status (proto/switchyard/v1/discovery_status.h), and a proxy with two
// control-plane addresses moves to the other one at once, instead of waiting out its
// reconnect backoff. The backoff here is 60 s (jittered to at least 30 s), so a proxy
// that waited would miss the 15 s allowed by far.
#include <sys/stat.h>

#include <string>

#include "gtest/gtest.h"
#include "tests/e2e/support/components.h"
#include "tests/e2e/support/e2e_test.h"

namespace switchyard::e2e {
namespace {

class ControlPlaneDrainTest : public E2eTest {};

TEST_F(ControlPlaneDrainTest, ProxiesMoveToTheNextAddressAtOnceOnSigterm) {
  TestBackend& a = AddBackend("A");
  ASSERT_TRUE(StartControlPlane());
  uint64_t version = 0;
  ASSERT_TRUE(Apply(SnapshotYaml({{"svc", "prefix: /", "a"}}, {{"a", {a.port()}}}), &version));
  const std::string second_dir = dir() + "/cp2";
  ASSERT_EQ(::mkdir(second_dir.c_str(), 0700), 0);
  ControlPlane second(second_dir);
  std::string error;
  ASSERT_TRUE(second.Start(&error)) << error;

  DynamicProxy::Options options;
  options.node_id = "proxy-drain";
  options.control_plane = control().address() + "," + second.address();
  options.extra_flags = {"--control_plane_backoff=60s", "--control_plane_max_backoff=60s"};
  DynamicProxy& proxy = AddProxy(options);
  ASSERT_TRUE(proxy.Start(&error)) << error;
  ASSERT_TRUE(WaitForVersion(version, std::chrono::seconds(10), {&proxy}));
  auto server = [&proxy] {
    const auto stats = proxy.Stats();
    if (!stats || !(*stats)["discovery"].value("connected", false)) return std::string();
    return (*stats)["discovery"].value("server", std::string());
  };
  ASSERT_TRUE(PollUntil([&] { return server() == control().address(); }));

  control().Stop();  // SIGTERM
  EXPECT_TRUE(PollUntil([&] { return server() == second.address(); }, std::chrono::seconds(15)))
      << "still on '" << server() << "'; proxy log:\n"
      << proxy.process().LogTail();
  EXPECT_EQ(proxy.Get("/x").status, 200);  // it serves the snapshot it has throughout
  EXPECT_NE(proxy.process().LogTail(20000).find("the control plane is shutting down; trying "
                                                "the next address now"),
            std::string::npos);
  second.Stop();
}

}  // namespace
}  // namespace switchyard::e2e
