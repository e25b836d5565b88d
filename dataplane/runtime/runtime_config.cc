#include "dataplane/runtime/runtime_config.h"

#include <atomic>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dataplane/runtime/resource_store.h"
#include "dataplane/upstream/pool_key.h"
#include "switchyard/config/duration.h"
#include "switchyard/config/validate.h"

namespace switchyard::runtime {
namespace {

std::atomic<int64_t> live_count{0};
std::atomic<uint64_t> next_generation{1};

constexpr std::chrono::milliseconds kDefaultConnectTimeout{1000};
// Per endpoint and worker. The pool keeps what the traffic needs, up to this, and closes
// connections idle past --upstream_idle_timeout: a small fixed count made 1,000 busy
// clients open and close ~1,000 upstream connections a second.
constexpr uint32_t kDefaultMaxIdleConnections = 1024;

// A validated, non-empty v1::CorsPolicy for the cors phase.
CorsPolicy CompileCors(const v1::CorsPolicy& source) {
  CorsPolicy cors;
  for (const std::string& origin : source.allow_origins()) {
    if (origin == "*") {
      cors.any_origin = true;
      continue;
    }
    std::string lower = absl::AsciiStrToLower(origin);
    // Validation allows "*" only as a whole first label: "scheme://*.domain[:port]".
    const size_t star = lower.find("://*.");
    if (star == std::string::npos) {
      cors.origins.push_back(std::move(lower));
    } else {
      cors.origin_suffixes.emplace_back(lower.substr(0, star + 3), lower.substr(star + 4));
    }
  }
  for (const std::string& method : source.allow_methods()) {
    if (method == "*") cors.any_method = true;
    cors.methods.push_back(method);
  }
  for (const std::string& header : source.allow_headers()) {
    if (header == "*") cors.any_header = true;
    cors.headers.push_back(absl::AsciiStrToLower(header));
  }
  cors.allow_credentials = source.allow_credentials();
  cors.allow_methods = absl::StrJoin(source.allow_methods(), ", ");
  cors.allow_headers = absl::StrJoin(source.allow_headers(), ", ");
  cors.expose_headers = absl::StrJoin(source.expose_headers(), ", ");
  // Whole seconds: a fraction is dropped.
  if (source.has_max_age()) cors.max_age = absl::StrCat(source.max_age().seconds());
  return cors;
}

}  // namespace

RuntimeConfig::RuntimeConfig()
    : generation_(next_generation.fetch_add(1, std::memory_order_relaxed)) {
  live_count.fetch_add(1, std::memory_order_relaxed);
}

RuntimeConfig::~RuntimeConfig() { live_count.fetch_sub(1, std::memory_order_relaxed); }

int64_t RuntimeConfig::LiveCount() { return live_count.load(std::memory_order_relaxed); }

int RuntimeConfig::FindCluster(std::string_view name) const {
  const auto it = cluster_index_.find(absl::string_view(name.data(), name.size()));
  return it == cluster_index_.end() ? -1 : static_cast<int>(it->second);
}

absl::StatusOr<std::shared_ptr<const RuntimeConfig>> RuntimeConfig::Compile(
    const v1::Snapshot& snapshot, const RuntimeConfig* previous, CertificateDates dates,
    auth::KeySetRegistry* key_sets) {
  // Validity periods are judged by CertificateSet::Build below, against the certificates
  // actually served, which also covers certificate files.
  if (absl::Status status = config::ValidateSnapshot(snapshot, {.check_validity_period = false});
      !status.ok()) {
    return status;
  }

  std::shared_ptr<RuntimeConfig> compiled(new RuntimeConfig());
  compiled->version_ = snapshot.version();
  absl::flat_hash_map<std::string, uint32_t>& cluster_index = compiled->cluster_index_;
  compiled->clusters_.reserve(snapshot.clusters_size());
  for (const v1::Cluster& source : snapshot.clusters()) {
    Cluster& cluster = compiled->clusters_.emplace_back();
    cluster.name = source.name();
    cluster.connect_timeout = source.has_connect_timeout()
                                  ? config::ToMillisRoundedUp(source.connect_timeout())
                                  : kDefaultConnectTimeout;
    cluster.max_idle_connections = source.has_max_idle_connections() ? source.max_idle_connections()
                                                                     : kDefaultMaxIdleConnections;
    cluster.protocol = source.protocol();
    if (source.has_tls()) {
      auto tls = tls::UpstreamTlsContext::Build(source.tls(),
                                                absl::StrCat("clusters[", source.name(), "].tls"));
      if (!tls.ok()) return tls.status();
      cluster.tls = *std::move(tls);
    }
    for (int i = 0; i < source.endpoints_size(); ++i) {
      const v1::Endpoint& ep = source.endpoints(i);
      boost::system::error_code ec;
      const auto address = boost::asio::ip::make_address(ep.address(), ec);
      if (ec) {
        // Validation accepts only address literals, so this means the two disagree.
        return absl::InvalidArgumentError(absl::StrCat("clusters[", source.name(), "].endpoints[",
                                                       i, "].address: not an IP address"));
      }
      Endpoint& endpoint = cluster.endpoints.emplace_back();
      endpoint.address = {address, static_cast<uint16_t>(ep.port())};
      endpoint.authority = address.is_v6() ? absl::StrCat("[", ep.address(), "]:", ep.port())
                                           : absl::StrCat(ep.address(), ":", ep.port());
      upstream::PoolKeyParts key{.address = endpoint.authority,
                                 .tls = cluster.tls != nullptr,
                                 .tls_settings = cluster.tls != nullptr
                                                     ? std::string_view(cluster.tls->fingerprint())
                                                     : std::string_view()};
      endpoint.pool_key = upstream::MakePoolKey(key);
      key.protocol = upstream::UpstreamProtocol::kHttp2;
      endpoint.pool_key_http2 = upstream::MakePoolKey(key);
      compiled->pool_keys_.insert(endpoint.pool_key);
      compiled->pool_keys_.insert(endpoint.pool_key_http2);
      endpoint.weight = ep.weight() == 0 ? 1 : ep.weight();
    }
    cluster_index[cluster.name] = static_cast<uint32_t>(compiled->clusters_.size() - 1);
  }
  auto routes = router::RouteTable::Build(snapshot, cluster_index);
  if (!routes.ok()) return routes.status();
  compiled->routes_ = std::move(*routes);
  auto auth = auth::AuthConfig::Build(snapshot, key_sets);
  if (!auth.ok()) return auth.status();
  compiled->auth_ = *std::move(auth);
  // An empty policy (no origins) is no policy: on a route it turns the virtual host's off.
  const auto add_cors = [&compiled](const v1::CorsPolicy& source) {
    if (source.allow_origins().empty()) return -1;
    compiled->cors_policies_.push_back(CompileCors(source));
    return static_cast<int>(compiled->cors_policies_.size() - 1);
  };
  for (const v1::VirtualHost& vhost : snapshot.virtual_hosts()) {
    const int vhost_cors = vhost.has_cors() ? add_cors(vhost.cors()) : -1;
    for (const v1::Route& route : vhost.routes()) {
      compiled->route_list_.push_back(RouteResourceName(vhost.name(), route.name()));
      compiled->route_names_.insert(compiled->route_list_.back());
      compiled->route_duration_histograms_.push_back(route.metrics().duration_histogram());
      const std::string& policy = route.skip_auth()              ? std::string()
                                  : !route.auth_policy().empty() ? route.auth_policy()
                                                                 : vhost.auth_policy();
      const int index = policy.empty() ? -1 : compiled->auth_->FindPolicy(policy);
      if (!policy.empty() && index < 0) {
        // Validation refuses a missing policy, so this means the two disagree.
        return absl::InvalidArgumentError(absl::StrCat("virtual_hosts[", vhost.name(), "].routes[",
                                                       route.name(), "].auth_policy: no policy \"",
                                                       policy, "\""));
      }
      compiled->route_auth_policies_.push_back(index);
      compiled->route_cors_policies_.push_back(route.has_cors() ? add_cors(route.cors())
                                                                : vhost_cors);
    }
  }
  auto certificates = tls::CertificateSet::Build(
      snapshot.certificates(),
      {.previous = previous != nullptr ? previous->certificates_.get() : nullptr,
       .served_before = dates.served_before,
       .inline_dates_judged = dates.inline_dates_judged});
  if (!certificates.ok()) return certificates.status();
  compiled->certificates_ = *std::move(certificates);
  return std::shared_ptr<const RuntimeConfig>(std::move(compiled));
}

}  // namespace switchyard::runtime
