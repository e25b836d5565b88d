// switchyard-proxy: the data plane. Serves HTTP/1.1 with the routes and clusters of a
// snapshot, either read from --config (static mode) or streamed by switchyard-control
// (--control_plane). See README.md for the flags.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/admin/admin_server.h"
#include "common/drain_sequence.h"
#include "common/endpoint.h"
#include "common/grpc_tls/credentials.h"
#include "common/grpc_tls/loopback.h"
#include "common/grpc_tls/tls_files.h"
#include "common/log.h"
#include "common/program_flags.h"
#include "common/ready_file.h"
#include "common/secret_file.h"
#include "common/sha256.h"
#include "common/stop_signals.h"
#include "dataplane/access_log/access_log_writer.h"
#include "dataplane/auth/jwks_fetcher.h"
#include "dataplane/config/config_manager.h"
#include "dataplane/config/discovery_client.h"
#include "dataplane/http/message_parser.h"
#include "dataplane/metrics/proxy_metrics.h"
#include "dataplane/overload/overload.h"
#include "dataplane/proxy/phase_chain.h"
#include "dataplane/server/connection_limits.h"
#include "dataplane/server/listener_handoff.h"
#include "dataplane/server/server_options.h"
#include "dataplane/server/worker.h"
#include "nlohmann/json.hpp"
#include "switchyard/config/loader.h"

ABSL_FLAG(std::string, config, "", "Static mode: the snapshot file (YAML or JSON) to serve.");
ABSL_FLAG(std::string, control_plane, "",
          "Dynamic mode: switchyard-control addresses, comma-separated (host:port,...).");
ABSL_FLAG(std::string, control_plane_ca, "",
          "PEM CA bundle that the control plane's certificate must chain to (TLS).");
ABSL_FLAG(std::string, control_plane_cert, "",
          "PEM client certificate naming this proxy's --node_id (see docs/security.md).");
ABSL_FLAG(std::string, control_plane_key, "", "PEM private key of --control_plane_cert.");
ABSL_FLAG(std::string, control_plane_server_name, "",
          "Check the control plane's certificate for this name instead of the address's host.");
ABSL_FLAG(bool, control_plane_insecure, false,
          "Talk plaintext to the control plane, without certificates: only for a control plane "
          "started with --insecure, on loopback.");
ABSL_FLAG(absl::Duration, control_plane_backoff, absl::Milliseconds(250),
          "First wait before reconnecting to the control plane after a failed stream; it "
          "doubles, with jitter, up to --control_plane_max_backoff.");
ABSL_FLAG(absl::Duration, control_plane_max_backoff, absl::Seconds(10),
          "Longest wait between attempts to reach the control plane.");
ABSL_FLAG(std::string, node_id, "", "This proxy's id for the control plane; default host-pid.");
ABSL_FLAG(std::string, node_group, "default", "This proxy's group, shown by `yardctl status`.");
ABSL_FLAG(std::string, node_labels, "", "Labels for `yardctl status`: k=v,k=v.");
ABSL_FLAG(std::string, snapshot_cache, "",
          "File for the last accepted snapshot; the proxy boots from it when the control "
          "plane is unreachable.");
ABSL_FLAG(absl::Duration, snapshot_cache_max_age, absl::Hours(24),
          "Do not boot from a cached snapshot older than this.");
ABSL_FLAG(int, max_routes, 0,
          "Refuse (NACK) snapshots with more routes than this replica is sized for; 0: any.");
ABSL_FLAG(std::string, listen, "0.0.0.0:8080",
          "Address and port for client connections, e.g. 127.0.0.1:8080 or [::]:8080. "
          "Port 0 picks a free port (see --ready_file).");
ABSL_FLAG(std::string, listen_tls, "",
          "Address and port for TLS client connections (HTTP/1.1 and HTTP/2 chosen by ALPN), "
          "e.g. 0.0.0.0:8443, served with the snapshot's certificates (docs/tls.md); empty: "
          "none. Port 0 picks a free port (the third line of --ready_file).");
ABSL_FLAG(std::string, admin, "",
          "Admin address, e.g. 127.0.0.1:9901 (/ready, /live, /stats, /metrics, /config_dump, "
          "POST /drain); empty: none.");
ABSL_FLAG(std::string, admin_token_file, "",
          "File (mode 0600) holding a bearer token that /stats and /config_dump require; "
          "required when --admin is not a loopback address.");
ABSL_FLAG(int, workers, 0, "Worker threads; 0 means one per CPU core.");
ABSL_FLAG(std::string, ready_file, "",
          "Once accepting connections, write the bound port (line 1), the admin port (line 2) "
          "and, with --listen_tls, the TLS port (line 3).");
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
ABSL_FLAG(int64_t, max_connections, 0,
          "Client connections the whole proxy serves at once; more are closed as soon as "
          "accepted (counted). 0: no limit beyond --max_connections_per_worker.");
ABSL_FLAG(int64_t, max_connections_per_ip, 0,
          "Client connections one client address may hold at once; more are closed as soon as "
          "accepted (counted). 0: no limit.");
ABSL_FLAG(uint32_t, http2_max_concurrent_streams, 100,
          "HTTP/2: streams one client connection may have open at once "
          "(SETTINGS_MAX_CONCURRENT_STREAMS). Header lists are bounded by "
          "--max_request_headers_bytes and --max_headers, as for HTTP/1.1.");
