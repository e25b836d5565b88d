// Out of file descriptors (EMFILE), the proxy backs off instead of re-arming accept at
// once: it neither spins nor floods its log, and accepts again when descriptors free up.
#include <sys/resource.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

size_t CountOccurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

class AcceptBackoffTest : public ProxyTest {};

TEST_F(AcceptBackoffTest, FullDescriptorTableBacksOffAndRecovers) {
  TestBackend& backend = AddBackend("b");
  ASSERT_TRUE(StartProxy(SingleClusterConfig({backend.port()}), {"--workers=1"}));
  ASSERT_TRUE(Get("/warm").ok());

  // Leave the proxy a few descriptors above what it uses now.
  // Only the soft limit moves, so it can be raised back without privileges.
  rlimit original{};
  ASSERT_EQ(prlimit(proxy().pid(), RLIMIT_NOFILE, nullptr, &original), 0) << "prlimit failed";
  const rlimit low{64, original.rlim_max};
  ASSERT_EQ(prlimit(proxy().pid(), RLIMIT_NOFILE, &low, nullptr), 0) << "prlimit failed";
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(std::make_unique<RawClient>(proxy_port()));
  }
  // Connections beyond the limit wait in the backlog while accept fails.
  std::this_thread::sleep_for(seconds(2));
  const std::string log = proxy().StderrContents();
  const size_t warnings = CountOccurrences(log, "accept failed");
  EXPECT_GE(warnings, 1u) << "the descriptor table never filled up?\n" << log;
  // One warning when failures start, then about one a second: never a flood.
  EXPECT_LE(warnings, 6u) << log;

  // Descriptors free up: the proxy accepts and serves again.
  clients.clear();
  ASSERT_EQ(prlimit(proxy().pid(), RLIMIT_NOFILE, &original, nullptr), 0);
  Response r;
  for (int attempt = 0; attempt < 50 && !(r.ok() && r.status == 200); ++attempt) {
    r = Get("/after");
    if (!r.ok()) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_TRUE(r.ok() && r.status == 200) << r.DebugString();
}

}  // namespace
}  // namespace switchyard::testing
