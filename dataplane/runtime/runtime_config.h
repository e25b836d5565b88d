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
#include <vector>

#include "absl/status/statusor.h"
#include "boost/asio/ip/tcp.hpp"
#include "dataplane/router/route_table.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::runtime {

struct Endpoint {
  boost::asio::ip::tcp::endpoint address;
  // "ip:port"; connection pools are keyed by it, so they outlive config swaps.
  std::string pool_key;
  int64_t weight = 1;
};

struct Cluster {
  std::string name;
  std::vector<Endpoint> endpoints;
  std::chrono::milliseconds connect_timeout{1000};
  uint32_t max_idle_connections = 64;
};

class RuntimeConfig {
 public:
  // Validates `snapshot` with the shared validation library and compiles it. Errors are
  // INVALID_ARGUMENT and name the resource and field.
  static absl::StatusOr<std::shared_ptr<const RuntimeConfig>> Compile(const v1::Snapshot& snapshot);

  ~RuntimeConfig();

  // How many compiled configs exist in this process: the served one plus any still pinned
  // by requests that started before a swap. Shown on the admin port.
  static int64_t LiveCount();

  uint64_t version() const { return version_; }
  const router::RouteTable& routes() const { return *routes_; }
  const std::vector<Cluster>& clusters() const { return clusters_; }

 private:
  RuntimeConfig();

  uint64_t version_ = 0;
  std::unique_ptr<const router::RouteTable> routes_;
  std::vector<Cluster> clusters_;
};

}  // namespace switchyard::runtime

#endif  // SWITCHYARD_DATAPLANE_RUNTIME_RUNTIME_CONFIG_H_
