// The proxy's access log (docs/operations.md, "Access log") and its trace context: one
// JSON line per request with the fields an operator joins on (request id, trace id) and
// the ones they count (status, route, cluster, bytes, durations); a FIFO nobody reads
// loses records, counted in /metrics, and never a request; SIGHUP reopens the file after
// rotation; a route's sample_rate 0 keeps its requests out.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/metrics_page.h"
#include "tests/support/poll.h"
#include "tests/support/proxy_test.h"

namespace switchyard::testing {
namespace {

std::vector<nlohmann::json> LogLines(const std::string& path) {
  std::vector<nlohmann::json> lines;
  const std::string text = ReadFile(path);
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(nlohmann::json::parse(text.substr(start, end - start)));
  }
  return lines;
}

class AccessLogTest : public ProxyTest {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("access_log");
    log_path_ = dir_ + "/access.log";
    backend_ = &AddBackend("b");
  }

  std::string dir_;
  std::string log_path_;
  TestBackend* backend_ = nullptr;
};

TEST_F(AccessLogTest, OneLinePerRequestWithWhatTheBackendSaw) {
  ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()}), {"--access_log=" + log_path_}));
  const std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ASSERT_EQ(RoundTrip("GET /users/7?q=1 HTTP/1.1\r\nHost: api.example.com\r\n"
                      "traceparent: " +
                      traceparent + "\r\ntracestate: congo=t61rcWkgMzE\r\n\r\n")
                .status,
            200);
  ASSERT_EQ(RoundTrip("POST /orders HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 5\r\n"
                      "\r\nhello")
                .status,
            200);
  ASSERT_EQ(RoundTrip("GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
                      "\r\n")
                .status,
            400);  // refused by the codec: no stream, no record
  ASSERT_TRUE(PollUntil([&] { return LogLines(log_path_).size() >= 2; }));
  const std::vector<nlohmann::json> lines = LogLines(log_path_);
  ASSERT_EQ(lines.size(), 2u);
  const std::vector<ReceivedRequest> seen = backend_->requests();
  ASSERT_EQ(seen.size(), 2u);

  const nlohmann::json& get = lines[0];
  EXPECT_EQ(get["method"], "GET");
  EXPECT_EQ(get["path"], "/users/7?q=1");
  EXPECT_EQ(get["authority"], "api.example.com");
  EXPECT_EQ(get["protocol"], "HTTP/1.1");
  EXPECT_EQ(get["status"], 200);
  EXPECT_EQ(get["reason"], "");
  EXPECT_EQ(get["route"], "r");
  EXPECT_EQ(get["cluster"], "c");
  EXPECT_EQ(get["endpoint"], "127.0.0.1:" + std::to_string(backend_->port()));
  EXPECT_EQ(get["client_address"], "127.0.0.1");
  EXPECT_EQ(get["bytes_received"], 0);
  EXPECT_EQ(get["bytes_sent"], 1);  // the default backend's body: its name
  EXPECT_EQ(get["request_id"], seen[0].headers.Get("x-request-id").value_or("?"));
  // The client's trace context reached the backend unchanged, and its id is logged.
  EXPECT_EQ(get["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(seen[0].headers.Get("traceparent"), traceparent);
  EXPECT_EQ(seen[0].headers.Get("tracestate"), "congo=t61rcWkgMzE");
  EXPECT_TRUE(get["duration_ms"].is_number());
  EXPECT_TRUE(get["upstream_connect_ms"].is_number());
  EXPECT_TRUE(get["upstream_response_head_ms"].is_number());
  EXPECT_LE(get["upstream_response_head_ms"].get<double>(), get["duration_ms"].get<double>());
  EXPECT_EQ(std::string(get["time"]).size(), std::string("2026-11-30T07:01:02.012345Z").size());

  const nlohmann::json& post = lines[1];
  EXPECT_EQ(post["method"], "POST");
  EXPECT_EQ(post["bytes_received"], 5);
  // No traceparent from the client: a new trace, whose id the backend got and the log has.
  const std::string started = seen[1].headers.Get("traceparent").value_or("");
  ASSERT_EQ(started.size(), 55u) << started;
  EXPECT_EQ(post["trace_id"], started.substr(3, 32));
  EXPECT_EQ(started.substr(52), "-00");
}

TEST_F(AccessLogTest, LocalRepliesAreLoggedWithTheirReasonAndNoUpstream) {
  ASSERT_TRUE(
      StartProxy("virtual_hosts:\n- name: vh\n  domains: [only.example.com]\n  routes:\n"
                 "  - {name: r, match: {prefix: /}, route: {cluster: c}}\n"
                 "clusters:\n- {name: c, endpoints: [{address: 127.0.0.1, port: " +
                     std::to_string(backend_->port()) + "}]}\n",
                 {"--access_log=" + log_path_}));
  EXPECT_EQ(Get("/nowhere", "other.example.com").status, 404);
  ASSERT_TRUE(PollUntil([&] { return LogLines(log_path_).size() == 1; }));
  const nlohmann::json line = LogLines(log_path_)[0];
  EXPECT_EQ(line["status"], 404);
  EXPECT_EQ(line["reason"], "route_not_found");
  EXPECT_EQ(line["route"], "");
  EXPECT_EQ(line["endpoint"], "");
  EXPECT_TRUE(line["upstream_connect_ms"].is_null());
  EXPECT_TRUE(line["upstream_response_head_ms"].is_null());
  EXPECT_TRUE(line["duration_ms"].is_number());
}

TEST_F(AccessLogTest, AStalledFifoLosesRecordsNeverRequests) {
  const std::string fifo = dir_ + "/access.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // never read
  ASSERT_GE(reader, 0);
  ASSERT_TRUE(
      StartProxy(SingleClusterConfig({backend_->port()}),
                 {"--access_log=" + fifo, "--access_log_buffer=4KiB", "--admin=127.0.0.1:0"}));
  const std::string long_path = "/" + std::string(2000, 'p');
  RawClient client = Connect();
  for (int i = 0; i < 300; ++i) {
    const Response r =
        client.RoundTrip("GET " + long_path + " HTTP/1.1\r\nHost: example.com\r\n\r\n");
    ASSERT_EQ(r.status, 200) << "request " << i << ": " << r.DebugString();
  }
  int64_t dropped = 0;
  ASSERT_TRUE(PollUntil([&] {
    const std::string page = MetricsPage();
    dropped = MetricValue(page, "switchyard_access_log_records_total{outcome=\"dropped\"}");
    const int64_t written =
        MetricValue(page, "switchyard_access_log_records_total{outcome=\"written\"}");
    return dropped > 0 && written >= 0;
  }));
  EXPECT_LT(dropped, 300);
  ::close(reader);
}

TEST_F(AccessLogTest, SighupRotationUnderTrafficLosesNoLine) {
  ASSERT_TRUE(StartProxy(SingleClusterConfig({backend_->port()}),
                         {"--access_log=" + log_path_, "--workers=2"}));
  // Two clients send numbered requests while the file is moved and SIGHUP sent, twice.
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::vector<std::thread> clients;
  clients.reserve(2);
  for (int c = 0; c < 2; ++c) {
    clients.emplace_back([&, c] {
      RawClient client = Connect();
      for (int n = 0; !stop.load(); ++n) {
        const std::string path = "/c" + std::to_string(c) + "/" + std::to_string(n);
        if (client.RoundTrip("GET " + path + " HTTP/1.1\r\nHost: e\r\n\r\n").status != 200) {
          ADD_FAILURE() << path;
          return;
        }
        ++sent;
      }
    });
  }
  for (int rotation = 1; rotation <= 2; ++rotation) {
    const int before = sent.load();
    ASSERT_TRUE(PollUntil([&] { return sent.load() >= before + 200; }));
    // Some of them written to the file about to be moved.
    ASSERT_TRUE(PollUntil([&] { return !LogLines(log_path_).empty(); }));
    ASSERT_EQ(::rename(log_path_.c_str(), (log_path_ + "." + std::to_string(rotation)).c_str()), 0);
    ::kill(proxy().pid(), SIGHUP);
    ASSERT_TRUE(PollUntil([&] { return ::access(log_path_.c_str(), F_OK) == 0; }));
  }
  const int before = sent.load();
  ASSERT_TRUE(PollUntil([&] { return sent.load() >= before + 200; }));
  stop.store(true);
  for (std::thread& t : clients) t.join();

  const auto all_lines = [&] {
    return LogLines(log_path_ + ".1").size() + LogLines(log_path_ + ".2").size() +
           LogLines(log_path_).size();
  };
  ASSERT_TRUE(PollUntil([&] { return all_lines() >= static_cast<size_t>(sent.load()); }));
  EXPECT_EQ(all_lines(), static_cast<size_t>(sent.load()));
  // Each file got its share, and every request is there exactly once.
  std::set<std::string> paths;
  for (const std::string& file : {log_path_ + ".1", log_path_ + ".2", log_path_}) {
    const std::vector<nlohmann::json> lines = LogLines(file);
    EXPECT_FALSE(lines.empty()) << file;
    for (const nlohmann::json& line : lines) paths.insert(line["path"].get<std::string>());
  }
  EXPECT_EQ(paths.size(), static_cast<size_t>(sent.load()));
  EXPECT_NE(proxy().StderrContents().find("access log: reopened"), std::string::npos);
  EXPECT_TRUE(proxy().Running());  // SIGHUP is not a stop
}

TEST_F(AccessLogTest, ARouteWithSampleRateZeroIsNotLoggedAndStdoutWorks) {
  const std::string endpoint =
      "{address: 127.0.0.1, port: " + std::to_string(backend_->port()) + "}";
  ASSERT_TRUE(
      StartProxy("virtual_hosts:\n- name: vh\n  domains: [\"*\"]\n  routes:\n"
                 "  - {name: health, match: {prefix: /health}, route: {cluster: c}, "
                 "access_log: {sample_rate: 0}}\n"
                 "  - {name: rest, match: {prefix: /}, route: {cluster: c}}\n"
                 "clusters:\n- {name: c, endpoints: [" +
                     endpoint + "]}\n",
                 {"--access_log=-"}));
  for (int i = 0; i < 20; ++i) ASSERT_EQ(Get("/health").status, 200);
  ASSERT_EQ(Get("/api").status, 200);
  ASSERT_TRUE(PollUntil(
      [&] { return proxy().StdoutContents().find("\"path\":\"/api\"") != std::string::npos; }));
  EXPECT_EQ(proxy().StdoutContents().find("/health"), std::string::npos);
}

}  // namespace
}  // namespace switchyard::testing
