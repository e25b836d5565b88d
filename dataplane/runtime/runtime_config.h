// A snapshot compiled for serving: the route table and the cluster table that requests
// use, built once off the request path and then shared, immutable, by every worker
// through a shared_ptr<const RuntimeConfig>. A request pins the object it started with;
// the object is freed when the last request using it ends.
#ifndef SWITCHYARD_DATAPLANE_RUNTIME_RUNTIME_CONFIG_H_
#define SWITCHYARD_DATAPLANE_RUNTIME_RUNTIME_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "boost/asio/ip/tcp.hpp"
#include "dataplane/auth/auth_config.h"
#include "dataplane/router/route_table.h"
#include "dataplane/tls/certificate_set.h"
#include "dataplane/tls/upstream_tls.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::runtime {

struct Endpoint {
  boost::asio::ip::tcp::endpoint address;
  // "ip:port", or "[v6]:port": the endpoint as a Host header value and in logs.
  std::string authority;
  // The connection pool's keys (upstream/pool_key.h): the endpoint plus the connection's
  // settings, for HTTP/1.1 and for HTTP/2 connections. Pools are keyed by them, so pooled
  // connections outlive config swaps.
  std::string pool_key;
  std::string pool_key_http2;
  int64_t weight = 1;
};

struct Cluster {
  std::string name;
  std::vector<Endpoint> endpoints;
  std::chrono::milliseconds connect_timeout{1000};
  uint32_t max_idle_connections = 64;
  // TLS towards the endpoints (docs/upstream-tls.md); null: plaintext.
  std::shared_ptr<const tls::UpstreamTlsContext> tls;
  // HTTP1, HTTP2 or MATCH_CLIENT (docs/upstream-http2.md).
  v1::Cluster::Protocol protocol = v1::Cluster::HTTP1;
};

// A virtual host's or route's CORS policy (v1::CorsPolicy) compiled for the cors phase
// (dataplane/proxy/cors_phase.h, docs/cors.md).
struct CorsPolicy {
  // "*" was listed: any origin.
  bool any_origin = false;
  // Exact origins, lower case: "https://app.example.com".
  std::vector<std::string> origins;
  // "https://*.example.com:8443" as {"https://", ".example.com:8443"}, lower case: an
  // origin that starts with the first and ends with the second, with a host label or more
  // between them.
  std::vector<std::pair<std::string, std::string>> origin_suffixes;
  // As configured (upper case); any_method when "*" was listed.
  std::vector<std::string> methods;
  bool any_method = false;
  // Lower case; any_header when "*" was listed.
  std::vector<std::string> headers;
  bool any_header = false;
  bool allow_credentials = false;
  // The response headers' values, comma-separated; empty: the header is not sent.
  std::string allow_methods;   // Access-Control-Allow-Methods
  std::string allow_headers;   // Access-Control-Allow-Headers
  std::string expose_headers;  // Access-Control-Expose-Headers
  std::string max_age;         // Access-Control-Max-Age, in seconds
};

// Which certificates' validity periods were judged before RuntimeConfig::Compile sees
// them (tls::CertificateSet::BuildOptions has the same two).
struct CertificateDates {
  bool served_before = false;
  bool inline_dates_judged = false;
};

class RuntimeConfig {
 public:
  // Validates `snapshot` with the shared validation library and compiles it, loading its
  // certificates (cert_file/key_file are read now). Errors are INVALID_ARGUMENT and name
  // the resource and field; the caller keeps serving what it had.
  //
  // `previous` is the config being replaced, if any: a certificate it served (same name,
  // same leaf) is not refused for having expired since, so that an expiring certificate
  // does not block every other change (tls::CertificateSet::BuildOptions::previous).
  // Without it every certificate must be within its validity period, but for those that
  // `dates` says were judged already.
  //
  // `key_sets` gives auth policies with JWT keys from a URL their (process-wide) key sets;
  // the proxy passes its fetcher (auth/jwks_fetcher.h). Without one, such keys are never
  // fetched.
  static absl::StatusOr<std::shared_ptr<const RuntimeConfig>> Compile(
      const v1::Snapshot& snapshot, const RuntimeConfig* previous = nullptr,
      CertificateDates dates = {}, auth::KeySetRegistry* key_sets = nullptr);

