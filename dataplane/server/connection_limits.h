// The proxy's limits on client connections (--max_connections, --max_connections_per_ip),
// shared by all workers. Checked once per accepted connection, never per request: a
// connection over a limit is closed at once, before anything is read from it.
#ifndef SWITCHYARD_DATAPLANE_SERVER_CONNECTION_LIMITS_H_
#define SWITCHYARD_DATAPLANE_SERVER_CONNECTION_LIMITS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "common/sync/mutex.h"

namespace switchyard::server {

class ConnectionLimits {
 public:
  enum class Verdict { kAdmitted, kGlobalLimit, kPerIpLimit };

  // 0: no limit.
  ConnectionLimits(size_t max_total, size_t max_per_ip)
      : max_total_(max_total), max_per_ip_(max_per_ip) {}

  // Thread-safe. Counts the connection from `client_ip` when admitted; every admitted
  // connection must be Released once.
  Verdict Admit(std::string_view client_ip);
  void Release(std::string_view client_ip);

  size_t open() const { return open_.load(std::memory_order_relaxed); }
  // Addresses with connections open (per-IP limit only); for tests.
  size_t tracked_addresses() const;

 private:
  // The per-IP counts, spread over shards so that workers rarely meet on one lock.
  struct Shard {
    mutable sync::Mutex mu;
    absl::flat_hash_map<std::string, size_t> open ABSL_GUARDED_BY(mu);
  };
  Shard& ShardOf(std::string_view client_ip);

  const size_t max_total_;
  const size_t max_per_ip_;
  std::atomic<size_t> open_{0};
  std::array<Shard, 16> shards_;
};

}  // namespace switchyard::server

#endif  // SWITCHYARD_DATAPLANE_SERVER_CONNECTION_LIMITS_H_
