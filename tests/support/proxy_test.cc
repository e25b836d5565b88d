#include "tests/support/proxy_test.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/ascii.h"
#include "tests/support/metrics_page.h"

namespace switchyard::testing {

bool HasLocalReplyMarker(const Response& r) {
  return r.headers.Get("x-switchyard-local-reply").value_or("") == "true";
}

::testing::AssertionResult IsLocalReply(const Response& r, int status,
                                        std::initializer_list<std::string_view> errors) {
  auto fail = [&](const std::string& why) {
    return ::testing::AssertionFailure() << why << "\nresponse: " << r.DebugString();
  };
  if (!r.complete) return fail("no complete response (" + r.error + ")");
  if (r.status != status) {
    return fail("status " + std::to_string(r.status) + ", want " + std::to_string(status));
  }
  if (!HasLocalReplyMarker(r)) return fail("missing 'x-switchyard-local-reply: true'");
  // A media type may carry parameters ("; charset=utf-8"); the type itself must be JSON.
  std::string type = r.headers.Get("content-type").value_or("");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  if (!EqualsIgnoreCase(type, "application/json")) {
    return fail("content-type is '" + r.headers.Get("content-type").value_or("") +
                "', want application/json");
  }
  const nlohmann::json body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return fail("body is not a JSON object");
  if (!body.contains("status") || !body["status"].is_number_integer() ||
      body["status"].get<int>() != status) {
    return fail("body \"status\" is not the number " + std::to_string(status));
  }
  if (!body.contains("error") || !body["error"].is_string()) {
    return fail("body has no string \"error\"");
  }
  const std::string error = body["error"].get<std::string>();
  if (error.empty()) return fail("body \"error\" is empty");
  if (errors.size() != 0 &&
      std::find(errors.begin(), errors.end(), std::string_view(error)) == errors.end()) {
    std::string want;
    for (std::string_view e : errors) {
      want += std::string(want.empty() ? "" : " or ") + "\"" + std::string(e) + "\"";
    }
    return fail("body \"error\" is \"" + error + "\", want " + want);
  }
  if (!body.contains("request_id") || !body["request_id"].is_string() ||
      body["request_id"].get<std::string>().empty()) {
    return fail("body has no non-empty string \"request_id\"");
  }
  return ::testing::AssertionSuccess();
}

std::string LocalReplyRequestId(const Response& r) {
  const nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  if (!body.is_object() || !body.contains("request_id") || !body["request_id"].is_string()) {
    return "";
  }
  return body["request_id"].get<std::string>();
}

std::string SingleClusterConfig(const std::vector<uint16_t>& ports, std::string_view route_extra) {
  std::string route = "{cluster: c";
  if (!route_extra.empty()) route += ", " + std::string(route_extra);
  route += "}";
  std::string endpoints;
  for (uint16_t p : ports) {
    if (!endpoints.empty()) endpoints += ", ";
    endpoints += "{address: 127.0.0.1, port: " + std::to_string(p) + "}";
  }
  return "virtual_hosts:\n"
         "- name: vh\n"
         "  domains: [\"*\"]\n"
         "  routes:\n"
         "  - {name: r, match: {prefix: \"/\"}, route: " +
         route +
         "}\n"
         "clusters:\n"
         "- {name: c, endpoints: [" +
         endpoints + "]}\n";
}

uint64_t WaitForSteadyValue(const std::function<uint64_t()>& value, Clock::duration quiet,
                            Clock::duration timeout) {
  const auto end = Clock::now() + timeout;
  uint64_t last = value();
  auto last_change = Clock::now();
  while (Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const uint64_t v = value();
    if (v != last) {
      last = v;
      last_change = Clock::now();
    } else if (Clock::now() - last_change >= quiet) {
      break;
    }
  }
  return last;
}

::testing::AssertionResult ProxyTest::StartProxy(const std::string& config_yaml,
                                                 std::vector<std::string> flags) {
  proxy_ = std::make_unique<ProxyProcess>(config_yaml, std::move(flags));
  std::string error;
  if (!proxy_->Start(&error)) {
    return ::testing::AssertionFailure() << "proxy failed to start: " << error << "\nconfig:\n"
                                         << config_yaml;
  }
  return ::testing::AssertionSuccess();
}

TestBackend& ProxyTest::AddBackend(std::string name, TestBackend::Handler handler,
                                   BackendOptions options) {
  backends_.push_back(std::make_unique<TestBackend>(std::move(name), std::move(handler), options));
  return *backends_.back();
}

Response ProxyTest::Get(std::string_view target, std::string_view host) {
  return RoundTrip(SimpleGet(target, host));
}

Response ProxyTest::RoundTrip(std::string_view request, const ReadOptions& options) {
  RawClient client = Connect();
  if (!client.connected()) {
    Response r;
    r.error = "connect: " + client.connect_error();
    return r;
  }
  return client.RoundTrip(request, options);
}

std::string ProxyTest::MetricsPage() {
  RawClient client(proxy().admin_port());
  return client.RoundTrip("GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n").body;
}

int64_t ProxyTest::Metric(const std::string& series) { return MetricValue(MetricsPage(), series); }

void ProxyTest::TearDown() {
  // A proxy the test stopped on purpose is allowed to be gone.
  if (proxy_ != nullptr && proxy_->started() && !proxy_->signalled()) {
    EXPECT_TRUE(proxy_->Running()) << "the proxy exited during the test ("
                                   << proxy_->exit_status().DebugString() << ")\nstderr:\n"
                                   << proxy_->StderrTail();
    if (HasFailure()) {
      std::cerr << "---- proxy stderr (tail) ----\n" << proxy_->StderrTail() << "\n----\n";
    }
  }
  if (proxy_ != nullptr && proxy_->started()) {
    // Stopped here, not by the destructor, so that what a sanitized proxy reports at exit
    // (a leak, a race while draining) is read and fails the test.
    proxy_->Stop();
    const std::string report = SanitizerReport(proxy_->StderrContents());
    EXPECT_TRUE(report.empty()) << "the proxy's sanitizer reported:\n" << report;
  }
  proxy_.reset();
  for (const auto& b : backends_) {
    const std::vector<std::string> errors = b->parse_errors();
    EXPECT_TRUE(errors.empty()) << "backend " << b->name()
                                << " received a malformed message from the proxy: "
                                << (errors.empty() ? "" : errors.front());
  }
  backends_.clear();
}

}  // namespace switchyard::testing
