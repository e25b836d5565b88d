// Fixture for tests that run yardctl commands in-process against FakeAdminServer.
#ifndef SWITCHYARD_TOOLS_YARDCTL_TESTING_COMMAND_TEST_H_
#define SWITCHYARD_TOOLS_YARDCTL_TESTING_COMMAND_TEST_H_

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/yardctl/testing/cli_runner.h"
#include "tools/yardctl/testing/fake_admin_server.h"

namespace switchyard::yardctl::testing {

// A valid snapshot file (two virtual hosts, three routes, two clusters).
inline constexpr char kValidYaml[] = R"yaml(virtual_hosts:
  - name: api
    domains: ["api.example.com"]
    routes:
      - name: users
        match: {prefix: /users/, methods: [GET]}
        route: {cluster: blue, timeout: 5s}
      - name: orders
        match: {regex: "/orders/[0-9]+"}
        route:
          weighted_clusters:
            clusters: [{name: blue, weight: 90}, {name: green, weight: 10}]
  - name: default
    domains: ["*"]
    routes:
      - name: all
        match: {prefix: /}
        route: {cluster: green}
clusters:
  - name: blue
    endpoints: [{address: 10.0.0.1, port: 8080, weight: 3}, {address: 10.0.0.2, port: 8080}]
  - name: green
    endpoints: [{address: "fd00::5", port: 8080}]
)yaml";

class CommandTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.ok()) << "the fake admin server did not start"; }

  // Runs yardctl with --server pointing at the fake.
  CliResult Run(std::vector<std::string> args) {
    args.push_back("--server=" + server_.address());
    return RunCli(args, options_);
  }

  FakeAdminServer server_;
  CliOptions options_;
};

}  // namespace switchyard::yardctl::testing

#endif  // SWITCHYARD_TOOLS_YARDCTL_TESTING_COMMAND_TEST_H_