ABSL_FLAG(uint32_t, http2_initial_window_size, 65535,
          "HTTP/2: request body bytes a stream may send ahead of what the upstream has taken "
          "(SETTINGS_INITIAL_WINDOW_SIZE), 65535 to 16777216: memory per stream against "
          "upload throughput.");
ABSL_FLAG(std::string, proxy_protocol, "off",
          "PROXY protocol (v1 and v2) on --listen and --listen_tls (before the TLS "
          "handshake), from an L4 load balancer in front: "
          "'required' (a connection without a valid header is closed), 'optional' (used "
          "when present: only for a listener nothing but the balancer can reach) or 'off'. "
          "The header's client address is used for X-Forwarded-For and the access log.");
ABSL_FLAG(std::string, max_memory, "",
          "Heap the proxy may use, e.g. 512MiB or 2GiB: above 85% it stops accepting and turns "
          "keep-alive off, above 95% it answers new requests 503, and it recovers below 80% "
          "and 90%. Empty: no limit.");
ABSL_FLAG(std::string, headers_with_underscores, "drop",
          "Request header names containing '_': allow, drop or reject (400).");
ABSL_FLAG(bool, merge_slashes, false,
          "Merge repeated slashes in request paths before routing and forwarding.");
ABSL_FLAG(std::string, path_with_escaped_slashes, "reject",
          "%2F and %5C in request paths: keep (forward encoded), reject (400) or decode.");
ABSL_FLAG(std::string, via, "", "If set, add 'Via: 1.1 <via>' to requests and responses.");
ABSL_FLAG(int, xff_trusted_hops, 0,
          "Auth rules' client_ips see the Nth address from the right of X-Forwarded-For as "
          "received (N proxies in front that each append one, and that clients cannot "
          "bypass); 0: the peer's address, or the PROXY protocol's. At most 10.");
ABSL_FLAG(absl::Duration, drain_grace_period, absl::Seconds(5),
          "On SIGTERM or POST /drain: how long to keep accepting while /ready says 503, so "
          "load balancers stop sending here first. Longer than their health-check interval "
          "times the failures they need.");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(20),
          "After the grace period closes the listeners: how long requests in flight may take "
          "to finish before their connections are cut. A second SIGTERM cuts at once.");
ABSL_FLAG(std::string, access_log, "",
          "Access log: one JSON line per request, to this file (appended; reopened on SIGHUP "
          "for rotation) or to stdout with '-'; empty: none. Written off the workers; records "
          "that would wait for a slow disk are dropped and counted.");
ABSL_FLAG(std::string, access_log_buffer, "1MiB",
          "Access-log records each worker holds until the writer thread takes them (every "
          "100 ms, or sooner when half full), in bytes (a record takes about 250), e.g. 1MiB; "
          "at least 4KiB. Beyond, records are dropped and counted.");
ABSL_FLAG(std::string, handoff_socket, "",
          "Unix socket path (at most 107 bytes) where this proxy offers its listening sockets "
          "to a successor started with --take_listeners_from (binary upgrade); empty: none.");
ABSL_FLAG(std::string, take_listeners_from, "",
          "Start on the listening sockets of the proxy offering them at this Unix socket "
          "path; it drains once this one serves. --listen and --admin must name the same "
          "addresses (or port 0).");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(std::string, log_format, "text",
          "text (one readable line per event) or json (one JSON object per line) on stderr.");

namespace switchyard {
namespace {

constexpr char kBuildVersion[] = "switchyard-proxy 0.1";
// A worker whose event loop has not turned for this long is stuck: /live says so.
constexpr auto kStuckWorker = std::chrono::seconds(10);
// How often a draining proxy looks at its open connections.
constexpr auto kDrainPoll = std::chrono::milliseconds(50);

// The same rule as snapshot durations (proto/switchyard/config/duration.h): whole
// milliseconds, rounded up, so a positive flag value never becomes 0.
std::chrono::milliseconds ToMillis(absl::Duration d) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1))));
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "switchyard-proxy: %s\n", message.c_str());
  return 2;
}

