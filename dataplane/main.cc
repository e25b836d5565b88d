// switchyard-proxy: the data plane. Serves HTTP/1.1 with the routes and clusters of a
// snapshot read from --config (static mode). See README.md for the flags.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "dataplane/proxy/request_pipeline.h"
#include "dataplane/runtime/runtime_config.h"
#include "dataplane/server/server_options.h"
#include "dataplane/server/worker.h"
#include "switchyard/config/loader.h"

ABSL_FLAG(std::string, config, "", "Snapshot file (YAML or JSON) to serve. Required.");
ABSL_FLAG(std::string, listen, "0.0.0.0:8080",
          "Address and port for client connections, e.g. 127.0.0.1:8080 or [::]:8080. "
          "Port 0 picks a free port (see --ready_file).");
ABSL_FLAG(int, workers, 0, "Worker threads; 0 means one per CPU core.");
ABSL_FLAG(std::string, ready_file, "",
          "Once accepting connections, write the bound port to this file.");
ABSL_FLAG(int, max_request_headers_bytes, 64 * 1024,
          "Largest request header section (431 beyond); also bounds upstream response heads.");
ABSL_FLAG(int, max_headers, 100, "Most header fields per request (431 beyond).");
ABSL_FLAG(int, max_request_line, 8 * 1024, "Longest request line (414 beyond).");
ABSL_FLAG(absl::Duration, request_headers_timeout, absl::Seconds(10),
          "Time from a request's first byte to the end of its headers (408 beyond).");
ABSL_FLAG(absl::Duration, idle_timeout, absl::Seconds(60),
          "Close keep-alive connections idle this long, and streams without progress.");
ABSL_FLAG(absl::Duration, upstream_idle_timeout, absl::Seconds(30),
          "Do not reuse pooled upstream connections idle longer than this.");
ABSL_FLAG(int, max_connections_per_worker, 10000,
          "Client connections each worker serves at once; more wait in the backlog.");
ABSL_FLAG(std::string, via, "", "If set, add 'Via: 1.1 <via>' to requests and responses.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");

namespace switchyard {
namespace {

std::chrono::milliseconds ToMillis(absl::Duration d) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

bool ParseListen(const std::string& text, boost::asio::ip::tcp::endpoint& out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  uint32_t port = 0;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port > 65535) return false;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return false;
  out = {address, static_cast<uint16_t>(port)};
  return true;
}

bool ParseLogLevel(const std::string& text, LogLevel& level) {
  if (text == "debug") level = LogLevel::kDebug;
  else if (text == "info") level = LogLevel::kInfo;
  else if (text == "warning") level = LogLevel::kWarning;
  else if (text == "error") level = LogLevel::kError;
  else return false;
  return true;
}

int Main() {
  LogLevel level;
  if (!ParseLogLevel(absl::GetFlag(FLAGS_log_level), level)) {
    std::fprintf(stderr, "--log_level must be debug, info, warning or error\n");
    return 2;
  }
  SetLogLevel(level);

  const std::string config_path = absl::GetFlag(FLAGS_config);
  if (config_path.empty()) {
    std::fprintf(stderr, "--config is required (a snapshot file, YAML or JSON)\n");
    return 2;
  }
  auto snapshot = config::LoadSnapshotFile(config_path);
  if (!snapshot.ok()) {
    std::fprintf(stderr, "cannot load %s: %s\n", config_path.c_str(),
                 std::string(snapshot.status().message()).c_str());
    return 1;
  }
  auto compiled = runtime::RuntimeConfig::Compile(*snapshot);
  if (!compiled.ok()) {
    std::fprintf(stderr, "invalid config %s: %s\n", config_path.c_str(),
                 std::string(compiled.status().message()).c_str());
    return 1;
  }

  boost::asio::ip::tcp::endpoint listen;
  if (!ParseListen(absl::GetFlag(FLAGS_listen), listen)) {
    std::fprintf(stderr, "--listen must look like 127.0.0.1:8080 or [::1]:8080, got '%s'\n",
                 absl::GetFlag(FLAGS_listen).c_str());
    return 2;
  }

  server::ServerOptions options;
  options.limits.max_header_bytes = absl::GetFlag(FLAGS_max_request_headers_bytes);
  options.limits.max_headers = absl::GetFlag(FLAGS_max_headers);
  options.limits.max_request_line = absl::GetFlag(FLAGS_max_request_line);
  options.request_headers_timeout = ToMillis(absl::GetFlag(FLAGS_request_headers_timeout));
  options.idle_timeout = ToMillis(absl::GetFlag(FLAGS_idle_timeout));
  options.upstream_idle_timeout = ToMillis(absl::GetFlag(FLAGS_upstream_idle_timeout));
  options.max_connections_per_worker = absl::GetFlag(FLAGS_max_connections_per_worker);
  options.via = absl::GetFlag(FLAGS_via);
  if (options.limits.max_header_bytes < 1024 || options.limits.max_headers < 1 ||
      options.limits.max_request_line < 64 || options.max_connections_per_worker < 1 ||
      options.request_headers_timeout.count() <= 0 || options.idle_timeout.count() <= 0) {
    std::fprintf(stderr, "limits and timeouts must be positive (header bytes >= 1024, request "
                         "line >= 64)\n");
    return 2;
  }

  int workers = absl::GetFlag(FLAGS_workers);
  if (workers <= 0) workers = std::max(1u, std::thread::hardware_concurrency());

  // Workers inherit this mask: only the main thread takes SIGINT/SIGTERM, in sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const auto pipeline = proxy::RequestPipeline::Standard({.via = options.via});
  std::vector<std::unique_ptr<server::Worker>> pool;
  for (int i = 0; i < workers; ++i) {
    auto worker = std::make_unique<server::Worker>(i, options, *pipeline, *compiled);
    boost::system::error_code ec;
    // The first bind settles the port (when 0 was asked for); the rest share it.
    const auto bound = worker->Listen(listen, ec);
    if (ec) {
      std::fprintf(stderr, "cannot listen on %s: %s\n", absl::GetFlag(FLAGS_listen).c_str(),
                   ec.message().c_str());
      return 1;
    }
    listen = bound;
    pool.push_back(std::move(worker));
  }
  for (auto& worker : pool) worker->Start();
  LogInfo("serving config %s (version %llu) on %s:%u with %d workers", config_path.c_str(),
          static_cast<unsigned long long>((*compiled)->version()),
          listen.address().to_string().c_str(), listen.port(), workers);

  const std::string ready_file = absl::GetFlag(FLAGS_ready_file);
  if (!ready_file.empty()) {
    // Written to a temporary name and renamed, so a reader never sees half a file.
    const std::string tmp = ready_file + ".tmp";
    std::ofstream(tmp) << listen.port() << "\n";
    std::rename(tmp.c_str(), ready_file.c_str());
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  LogInfo("signal %d: stopping", signal_number);
  for (auto& worker : pool) worker->Stop();
  return 0;
}

}  // namespace
}  // namespace switchyard

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "switchyard-proxy --config=snapshot.yaml [--listen=0.0.0.0:8080] [--workers=N]");
  absl::ParseCommandLine(argc, argv);
  return switchyard::Main();
}
