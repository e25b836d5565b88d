#include "tests/e2e/support/components.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "tests/support/http_message.h"

namespace switchyard::e2e {
namespace {

using ::switchyard::testing::BuildRequest;
using ::switchyard::testing::RawClient;
using ::switchyard::testing::WriteFile;

constexpr auto kStartTimeout = std::chrono::seconds(30);

// Waits for `ready()`; fails early (with the log) when `process` exits.
bool WaitForStart(ChildProcess& process, const std::function<bool()>& ready,
                  const std::string& what, std::string* error) {
  switch (process.WaitUntilReady(ready, kStartTimeout)) {
    case ChildProcess::WaitResult::kReady:
      return true;
    case ChildProcess::WaitResult::kExited:
      *error = process.name() + " exited (" + process.exit_status().DebugString() + ") before " +
               what + "; log:\n" + process.LogTail();
      return false;
    case ChildProcess::WaitResult::kTimedOut:
      *error = process.name() + ": no " + what + " within 30 s; log:\n" + process.LogTail();
      process.Stop();
      return false;
  }
  return false;
}

// One request on a fresh connection; a refused connect is an incomplete response.
Response RoundTripOnNewConnection(uint16_t port, const std::string& request,
                                  Clock::duration timeout) {
  RawClient client(port);
  if (!client.connected()) {
    Response r;
    r.error = "connect: " + client.connect_error();
    return r;
  }
  return client.RoundTrip(request, {.timeout = timeout});
}

Response AdminGet(uint16_t port, std::string_view path) {
  return RoundTripOnNewConnection(
      port, BuildRequest("GET", path, {{"Host", "admin"}, {"Connection", "close"}}),
      std::chrono::seconds(5));
}

}  // namespace

Response HttpGet(uint16_t port, std::string_view target, std::string_view host,
                 Clock::duration timeout) {
  return RoundTripOnNewConnection(port, BuildRequest("GET", target, {{"Host", std::string(host)}}),
                                  timeout);
}

std::string BackendOf(const Response& r) { return r.headers.Get("x-backend").value_or(""); }

std::string Summary(const Response& r) {
  if (!r.complete) return "error: " + r.error;
  std::string out = std::to_string(r.status);
  if (r.headers.Get("x-switchyard-local-reply").value_or("") == "true") {
    return out + " local reply";
  }
  return out + " from " + (BackendOf(r).empty() ? "?" : BackendOf(r));
}

uint64_t JsonUint(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return 0;
  const auto it = j.find(std::string(key));
  if (it == j.end()) return 0;
  if (it->is_number_unsigned() || it->is_number_integer()) return it->get<uint64_t>();
  if (it->is_string()) {
    const std::string s = it->get<std::string>();
    uint64_t v = 0;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return 0;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
  }
  return 0;
}

uint16_t PickFreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// ---------------------------------------------------------------------------------------

namespace {

::switchyard::controlplane::testing::ControlPlaneProcess::Options ControlPlaneOptions(
    const std::string& dir) {
  ::switchyard::controlplane::testing::ControlPlaneProcess::Options options;
  options.db_path = dir + "/control.db";
  // These suites replace whole route tables (random churn, renamed routes) to test how
  // snapshots travel; the mass-removal guard has its own tests (controlplane/admin,
  // tools/yardctl/e2e_test). A snapshot with no route is still refused.
  options.flags.push_back("--max_route_removal_fraction=1");
  options.flags.push_back("--metrics_listen=127.0.0.1:0");
  return options;
}

}  // namespace

ControlPlane::ControlPlane(const std::string& dir) : process_(ControlPlaneOptions(dir)) {}

bool ControlPlane::Start(std::string* error) {
  signalled_ = false;
  if (!started_) {
    started_ = true;
    return process_.Start(error);
  }
  // Same store, same port: the proxies find it again where it was.
  return process_.Restart(error);
}

void ControlPlane::Stop() {
  if (process_.Running()) signalled_ = true;
  process_.Stop();
}

void ControlPlane::Kill() {
  if (!process_.Running()) return;
  signalled_ = true;
  process_.Kill();
}

// ---------------------------------------------------------------------------------------

DynamicProxy::DynamicProxy(std::string dir, Options options)
    : dir_(std::move(dir)), options_(std::move(options)), process_("proxy " + options_.node_id) {}

bool DynamicProxy::Start(std::string* error, bool wait_ready) {
  const std::string ready = dir_ + "/" + options_.node_id + ".ready";
  std::vector<std::string> argv = {
      // SWITCHYARD_PROXY_BIN: a sanitized proxy (scripts/test.sh, step 2b).
      ::switchyard::testing::BinaryPath("SWITCHYARD_PROXY_BIN", "dataplane/switchyard-proxy"),
      "--control_plane=" + options_.control_plane,
      "--node_id=" + options_.node_id,
      "--node_group=e2e",
      "--listen=127.0.0.1:0",
      "--admin=127.0.0.1:0",
      "--workers=" + std::to_string(options_.workers),
      "--ready_file=" + ready,
  };
  if (!options_.snapshot_cache.empty()) {
    argv.push_back("--snapshot_cache=" + options_.snapshot_cache);
  }
  // No load balancer to tell: stopping needs no grace period (tests that drain set it).
  if (!::switchyard::testing::HasFlag(options_.extra_flags, "--drain_grace_period")) {
    argv.push_back("--drain_grace_period=0s");
  }
  argv.insert(argv.end(), options_.extra_flags.begin(), options_.extra_flags.end());
  // The control plane is plaintext on loopback (ControlPlaneProcess) unless the test set
  // up TLS for both.
  if (!::switchyard::testing::HasFlag(options_.extra_flags, "--control_plane_ca")) {
    argv.push_back("--control_plane_insecure");
  }
  const std::string log = dir_ + "/" + options_.node_id + ".log";
  std::vector<uint16_t> ports;
  // With --listen_tls the ready file's third line is the TLS port.
  const size_t expected_ports =
      ::switchyard::testing::HasFlag(options_.extra_flags, "--listen_tls") ? 3 : 2;
  if (!process_.StartAndWaitForReadyFile(
          std::move(argv), {.stdout_path = log, .stderr_path = log},
          {.path = ready, .ports = expected_ports, .timeout = kStartTimeout}, &ports, error)) {
    return false;
  }
  port_ = ports[0];
  admin_port_ = ports[1];
  if (ports.size() > 2) tls_port_ = ports[2];
  if (!wait_ready) return true;
  return WaitForStart(
      process_, [&] { return ReadyStatus() == 200; }, "200 from admin /ready", error);
}

std::optional<nlohmann::json> DynamicProxy::Stats() const {
  const Response r = AdminGet(admin_port_, "/stats");
  if (!r.complete || r.status != 200) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

uint64_t DynamicProxy::Version() const {
  const auto stats = Stats();
  return stats ? JsonUint(*stats, "version") : 0;
}

int DynamicProxy::ReadyStatus() const {
  const Response r = AdminGet(admin_port_, "/ready");
  return r.complete ? r.status : 0;
}

// ---------------------------------------------------------------------------------------

Haproxy::Haproxy(std::string dir, std::vector<Server> servers)
    : dir_(std::move(dir)), servers_(std::move(servers)) {}

bool Haproxy::Start(std::string* error) {
  port_ = PickFreePort();
  do {
    stats_port_ = PickFreePort();
  } while (stats_port_ == port_);
  // The same settings as deploy/local/up.sh: keep-alive on both sides, a replica gets
  // traffic only while its /ready says 200, refused connections are retried elsewhere.
  std::string config =
      "global\n"
      "    maxconn 4096\n"
      "    log stdout format raw local0\n"
      "defaults\n"
      "    mode http\n"
      "    log global\n"
      "    option httplog\n"
      "    option dontlog-normal\n"
      "    option http-keep-alive\n"
      "    timeout connect 2s\n"
      "    timeout client 60s\n"
      "    timeout server 30s\n"
      "    timeout http-request 10s\n"
      "    timeout http-keep-alive 60s\n"
      "    timeout check 1s\n"
      "    retries 2\n"
      "    option redispatch\n"
      "frontend gateway\n"
      "    bind 127.0.0.1:" +
      std::to_string(port_) +
      "\n"
      "    default_backend proxies\n"
      "backend proxies\n"
      "    balance roundrobin\n"
      "    option httpchk\n"
      "    http-check send meth GET uri /ready\n"
      "    http-check expect status 200\n"
      "    default-server inter 500ms fastinter 250ms fall 2 rise 2\n";
  for (size_t i = 0; i < servers_.size(); ++i) {
    config += "    server proxy" + std::to_string(i + 1) +
              " 127.0.0.1:" + std::to_string(servers_[i].port) + " check port " +
              std::to_string(servers_[i].admin_port) + "\n";
  }
  config +=
      "listen stats\n"
      "    bind 127.0.0.1:" +
      std::to_string(stats_port_) +
      "\n"
      "    stats enable\n"
      "    stats uri /\n";
  const std::string path = dir_ + "/haproxy.cfg";
  if (!WriteFile(path, config)) {
    *error = "cannot write " + path;
    return false;
  }
  if (!process_.Start({"/usr/sbin/haproxy", "-db", "-f", path}, dir_ + "/haproxy.log", error)) {
    return false;
  }
  return WaitForStart(
      process_,
      [&] {
        const auto states = ServerStates();
        if (states.size() != servers_.size()) return false;
        for (const auto& [name, state] : states) {
          if (state != "UP") return false;
        }
        return true;
      },
      "UP state for every proxy", error);
}

std::vector<std::pair<std::string, std::string>> Haproxy::ServerStates() const {
  std::vector<std::pair<std::string, std::string>> out;
  const Response r = AdminGet(stats_port_, "/;csv");
  if (!r.complete || r.status != 200) return out;
  for (const absl::string_view line : absl::StrSplit(r.body, '\n')) {
    const std::vector<std::string> fields = absl::StrSplit(line, ',');
    // pxname, svname, ..., status is the 18th column.
    if (fields.size() > 17 && fields[0] == "proxies" && fields[1].rfind("proxy", 0) == 0) {
      out.emplace_back(fields[1], fields[17]);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------

CommandResult Yardctl::Run(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {RunfilePath("tools/yardctl/yardctl"), "--server", server_,
                                   "--insecure"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

CommandResult Yardctl::Apply(const std::string& yaml, const std::vector<std::string>& extra) const {
  const std::string path = dir_ + "/apply-" + std::to_string(++files_) + ".yaml";
  if (!WriteFile(path, yaml)) {
    CommandResult r;
    r.output = "cannot write " + path;
    return r;
  }
  std::vector<std::string> args = {"apply", "-f", path, "--message",
                                   "e2e change " + std::to_string(files_)};
  args.insert(args.end(), extra.begin(), extra.end());
  return Run(args);
}

std::optional<nlohmann::json> Yardctl::StatusJson(std::string* error) const {
  const CommandResult r = Run({"status", "-o", "json"});
  if (r.exit_code != 0 || r.timed_out) {
    if (error != nullptr) *error = r.DebugString();
    return std::nullopt;
  }
  nlohmann::json j = nlohmann::json::parse(r.output, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    if (error != nullptr) *error = "not JSON: " + r.output;
    return std::nullopt;
  }
  return j;
}

uint64_t Yardctl::AppliedVersion(const CommandResult& apply) {
  // The number after the last "version" in the output ("applied version 7", "version: 7").
  std::string lower = apply.output;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  uint64_t found = 0;
  for (size_t at = lower.find("version"); at != std::string::npos;
       at = lower.find("version", at + 1)) {
    size_t i = at + 7;
    // Skip a few separators: ' ', ':', '=', '"', 'v'.
    for (int n = 0; n < 4 && i < lower.size() &&
                    std::string_view(" :=\"v").find(lower[i]) != std::string_view::npos;
         ++n) {
      ++i;
    }
    uint64_t v = 0;
    size_t digits = 0;
    while (i < lower.size() && std::isdigit(static_cast<unsigned char>(lower[i]))) {
      v = v * 10 + static_cast<uint64_t>(lower[i] - '0');
      ++i;
      ++digits;
    }
    if (digits > 0) found = v;
  }
  return found;
}

}  // namespace switchyard::e2e
