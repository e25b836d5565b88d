// switchyard-control: stores configuration versions in SQLite, streams the current one to
// every connected proxy, and serves the admin API that yardctl uses.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/grpc_tls/loopback.h"
#include "common/grpc_tls/tls_files.h"
#include "common/log.h"
#include "common/program_flags.h"
#include "common/ready_file.h"
#include "common/secret_file.h"
#include "common/sha256.h"
#include "common/stop_signals.h"
#include "controlplane/auth/authenticator.h"
#include "controlplane/server/control_plane.h"
#include "controlplane/store/sqlite_token_store.h"
#include "controlplane/store/sqlite_version_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:18000",
          "Address and port for proxies and yardctl, e.g. 0.0.0.0:18000 or [::]:18000. Port 0 "
          "picks a free port (see --ready_file).");
ABSL_FLAG(std::string, db, "switchyard.db",
          "SQLite file holding every version; created if missing. Several control planes may "
          "share one file on one machine.");
ABSL_FLAG(std::string, ready_file, "",
          "Once serving, write the bound port to this file (and the --metrics_listen port on "
          "a second line).");
ABSL_FLAG(int64_t, delta_min_resources, 256,
          "Send proxies a delta instead of the whole snapshot once it has this many virtual "
          "hosts plus clusters (and the proxy runs a recent version).");
ABSL_FLAG(int, delta_bases, 8, "Recent versions kept in memory to send deltas against.");
ABSL_FLAG(int64_t, max_streams, 10000, "Most proxies connected at once; more are refused.");
ABSL_FLAG(absl::Duration, proxy_retention, absl::Hours(1),
          "How long `yardctl status` keeps showing a disconnected proxy.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(5),
          "On SIGTERM/SIGINT, time given to admin calls in progress.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(std::string, log_format, "text",
          "text (one readable line per event) or json (one JSON object per line) on stderr.");
ABSL_FLAG(bool, insecure, false,
          "Serve plaintext gRPC with no authentication: anyone who reaches --listen may change "
          "the configuration. Only on a loopback address, unless --insecure_allow_remote.");
ABSL_FLAG(bool, insecure_allow_remote, false,
          "Allow --insecure on an address other hosts can reach (warned at every start).");
ABSL_FLAG(std::string, tls_ca, "",
          "PEM CA bundle that proxies' and operators' client certificates must chain to.");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain this control plane serves with.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Seconds(60),
          "How often --tls_ca, --tls_cert and --tls_key are re-read (rotation without restart).");
ABSL_FLAG(std::string, proxy_identity, "san_uri:spiffe://switchyard/proxy/",
          "Where the node id a proxy may claim is read from its client certificate: cn, "
          "san_dns or san_uri, optionally with :PREFIX (removed from the value).");
ABSL_FLAG(std::string, admin_token_hash_file, "",
          "File of 'SHA256HEX NAME' lines: admin tokens that need no store (the first admin's, "
          "from deploy/pki/make-pki.sh). Must not be writable by group or others.");
ABSL_FLAG(std::string, cert_roles, "",
          "Operators who authenticate with a client certificate: CN=ROLE,... with ROLE "
          "viewer, operator or admin.");
ABSL_FLAG(std::string, audit_log, "",
          "Append one JSON line per admin call here (created 0600); empty: no audit log.");
ABSL_FLAG(std::string, metrics_listen, "",
          "IP:PORT of an HTTP port serving /metrics (Prometheus), /ready and /healthz; "
          "empty: none. Off loopback it needs --metrics_token_file.");
ABSL_FLAG(std::string, metrics_token_file, "",
          "File (mode 0600) holding a token /metrics then requires as "
          "\"Authorization: Bearer TOKEN\".");
ABSL_FLAG(double, max_route_removal_fraction, 0.5,
          "Most of the current routes (0 < f <= 1) an apply or rollback may remove at once; "
          "a snapshot with no route is always refused. Requests with allow_mass_delete "
          "(yardctl --allow-mass-delete) may remove more.");