  ~RuntimeConfig();

  // How many compiled configs exist in this process: the served one plus any still pinned
  // by requests that started before a swap. Shown on the admin port.
  static int64_t LiveCount();

  uint64_t version() const { return version_; }
  // Unique to this compiled object within the process and never reused (unlike its
  // address), so per-worker state can tell which config it was last synced with.
  uint64_t generation() const { return generation_; }
  const router::RouteTable& routes() const { return *routes_; }
  const std::vector<Cluster>& clusters() const { return clusters_; }
  // The index of the cluster named `name`, or -1.
  int FindCluster(std::string_view name) const;
  // Whether some cluster has an endpoint with this pool key.
  bool HasPoolKey(std::string_view pool_key) const {
    return pool_keys_.contains(absl::string_view(pool_key.data(), pool_key.size()));
  }
  // Every route's "virtual_host/route" name (RouteResourceName), at its Route::index.
  const std::vector<std::string>& route_names() const { return route_list_; }
  // Whether the route at this Route::index opted into a latency histogram of its own
  // (Route::duration_histogram).
  bool route_has_duration_histogram(size_t index) const {
    return index < route_duration_histograms_.size() && route_duration_histograms_[index];
  }
  // The snapshot's certificates loaded for the TLS listener; never null, empty when the
  // snapshot has none. Shared so that a listener can keep serving a set across swaps
  // that leave the certificates alone.
  const std::shared_ptr<const tls::CertificateSet>& certificates() const { return certificates_; }
  // The snapshot's consumers and auth policies (docs/auth.md).
  const auth::AuthConfig& auth() const { return *auth_; }
  // The auth policy requests on `route` must pass (its own, else its virtual host's), or
  // null when it has none or skips auth.
  const auth::Policy* auth_policy(const router::Route& route) const {
    const int index = route_auth_policies_[route.index];
    return index < 0 ? nullptr : &auth_->policy(index);
  }
  // The CORS policy of `route` (its own, else its virtual host's), or null when it has
  // none (docs/cors.md).
  const CorsPolicy* cors_policy(const router::Route& route) const {
    const int index = route_cors_policies_[route.index];
    return index < 0 ? nullptr : &cors_policies_[index];
  }
  // Whether the route "virtual_host/route" (runtime::RouteResourceName) exists.
  bool HasRoute(std::string_view route_resource_name) const {
    return route_names_.contains(
        absl::string_view(route_resource_name.data(), route_resource_name.size()));
  }

 private:
  RuntimeConfig();

  uint64_t version_ = 0;
  uint64_t generation_ = 0;
  absl::flat_hash_map<std::string, uint32_t> cluster_index_;
  absl::flat_hash_set<std::string> pool_keys_;
  absl::flat_hash_set<std::string> route_names_;
  std::vector<std::string> route_list_;
  std::vector<bool> route_duration_histograms_;  // by Route::index
  std::vector<int> route_auth_policies_;         // by Route::index: a policy of auth_, or -1
  std::unique_ptr<const auth::AuthConfig> auth_;
  std::vector<int> route_cors_policies_;  // by Route::index: a policy of cors_policies_, or -1
  std::vector<CorsPolicy> cors_policies_;
  std::unique_ptr<const router::RouteTable> routes_;
  std::vector<Cluster> clusters_;
  std::shared_ptr<const tls::CertificateSet> certificates_;
};

}  // namespace switchyard::runtime

#endif  // SWITCHYARD_DATAPLANE_RUNTIME_RUNTIME_CONFIG_H_