std::optional<server::ServerOptions> ServerOptionsFromFlags(std::string& error) {
  server::ServerOptions options;
  options.limits.max_header_bytes = absl::GetFlag(FLAGS_max_request_headers_bytes);
  options.limits.max_headers = absl::GetFlag(FLAGS_max_headers);
  options.limits.max_request_line = absl::GetFlag(FLAGS_max_request_line);
  options.request_headers_timeout = ToMillis(absl::GetFlag(FLAGS_request_headers_timeout));
  options.idle_timeout = ToMillis(absl::GetFlag(FLAGS_idle_timeout));
  options.upstream_idle_timeout = ToMillis(absl::GetFlag(FLAGS_upstream_idle_timeout));
  options.max_connections_per_worker = absl::GetFlag(FLAGS_max_connections_per_worker);
  options.via = absl::GetFlag(FLAGS_via);
  options.paths.merge_slashes = absl::GetFlag(FLAGS_merge_slashes);
  const std::string escaped = absl::GetFlag(FLAGS_path_with_escaped_slashes);
  if (escaped == "keep") {
    options.paths.escaped_slashes = http::EscapedSlashes::kKeep;
  } else if (escaped == "reject") {
    options.paths.escaped_slashes = http::EscapedSlashes::kReject;
  } else if (escaped == "decode") {
    options.paths.escaped_slashes = http::EscapedSlashes::kDecode;
  } else {
    error = "--path_with_escaped_slashes must be keep, reject or decode, got '" + escaped + "'";
    return std::nullopt;
  }
  const std::string underscores = absl::GetFlag(FLAGS_headers_with_underscores);
  if (!http::ParseHeadersWithUnderscores(underscores, options.limits.headers_with_underscores)) {
    error = "--headers_with_underscores must be allow, drop or reject, got '" + underscores + "'";
    return std::nullopt;
  }
  if (absl::GetFlag(FLAGS_max_request_headers_bytes) < 1024 ||
      absl::GetFlag(FLAGS_max_headers) < 1 || absl::GetFlag(FLAGS_max_request_line) < 64 ||
      absl::GetFlag(FLAGS_max_connections_per_worker) < 1 ||
      absl::GetFlag(FLAGS_drain_grace_period) < absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_drain_timeout) < absl::ZeroDuration() ||
      options.request_headers_timeout.count() <= 0 || options.idle_timeout.count() <= 0) {
    error =
        "limits and timeouts must be positive (header bytes >= 1024, request line >= 64; "
        "drain durations may be 0)";
    return std::nullopt;
  }
  if (const int hops = absl::GetFlag(FLAGS_xff_trusted_hops); hops < 0 || hops > 10) {
    error = absl::StrCat("--xff_trusted_hops must be 0..10, got ", hops);
    return std::nullopt;
  }
  options.http2.max_concurrent_streams = absl::GetFlag(FLAGS_http2_max_concurrent_streams);
  options.http2.initial_window_size = absl::GetFlag(FLAGS_http2_initial_window_size);
  if (options.http2.max_concurrent_streams < 1 || options.http2.max_concurrent_streams > 10'000 ||
      options.http2.initial_window_size < 65535 ||
      options.http2.initial_window_size > 16 * 1024 * 1024) {
    error =
        "--http2_max_concurrent_streams must be 1 to 10000 and --http2_initial_window_size "
        "65535 to 16777216";
    return std::nullopt;
  }
  const std::string proxy_protocol = absl::GetFlag(FLAGS_proxy_protocol);
  if (!server::ParseProxyProtocolMode(proxy_protocol, options.proxy_protocol)) {
    error = "--proxy_protocol must be off, optional or required, got '" + proxy_protocol + "'";
    return std::nullopt;
  }
  if (options.proxy_protocol != server::ProxyProtocolMode::kOff &&
      absl::GetFlag(FLAGS_max_connections_per_ip) > 0) {
    // Connections are admitted before their header is read, so the limit would count the
    // balancer's address, and one client could exhaust it for everyone.
    error =
        "--max_connections_per_ip cannot be combined with --proxy_protocol: every connection "
        "comes from the load balancer's address; limit per client at the balancer";
    return std::nullopt;
  }
  return options;
}

std::optional<v1::Node> NodeFromFlags(std::string& error) {
  v1::Node node;
  std::string id = absl::GetFlag(FLAGS_node_id);
  if (id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    id = absl::StrCat(host, "-", getpid());
  }
  node.set_id(id);
  node.set_group(absl::GetFlag(FLAGS_node_group));
  node.set_build_version(kBuildVersion);
  const std::string labels = absl::GetFlag(FLAGS_node_labels);
  for (absl::string_view pair : absl::StrSplit(labels, ',', absl::SkipEmpty())) {
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      error = absl::StrCat("--node_labels wants k=v pairs, got '", pair, "'");
      return std::nullopt;
    }
    (*node.mutable_labels())[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
  }
  return node;
}

using Workers = std::vector<std::unique_ptr<server::Worker>>;

// "512MiB", "2GiB", "65536" (bytes); KiB, MiB, GiB (also K, M, G) are powers of 1024.
bool ParseBytes(absl::string_view text, uint64_t& bytes) {
  static constexpr std::pair<absl::string_view, uint64_t> kUnits[] = {
      {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10},
      {"G", 1ull << 30},   {"M", 1ull << 20},   {"K", 1ull << 10}};
  uint64_t unit = 1;
  for (const auto& [suffix, size] : kUnits) {
    if (absl::ConsumeSuffix(&text, suffix)) {
      unit = size;
      break;
    }
  }
  uint64_t count = 0;
  if (!absl::SimpleAtoi(text, &count) || count == 0 || count > (1ull << 50) / unit) return false;
  bytes = count * unit;
  return true;
}