namespace switchyard {
namespace {

// How operators authenticate on a TLS control plane: bootstrap tokens and certificate
// roles (stored tokens come from the store).
absl::Status ConfigureOperators(controlplane::ControlPlaneOptions& options) {
  if (const std::string path = absl::GetFlag(FLAGS_admin_token_hash_file); !path.empty()) {
    absl::StatusOr<std::vector<controlplane::BootstrapToken>> tokens =
        controlplane::LoadTokenHashFile(path);
    if (!tokens.ok()) return tokens.status();
    options.auth.bootstrap_tokens = *std::move(tokens);
  }
  absl::StatusOr<std::map<std::string, controlplane::Role, std::less<>>> roles =
      controlplane::ParseCertRoles(absl::GetFlag(FLAGS_cert_roles));
  if (!roles.ok()) return roles.status();
  options.auth.cert_roles = *std::move(roles);
  return absl::OkStatus();
}

std::vector<uint16_t> ReadyPorts(const controlplane::ControlPlane& cp) {
  std::vector<uint16_t> ports = {static_cast<uint16_t>(cp.port())};
  if (cp.metrics_port() != 0) ports.push_back(static_cast<uint16_t>(cp.metrics_port()));
  return ports;
}

// The /metrics port: a token off loopback, as on the proxy's admin port.
absl::Status ConfigureMetrics(controlplane::ControlPlaneOptions& options) {
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (const std::string path = absl::GetFlag(FLAGS_metrics_token_file); !path.empty()) {
    absl::StatusOr<std::string> token = ReadSecretFile(path, "--metrics_token_file");
    if (!token.ok()) return token.status();
    options.metrics_token_sha256 = Sha256Hex(*token);
  } else if (!options.metrics_listen.empty() && !IsLoopbackAddress(options.metrics_listen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--metrics_listen=", options.metrics_listen,
        " is reachable from other hosts: give --metrics_token_file (or listen on loopback)"));
  }
  return absl::OkStatus();
}

// TLS from the --tls_* files, or plaintext with --insecure where that is allowed.
absl::Status ConfigureTransport(controlplane::ControlPlaneOptions& options) {
  const bool insecure = absl::GetFlag(FLAGS_insecure);
  const bool any_tls = !absl::GetFlag(FLAGS_tls_ca).empty() ||
                       !absl::GetFlag(FLAGS_tls_cert).empty() ||
                       !absl::GetFlag(FLAGS_tls_key).empty();
  if (insecure && any_tls) {
    return absl::InvalidArgumentError("--insecure and --tls_* exclude each other");
  }
  if (insecure && (!absl::GetFlag(FLAGS_admin_token_hash_file).empty() ||
                   !absl::GetFlag(FLAGS_cert_roles).empty())) {
    return absl::InvalidArgumentError(
        "--insecure authenticates no one: --admin_token_hash_file and --cert_roles need TLS");
  }
  if (insecure) {
    if (!IsLoopbackAddress(options.listen) && !absl::GetFlag(FLAGS_insecure_allow_remote)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--insecure on ", options.listen,
          " would let anyone who reaches it change the configuration: listen on 127.0.0.1, "
          "or add --insecure_allow_remote if that is really meant"));
    }
    LogWarning(
        "--insecure: plaintext gRPC on %s and NO AUTHENTICATION; anyone who reaches "
        "it may change the configuration%s",
        options.listen.c_str(),
        IsLoopbackAddress(options.listen) ? "" : " (--insecure_allow_remote: NOT LOOPBACK)");
    return absl::OkStatus();
  }
  if (!any_tls) {
    return absl::InvalidArgumentError(
        "give --tls_ca, --tls_cert and --tls_key (deploy/pki/make-pki.sh makes them), or "
        "--insecure for a plaintext control plane on loopback");
  }
  TlsSettings tls;
  tls.files = {.ca = absl::GetFlag(FLAGS_tls_ca),
               .cert = absl::GetFlag(FLAGS_tls_cert),
               .key = absl::GetFlag(FLAGS_tls_key),
               .ca_flag = "tls_ca",
               .cert_flag = "tls_cert",
               .key_flag = "tls_key"};
  tls.reload_interval = absl::GetFlag(FLAGS_tls_reload_interval);
  if (tls.reload_interval < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--tls_reload_interval must be at least 1s");
  }
  if (absl::Status files = CheckTlsFiles(tls.files, /*require_identity=*/true, absl::Now());
      !files.ok()) {
    return files;
  }
  absl::StatusOr<controlplane::CertIdentityRule> rule =
      controlplane::CertIdentityRule::Parse(absl::GetFlag(FLAGS_proxy_identity));
  if (!rule.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--proxy_identity: ", rule.status().message()));
  }
  options.discovery.proxy_identity = *rule;
  options.tls = std::move(tls);
  return ConfigureOperators(options);
}

