// Paths are normalized before routing and the normal form is forwarded, so a prefix
// route is a real boundary: the attacks of issue 6 get 404 (no route outside /public/)
// or 400, never the backend's answer for a path outside the prefix.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

class PathNormalizationTest : public ProxyTest {
 protected:
  void StartPublicOnly(std::vector<std::string> flags = {}) {
    backend_ = &AddBackend("b");
    const std::string config = R"(
virtual_hosts:
  - name: vh
    domains: ["*"]
    routes:
      - {name: public, match: {prefix: /public/}, route: {cluster: b}}
clusters:
  - name: b
    endpoints: [{address: 127.0.0.1, port: )" +
                               std::to_string(backend_->port()) + "}]\n";
    ASSERT_TRUE(StartProxy(config, std::move(flags)));
  }

  // The path the backend received for `target`, or "" when it received nothing.
  std::string Forwarded(const std::string& target) {
    const size_t before = backend_->request_count();
    const Response r = Get(target);
    EXPECT_TRUE(r.ok() && r.status == 200) << target << ": " << r.DebugString();
    if (backend_->request_count() != before + 1) return "";
    return backend_->requests().back().target;
  }

  void ExpectRefused(const std::string& target, int status, const std::string& error) {
    const size_t before = backend_->request_count();
    const Response r = Get(target);
    EXPECT_TRUE(IsLocalReply(r, status, {error})) << target << ": " << r.DebugString();
    EXPECT_EQ(backend_->request_count(), before) << target << " reached the backend";
  }

  TestBackend* backend_ = nullptr;
};

TEST_F(PathNormalizationTest, DotSegmentsCannotLeaveThePrefix) {
  ASSERT_NO_FATAL_FAILURE(StartPublicOnly());
  for (const char* target :
       {"/public/../admin/secret.txt", "/public/%2e%2e/admin/secret.txt",
        "/public/%2E%2E/admin/secret.txt", "/public/.%2e/admin", "/public/./../admin"}) {
    ExpectRefused(target, 404, "route_not_found");
  }
}

TEST_F(PathNormalizationTest, ClimbingAboveTheRootOrEscapedSlashesAre400) {
  ASSERT_NO_FATAL_FAILURE(StartPublicOnly());
  for (const char* target : {"/public/..%2f..%2fadmin", "/public/..%2Fadmin", "/x/../../",
                             "/public/../../etc/passwd", "/public/a%5c..%5cb", "/public/%zz"}) {
    ExpectRefused(target, 400, "invalid_path");
  }
}

TEST_F(PathNormalizationTest, TheNormalFormIsWhatIsForwarded) {
  ASSERT_NO_FATAL_FAILURE(StartPublicOnly());
  EXPECT_EQ(Forwarded("/public/./a/b/../c?x=%2e%2e"), "/public/a/c?x=%2e%2e");
  EXPECT_EQ(Forwarded("/public/%7euser/%41%2d%c3%a9"), "/public/~user/A-%C3%A9");
  EXPECT_EQ(Forwarded("/public/plain"), "/public/plain");
  EXPECT_EQ(Forwarded("/public//twice"), "/public//twice");
}

TEST_F(PathNormalizationTest, OperatorOptions) {
  ASSERT_NO_FATAL_FAILURE(
      StartPublicOnly({"--merge_slashes", "--path_with_escaped_slashes=decode"}));
  EXPECT_EQ(Forwarded("//public///a//b"), "/public/a/b");
  EXPECT_EQ(Forwarded("/public/a%2Fb"), "/public/a/b");
  ExpectRefused("/public/..%2f..%2fadmin", 400, "invalid_path");
}

TEST_F(PathNormalizationTest, EscapedSlashesCanBeKept) {
  ASSERT_NO_FATAL_FAILURE(StartPublicOnly({"--path_with_escaped_slashes=keep"}));
  EXPECT_EQ(Forwarded("/public/a%2fb"), "/public/a%2Fb");
}

TEST_F(PathNormalizationTest, BadFlagValueIsRefusedAtStart) {
  backend_ = &AddBackend("b");
  EXPECT_FALSE(StartProxy(SingleClusterConfig({backend_->port()}),
                          {"--path_with_escaped_slashes=sometimes"}));
}

}  // namespace
}  // namespace switchyard::testing