// The /metrics page: every worker's counts and the config state.
std::string MetricsText(const config::ConfigManager& manager, const auth::JwksFetcher& jwks,
                        const Workers& workers, bool draining,
                        const access_log::AccessLogWriter* access_log,
                        const overload::OverloadMonitor* overload) {
  std::vector<std::shared_ptr<const metrics::WorkerView>> views;
  views.reserve(workers.size());
  for (const auto& worker : workers) views.push_back(worker->metrics_view());
  const config::ConfigManager::Stats stats = manager.stats();
  const auth::JwksFetcher::Stats fetches = jwks.stats();
  return metrics::RenderProxyMetrics(
      views,
      {.version = stats.version,
       .swaps = stats.swaps,
       .rejections = stats.rejections,
       .last_compile_seconds = absl::ToDoubleSeconds(stats.last_compile_time),
       .certificate_reloads = stats.certificate_reloads,
       .certificate_reload_failures = stats.certificate_reload_failures,
       .jwks_fetches = fetches.fetched,
       .jwks_fetch_failures = fetches.failed,
       .certificates = manager.current() != nullptr ? manager.current()->certificates() : nullptr,
       .draining = draining,
       .overload = overload != nullptr
                       ? std::optional<overload::OverloadMonitor::Stats>(overload->stats())
                       : std::nullopt,
       .access_log = access_log != nullptr
                         ? std::optional<access_log::AccessLogWriter::Stats>(access_log->stats())
                         : std::nullopt});
}

// /live: empty while every worker's event loop turns.
std::string NotLiveReason(const Workers& workers) {
  const auto now = std::chrono::steady_clock::now();
  for (const auto& worker : workers) {
    const auto stalled = now - worker->last_turn();
    if (stalled > kStuckWorker) {
      return absl::StrCat("worker ", worker->index(), "'s event loop has not turned for ",
                          std::chrono::duration_cast<std::chrono::seconds>(stalled).count(), " s");
    }
  }
  return "";
}

// An inherited socket must be where the flags say this process listens (port 0: anywhere).
bool SameListener(const boost::asio::ip::tcp::endpoint& flag,
                  const boost::asio::ip::tcp::endpoint& inherited) {
  return flag.port() == 0 ? flag.address() == inherited.address() : flag == inherited;
}

std::string EndpointText(const boost::asio::ip::tcp::endpoint& endpoint) {
  const std::string address = endpoint.address().to_string();
  return endpoint.address().is_v6() ? absl::StrCat("[", address, "]:", endpoint.port())
                                    : absl::StrCat(address, ":", endpoint.port());
}

size_t OpenConnections(const Workers& workers) {
  size_t open = 0;
  for (const auto& worker : workers) open += worker->open_connections();
  return open;
}

// The graceful shutdown (docs/operations.md, "Draining"), from the first SIGTERM, SIGINT
// or POST /drain until every connection is closed, the deadline passes or a second signal
// comes. The caller has already made /ready say "draining".
void Drain(const Workers& workers, const DrainSequence::Options& options,
           const std::function<void()>& on_hangup) {
  LogInfo(
      "draining: /ready is 503; listeners close in %lld ms, then requests in flight have "
      "%lld ms (a second SIGTERM cuts them now); %zu connections open",
      static_cast<long long>(options.grace_period.count()),
      static_cast<long long>(options.timeout.count()), OpenConnections(workers));
  for (const auto& worker : workers) worker->BeginDrain();
  DrainSequence drain(options, std::chrono::steady_clock::now());
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    const size_t open = OpenConnections(workers);
    const DrainSequence::Action action = drain.Advance(now, open);
    if (action.close_listeners) {
      for (const auto& worker : workers) worker->CloseListener();
      LogInfo("draining: listeners closed; %zu connections open", open);
    }
    if (action.finished) break;
    const auto wait = std::clamp(
        std::chrono::duration_cast<std::chrono::milliseconds>(drain.next_deadline() - now),
        std::chrono::milliseconds(1), kDrainPoll);
    const int again = WaitForSignalFor(wait);
    if (again != 0 && !IsStopSignal(again)) {
      on_hangup();
    } else if (again != 0) {
      LogWarning("signal %d while draining: cutting %zu connections now", again,
                 OpenConnections(workers));
      return;
    }
  }
  if (drain.cut_connections()) {
    LogWarning("drain timeout: cutting %zu connections still open", OpenConnections(workers));
  } else {
    LogInfo("drained: every connection closed");
  }
}

std::string StatsJson(const config::ConfigManager& manager,
                      const config::DiscoveryClient* discovery, int workers) {
  nlohmann::json stats = {
      {"version", manager.version()},
      {"ready", manager.ready()},
      {"workers", workers},
      {"snapshots_alive", runtime::RuntimeConfig::LiveCount()},
  };
  if (discovery != nullptr) {
    const config::DiscoveryClient::Stats d = discovery->stats();
    stats["discovery"] = {
        {"connected", d.connected}, {"server", d.server}, {"running_version", d.running_version},
        {"acks", d.acks},           {"nacks", d.nacks},   {"last_nack_error", d.last_nack_error},
    };
  }
  return stats.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// TLS towards the control plane from the --control_plane_* files, or plaintext with
// --control_plane_insecure (null credentials). Static mode needs neither.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ControlPlaneCredentials(
    const std::string& control_plane) {
  TlsSettings tls;
  tls.files = {.ca = absl::GetFlag(FLAGS_control_plane_ca),
               .cert = absl::GetFlag(FLAGS_control_plane_cert),
               .key = absl::GetFlag(FLAGS_control_plane_key),
               .ca_flag = "control_plane_ca",
               .cert_flag = "control_plane_cert",
               .key_flag = "control_plane_key"};
  const bool any_tls = !tls.files.ca.empty() || !tls.files.cert.empty() || !tls.files.key.empty();
  const bool insecure = absl::GetFlag(FLAGS_control_plane_insecure);
  if (control_plane.empty()) {
    if (any_tls || insecure) {
      return absl::InvalidArgumentError("--control_plane_* flags need --control_plane");
    }
    return nullptr;
  }
  if (insecure) {
    if (any_tls) {
      return absl::InvalidArgumentError(
          "--control_plane_insecure and the --control_plane_ca/cert/key flags exclude each other");
    }
    LogWarning(
        "--control_plane_insecure: plaintext to the control plane; its identity is not "
        "checked and anyone on the path can read and change this proxy's configuration");
    return nullptr;
  }
  if (!any_tls) {
    return absl::InvalidArgumentError(
        "give --control_plane_ca, --control_plane_cert and --control_plane_key (see "
        "deploy/pki/make-pki.sh), or --control_plane_insecure for a control plane started "
        "with --insecure");
  }
  if (absl::Status files = CheckTlsFiles(tls.files, /*require_identity=*/true, absl::Now());
      !files.ok()) {
    return files;
  }
  return ChannelTlsCredentials(tls);
}