int Main() {
  if (std::string error;
      !ConfigureLogging(absl::GetFlag(FLAGS_log_level), absl::GetFlag(FLAGS_log_format),
                        "switchyard-control", error)) {
    std::fprintf(stderr, "switchyard-control: %s\n", error.c_str());
    return 2;
  }
  controlplane::ControlPlaneOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  const int64_t delta_min = absl::GetFlag(FLAGS_delta_min_resources);
  const int delta_bases = absl::GetFlag(FLAGS_delta_bases);
  const int64_t max_streams = absl::GetFlag(FLAGS_max_streams);
  const absl::Duration retention = absl::GetFlag(FLAGS_proxy_retention);
  if (delta_min < 0 || delta_bases < 0 || delta_bases > 64 || max_streams < 1 ||
      retention < absl::ZeroDuration()) {
    std::fprintf(stderr,
                 "--delta_min_resources must be >= 0, --delta_bases 0..64, --max_streams >= 1 "
                 "and --proxy_retention >= 0\n");
    return 2;
  }
  options.hub.delta_min_resources = static_cast<size_t>(delta_min);
  options.hub.delta_bases = static_cast<size_t>(delta_bases);
  options.discovery.max_streams = max_streams;
  options.registry.retention = retention;
  const double removal_fraction = absl::GetFlag(FLAGS_max_route_removal_fraction);
  if (!(removal_fraction > 0 && removal_fraction <= 1)) {
    std::fprintf(stderr, "--max_route_removal_fraction must be in (0, 1], got %g\n",
                 removal_fraction);
    return 2;
  }
  options.admin.max_route_removal_fraction = removal_fraction;

  if (absl::Status transport = ConfigureTransport(options); !transport.ok()) {
    std::fprintf(stderr, "%s\n", std::string(transport.message()).c_str());
    return 2;
  }
  if (absl::Status metrics = ConfigureMetrics(options); !metrics.ok()) {
    std::fprintf(stderr, "%s\n", std::string(metrics.message()).c_str());
    return 2;
  }

  // Before gRPC starts its threads, so that only this thread takes SIGINT/SIGTERM.
  BlockServerSignals();

  const std::string db = absl::GetFlag(FLAGS_db);
  auto store = controlplane::SqliteVersionStore::Open(db);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  // Tokens live in the same file; an insecure control plane authenticates no one.
  std::unique_ptr<controlplane::TokenStore> tokens;
  if (options.tls.has_value()) {
    auto token_store = controlplane::SqliteTokenStore::Open(db);
    if (!token_store.ok()) {
      std::fprintf(stderr, "%s\n", std::string(token_store.status().message()).c_str());
      return 1;
    }
    tokens = std::move(*token_store);
  }
  options.audit_log = absl::GetFlag(FLAGS_audit_log);
  auto control_plane =
      controlplane::ControlPlane::Start(options, std::move(*store), std::move(tokens));
  if (!control_plane.ok()) {
    std::fprintf(stderr, "%s\n", std::string(control_plane.status().message()).c_str());
    return 1;
  }
  LogInfo("store %s", db.c_str());
  const std::string ready_file = absl::GetFlag(FLAGS_ready_file);
  if (!ready_file.empty() && !WriteReadyFile(ready_file, ReadyPorts(**control_plane))) {
    std::fprintf(stderr, "cannot write --ready_file %s\n", ready_file.c_str());
    return 1;
  }

  int signal_number = 0;
  while (!IsStopSignal(signal_number = WaitForSignal())) {
    LogInfo("SIGHUP: nothing to reopen (the audit log follows rotation by itself)");
  }
  LogInfo("signal %d: stopping", signal_number);
  (*control_plane)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  control_plane->reset();
  LogInfo("stopped");
  return 0;
}

}  // namespace
}  // namespace switchyard

int main(int argc, char** argv) {
  switchyard::ParseProgramFlags(
      argc, argv,
      "switchyard-control (--tls_ca=CA --tls_cert=CERT --tls_key=KEY | --insecure) "
      "[--listen=127.0.0.1:18000] [--db=switchyard.db] [--ready_file=PATH]");
  return switchyard::Main();
}