// glibc would otherwise give the top of a worker's heap back to the kernel as soon as it is
// free, and take it again moments later: a TLS connection allocates and frees its 17 KiB
// record buffers around every read and write (SSL_MODE_RELEASE_BUFFERS, which keeps idle
// connections light), and each round trip cost an mprotect and fresh page faults (1.5
// mprotect calls per TLS connection under tools/bench/h2load.sh's handshake run; none with
// this). Each heap keeps up to 4 MiB free at its top and grows 1 MiB at a time.
void KeepHeapsWarm() {
  mallopt(M_TRIM_THRESHOLD, 4 << 20);
  mallopt(M_TOP_PAD, 1 << 20);
}

int Main() {
  KeepHeapsWarm();
  if (std::string error;
      !ConfigureLogging(absl::GetFlag(FLAGS_log_level), absl::GetFlag(FLAGS_log_format),
                        "switchyard-proxy", error)) {
    return Fail(error);
  }

  std::string error;
  auto options = ServerOptionsFromFlags(error);
  if (!options) return Fail(error);
  // Shared by the workers, so declared before them.
  if (absl::GetFlag(FLAGS_max_connections) < 0 || absl::GetFlag(FLAGS_max_connections_per_ip) < 0) {
    return Fail("--max_connections and --max_connections_per_ip must be 0 (no limit) or more");
  }
  std::unique_ptr<server::ConnectionLimits> connection_limits;
  if (absl::GetFlag(FLAGS_max_connections) > 0 || absl::GetFlag(FLAGS_max_connections_per_ip) > 0) {
    connection_limits = std::make_unique<server::ConnectionLimits>(
        static_cast<size_t>(absl::GetFlag(FLAGS_max_connections)),
        static_cast<size_t>(absl::GetFlag(FLAGS_max_connections_per_ip)));
    options->connection_limits = connection_limits.get();
  }
  std::unique_ptr<overload::OverloadMonitor> memory_guard;
  if (const std::string limit = absl::GetFlag(FLAGS_max_memory); !limit.empty()) {
    uint64_t bytes = 0;
    if (!ParseBytes(limit, bytes) || bytes < (16ull << 20)) {
      return Fail(
          absl::StrCat("--max_memory must be a size of at least 16MiB, e.g. 512MiB or "
                       "2GiB, got '",
                       limit, "'"));
    }
    memory_guard = std::make_unique<overload::OverloadMonitor>(bytes, overload::AllocatedBytes);
    memory_guard->Start();
    options->overload = memory_guard.get();
  }
  if (absl::GetFlag(FLAGS_control_plane_backoff) < absl::Milliseconds(1) ||
      absl::GetFlag(FLAGS_control_plane_max_backoff) < absl::GetFlag(FLAGS_control_plane_backoff)) {
    return Fail(
        "--control_plane_backoff must be at least 1ms and at most --control_plane_max_backoff");
  }
  const std::string config_path = absl::GetFlag(FLAGS_config);
  const std::string control_plane = absl::GetFlag(FLAGS_control_plane);
  if (config_path.empty() == control_plane.empty()) {
    return Fail("give either --config=FILE (static mode) or --control_plane=HOST:PORT");
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> control_plane_credentials =
      ControlPlaneCredentials(control_plane);
  if (!control_plane_credentials.ok()) {
    return Fail(std::string(control_plane_credentials.status().message()));
  }
  // The control plane accepts only the node id the certificate names; a made-up default
  // (host-pid) would be refused forever.
  if (*control_plane_credentials != nullptr && absl::GetFlag(FLAGS_node_id).empty()) {
    return Fail("--control_plane_cert needs --node_id: the node id that certificate names");
  }
  boost::asio::ip::tcp::endpoint listen;
  if (!ParseEndpoint(absl::GetFlag(FLAGS_listen), listen)) {
    return Fail(absl::StrCat("--listen must look like 127.0.0.1:8080 or [::1]:8080, got '",
                             absl::GetFlag(FLAGS_listen), "'"));
  }
  const std::string listen_tls_flag = absl::GetFlag(FLAGS_listen_tls);
  boost::asio::ip::tcp::endpoint listen_tls;
  if (!listen_tls_flag.empty() && !ParseEndpoint(listen_tls_flag, listen_tls)) {
    return Fail(absl::StrCat("--listen_tls must look like 127.0.0.1:8443 or [::1]:8443, got '",
                             listen_tls_flag, "'"));
  }
  boost::asio::ip::tcp::endpoint admin_endpoint;
  const std::string admin_flag = absl::GetFlag(FLAGS_admin);
  if (!admin_flag.empty() && !ParseEndpoint(admin_flag, admin_endpoint)) {
    return Fail(absl::StrCat("--admin must look like 127.0.0.1:9901, got '", admin_flag, "'"));
  }
  std::string admin_token_sha256;
  if (const std::string token_file = absl::GetFlag(FLAGS_admin_token_file); !token_file.empty()) {
    absl::StatusOr<std::string> token = ReadSecretFile(token_file, "--admin_token_file");
    if (!token.ok()) return Fail(std::string(token.status().message()));
    admin_token_sha256 = Sha256Hex(*token);
  } else if (!admin_flag.empty() && !IsLoopbackAddress(admin_flag)) {
    return Fail(absl::StrCat("--admin=", admin_flag,
                             " is reachable from other hosts: give --admin_token_file (the "
                             "config dump is not for everyone), or bind it to 127.0.0.1"));
  }
  const auto node = NodeFromFlags(error);
  if (!node) return Fail(error);

  // Before the manager, which uses it for every install (docs/auth.md, "Keys from a URL").
  auth::JwksFetcher jwks_fetcher;
  config::ConfigManagerOptions manager_options;
  manager_options.jwks_fetcher = &jwks_fetcher;
  manager_options.max_routes = static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_max_routes)));
  if (!absl::GetFlag(FLAGS_snapshot_cache).empty()) {
    manager_options.cache.emplace(absl::GetFlag(FLAGS_snapshot_cache));
  }
  // Certificates from files are served only to --listen_tls; without it nothing to watch.
  manager_options.watch_certificate_files = !listen_tls_flag.empty();
  config::ConfigManager manager(manager_options);
  std::optional<v1::Snapshot> booted_from_cache;
  if (!config_path.empty()) {
    auto snapshot = config::LoadSnapshotFile(config_path);
    if (!snapshot.ok()) {
      std::fprintf(stderr, "cannot load %s: %s\n", config_path.c_str(),
                   std::string(snapshot.status().message()).c_str());
      return 1;
    }
    if (absl::Status installed = manager.Install(*snapshot, config::ConfigManager::Source::kFile);
        !installed.ok()) {
      std::fprintf(stderr, "invalid config %s: %s\n", config_path.c_str(),
                   std::string(installed.message()).c_str());
      return 1;
    }
  } else if (manager_options.cache.has_value()) {
    auto cached =
        manager_options.cache->Load(absl::GetFlag(FLAGS_snapshot_cache_max_age), absl::Now());
    absl::Status status = cached.status();
    if (cached.ok()) status = manager.Install(*cached, config::ConfigManager::Source::kCache);
    if (status.ok()) {
      LogInfo("booted from cached snapshot version %llu",
              static_cast<unsigned long long>(cached->version()));
      booted_from_cache = std::move(*cached);
    } else {
      LogInfo("not booting from the snapshot cache: %s", std::string(status.message()).c_str());
    }
  }

  int worker_count = absl::GetFlag(FLAGS_workers);
  if (worker_count <= 0) worker_count = std::max(1u, std::thread::hardware_concurrency());

  // Before the workers start, so that only this thread takes SIGINT/SIGTERM.
  BlockServerSignals();

  // A binary upgrade: the predecessor's listening sockets, before any worker binds.
  std::unique_ptr<server::HandoffClient> predecessor;
  if (const std::string from = absl::GetFlag(FLAGS_take_listeners_from); !from.empty()) {
    absl::StatusOr<std::unique_ptr<server::HandoffClient>> received =
        server::HandoffClient::Receive(from);
    if (!received.ok()) return Fail(std::string(received.status().message()));
    predecessor = std::move(*received);
    const server::HandedListeners& got = predecessor->listeners();
    const size_t inherited = std::max(got.listeners.size(), got.tls_listeners.size());
    const std::string tls_sockets =
        got.tls_listeners.empty()
            ? std::string()
            : absl::StrCat(", ", got.tls_listeners.size(), " TLS listening sockets");
    LogInfo("took %zu listening sockets%s%s from the proxy at %s", got.listeners.size(),
            tls_sockets.c_str(), got.admin >= 0 ? " and its admin socket" : "", from.c_str());
    if (!got.tls_listeners.empty() && listen_tls_flag.empty()) {
      LogWarning("the predecessor's TLS listeners are closed: --listen_tls is not set");
    }
    // Every inherited socket needs a worker that accepts on it.
    if (static_cast<size_t>(worker_count) < inherited) {
      LogWarning("--workers=%d raised to %zu, the sockets inherited (restart cold to lower it)",
                 worker_count, inherited);
      worker_count = static_cast<int>(inherited);
    }
  }

  // Declared before the workers, so that it outlives them: they hold its producers.
  std::unique_ptr<access_log::AccessLogWriter> access_log;
  if (const std::string path = absl::GetFlag(FLAGS_access_log); !path.empty()) {
    const std::string buffer = absl::GetFlag(FLAGS_access_log_buffer);
    uint64_t buffer_bytes = 0;
    if (!ParseBytes(buffer, buffer_bytes) || buffer_bytes > (1ull << 30)) {
      return Fail(absl::StrCat("--access_log_buffer must be a size up to 1GiB, e.g. 512KiB, got '",
                               buffer, "'"));
    }
    absl::StatusOr<std::unique_ptr<access_log::AccessLogWriter>> opened =
        access_log::AccessLogWriter::Open(
            {.path = path, .buffer_bytes = static_cast<size_t>(buffer_bytes)}, worker_count);
    if (!opened.ok()) return Fail(std::string(opened.status().message()));
    access_log = std::move(*opened);
  }

  const proxy::PhaseChain phases(proxy::PhaseChain::StandardPhases(
      {.via = options->via,
       .paths = options->paths,
       .xff_trusted_hops = absl::GetFlag(FLAGS_xff_trusted_hops)}));
  Workers workers;
  std::vector<config::ConfigSink*> worker_pointers;
  for (int i = 0; i < worker_count; ++i) {
    auto worker = std::make_unique<server::Worker>(i, *options, phases, manager.current());
    if (access_log != nullptr) worker->services().access_log = &access_log->producer(i);
    boost::system::error_code ec;
    std::vector<int>* inherited =
        predecessor != nullptr ? &predecessor->listeners().listeners : nullptr;
    if (inherited != nullptr && static_cast<size_t>(i) < inherited->size()) {
      const auto adopted =
          worker->Adopt(server::ListenerKind::kPlain, std::exchange((*inherited)[i], -1), ec);
      if (ec) return Fail(absl::StrCat("cannot use an inherited listener: ", ec.message()));
      if (!SameListener(listen, adopted)) {
        return Fail(absl::StrCat("the inherited listener is on ", EndpointText(adopted),
                                 " but --listen is ", absl::GetFlag(FLAGS_listen)));
      }
      listen = adopted;
    } else {
      // The first bind settles the port (when 0 was asked for); the rest share it.
      const auto bound = worker->Listen(server::ListenerKind::kPlain, listen, ec);
      if (ec) {
        std::fprintf(stderr, "cannot listen on %s: %s\n", absl::GetFlag(FLAGS_listen).c_str(),
                     ec.message().c_str());
        return 1;
      }
      listen = bound;
    }
    std::vector<int>* inherited_tls =
        predecessor != nullptr ? &predecessor->listeners().tls_listeners : nullptr;
    if (!listen_tls_flag.empty() && inherited_tls != nullptr &&
        static_cast<size_t>(i) < inherited_tls->size()) {
      // The predecessor's own socket, so that the connections in its accept queue are
      // served rather than reset when it closes its copy.
      const auto adopted =
          worker->Adopt(server::ListenerKind::kTls, std::exchange((*inherited_tls)[i], -1), ec);
      if (ec) return Fail(absl::StrCat("cannot use an inherited TLS listener: ", ec.message()));
      if (!SameListener(listen_tls, adopted)) {
        return Fail(absl::StrCat("the inherited TLS listener is on ", EndpointText(adopted),
                                 " but --listen_tls is ", listen_tls_flag));
      }
      listen_tls = adopted;
    } else if (!listen_tls_flag.empty()) {
      // No TLS socket to inherit (a cold start, a predecessor without --listen_tls or of
      // an older version, more workers than it had): SO_REUSEPORT shares the port.
      const auto bound = worker->Listen(server::ListenerKind::kTls, listen_tls, ec);
      if (ec) {
        std::fprintf(stderr, "cannot listen on %s: %s\n", listen_tls_flag.c_str(),
                     ec.message().c_str());
        return 1;
      }
      listen_tls = bound;
    }
    worker_pointers.push_back(worker.get());
    workers.push_back(std::move(worker));
  }
  manager.AttachSinks(worker_pointers);
  // A snapshot installed between the workers' creation and AttachSinks reaches them here.
  if (auto current = manager.current()) {
    for (config::ConfigSink* worker : worker_pointers) worker->Publish(current);
  }

  std::unique_ptr<config::DiscoveryClient> discovery;
  if (!control_plane.empty()) {
    config::DiscoveryClient::Options discovery_options;
    for (absl::string_view server : absl::StrSplit(control_plane, ',', absl::SkipEmpty())) {
      discovery_options.servers.emplace_back(server);
    }
    discovery_options.node = *node;
    discovery_options.initial_backoff = absl::GetFlag(FLAGS_control_plane_backoff);
    discovery_options.max_backoff = absl::GetFlag(FLAGS_control_plane_max_backoff);
    discovery_options.credentials = *control_plane_credentials;
    discovery_options.server_name = absl::GetFlag(FLAGS_control_plane_server_name);
    discovery = std::make_unique<config::DiscoveryClient>(
        discovery_options, [&manager](const v1::Snapshot& snapshot) {
          return manager.Install(snapshot, config::ConfigManager::Source::kControlPlane);
        });
  }

  std::atomic<bool> draining{false};
  admin::AdminServer admin_server({
      .not_ready_reason =
          [&] {
            if (draining.load()) return std::string("draining");
            return std::string(manager.ready() ? "" : "no snapshot yet");
          },
      .not_live_reason = [&workers] { return NotLiveReason(workers); },
      .stats_json = [&] { return StatsJson(manager, discovery.get(), worker_count); },
      .metrics_text =
          [&] {
            return MetricsText(manager, jwks_fetcher, workers, draining.load(), access_log.get(),
                               memory_guard.get());
          },
      .config_dump_json = [&manager] { return manager.DumpJson(); },
      // The same path as SIGTERM: the main thread's sigwait takes it (a second one would
      // cut the drain short, hence only the first POST sends it).
      .drain =
          [&draining] {
            if (!draining.exchange(true)) ::kill(::getpid(), SIGTERM);
          },
      .token_sha256 = admin_token_sha256,
  });
  uint16_t admin_port = 0;
  if (!admin_flag.empty()) {
    boost::system::error_code ec;
    const int inherited_admin =
        predecessor != nullptr ? std::exchange(predecessor->listeners().admin, -1) : -1;
    if (inherited_admin >= 0) {
      const auto adopted = admin_server.Adopt(inherited_admin, ec);
      if (!ec && !SameListener(admin_endpoint, adopted)) {
        return Fail(absl::StrCat("the inherited admin listener is on ", EndpointText(adopted),
                                 " but --admin is ", admin_flag));
      }
      admin_port = adopted.port();
    } else {
      admin_port = admin_server.Start(admin_endpoint, ec).port();
    }
    if (ec) {
      std::fprintf(stderr, "cannot listen on admin %s: %s\n", admin_flag.c_str(),
                   ec.message().c_str());
      return 1;
    }
  }

  for (auto& worker : workers) worker->Start();
  if (discovery) discovery->Start(booted_from_cache);
  if (predecessor != nullptr) {
    // This process accepts on the sockets now: the predecessor may drain.
    if (absl::Status told = predecessor->Confirm(); !told.ok()) {
      LogWarning("%s; serving anyway", std::string(told.message()).c_str());
    }
    predecessor.reset();  // closes the inherited admin socket if --admin did not take it
  }
  std::atomic<bool> handed_off{false};
  std::unique_ptr<server::HandoffServer> handoff;
  if (const std::string path = absl::GetFlag(FLAGS_handoff_socket); !path.empty()) {
    server::HandedListeners offered{.admin = admin_server.listener_fd()};
    for (auto& worker : workers) {
      offered.listeners.push_back(worker->listener_fd(server::ListenerKind::kPlain));
      if (!listen_tls_flag.empty()) {
        offered.tls_listeners.push_back(worker->listener_fd(server::ListenerKind::kTls));
      }
    }
    absl::StatusOr<std::unique_ptr<server::HandoffServer>> started =
        server::HandoffServer::Start(path, offered, [&handed_off, &draining] {
          handed_off.store(true);
          if (!draining.exchange(true)) ::kill(::getpid(), SIGTERM);
        });
    if (!started.ok()) return Fail(std::string(started.status().message()));
    handoff = std::move(*started);
  }
  const std::string serving = manager.ready()
                                  ? absl::StrCat("serving snapshot version ", manager.version())
                                  : std::string("not ready until a snapshot arrives");
  const std::string tls_text = listen_tls_flag.empty()
                                   ? std::string()
                                   : absl::StrCat(" and ", EndpointText(listen_tls), " (TLS)");
  LogInfo("listening on %s%s with %d workers (node %s); admin port %u; %s",
          EndpointText(listen).c_str(), tls_text.c_str(), worker_count, node->id().c_str(),
          admin_port, serving.c_str());

  const std::string ready_file = absl::GetFlag(FLAGS_ready_file);
  std::vector<uint16_t> ready_ports = {listen.port(), admin_port};
  if (!listen_tls_flag.empty()) ready_ports.push_back(listen_tls.port());
  if (!ready_file.empty() && !WriteReadyFile(ready_file, ready_ports)) {
    LogError("cannot write --ready_file %s; serving anyway", ready_file.c_str());
  }

  const auto reopen_logs = [&access_log] {
    if (access_log == nullptr) {
      LogInfo("SIGHUP: no access log to reopen");
      return;
    }
    access_log->Reopen();
  };
  int signal_number = 0;
  while (!IsStopSignal(signal_number = WaitForSignal())) reopen_logs();
  draining.store(true);
  handoff.reset();  // no successor may take sockets that are about to close
  DrainSequence::Options drain_options = {
      .grace_period = ToMillis(absl::GetFlag(FLAGS_drain_grace_period)),
      .timeout = ToMillis(absl::GetFlag(FLAGS_drain_timeout))};
  if (handed_off.load()) {
    // The successor accepts on the same sockets, admin included: nothing to announce, and
    // health checks must reach the successor only.
    LogInfo("handed over to a successor: draining without a grace period");
    admin_server.Stop();
    drain_options.grace_period = std::chrono::milliseconds(0);
  } else {
    LogInfo("signal %d: shutting down gracefully", signal_number);
  }
  Drain(workers, drain_options, reopen_logs);
  if (discovery) discovery->Stop();
  admin_server.Stop();
  for (auto& worker : workers) worker->Stop();
  return 0;
}

}  // namespace
}  // namespace switchyard

int main(int argc, char** argv) {
  switchyard::ParseProgramFlags(
      argc, argv,
      "switchyard-proxy (--config=snapshot.yaml | --control_plane=host:port) "
      "[--listen=0.0.0.0:8080] [--workers=N] [--admin=127.0.0.1:9901]");
  return switchyard::Main();
}
