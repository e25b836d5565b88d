// Idle keep-alive connections to upstream endpoints, owned by one worker thread.
//
// Keyed by endpoint address, not by cluster, so connections to an endpoint that survives
// a config swap stay pooled. Not thread-safe: each worker has its own pool, and only that
// worker's io_context touches it.
#ifndef SWITCHYARD_DATAPLANE_UPSTREAM_CONNECTION_POOL_H_
#define SWITCHYARD_DATAPLANE_UPSTREAM_CONNECTION_POOL_H_

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "boost/beast/core/flat_buffer.hpp"
#include "dataplane/io/io_types.h"

namespace switchyard::upstream {

// One HTTP/1.1 connection to an endpoint, with the bytes read from it and not yet used.
struct UpstreamConnection {
  explicit UpstreamConnection(const io::Executor& executor) : socket(executor) {}

  io::Socket socket;
  boost::beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
  // True when taken from the pool: the peer may have closed it just now, so a request
  // that fails on it before any response byte may be retried on a new connection.
  bool reused = false;
};

class ConnectionPool {
 public:
  // Connections idle for longer are closed instead of reused; upstream servers commonly
  // close idle keep-alive connections after 60 s or more.
  explicit ConnectionPool(std::chrono::steady_clock::duration max_idle_time)
      : max_idle_time_(max_idle_time) {}

  // An idle connection to `key`, most recently used first; nullptr if there is none.
  // With `verify_open`, connections the peer has closed (or sent stray bytes on) are
  // dropped, at the cost of one system call each. Callers that can retry a request on a
  // new connection skip it: that keeps a syscall off the path of most requests.
  std::unique_ptr<UpstreamConnection> Take(const std::string& key,
                                           std::chrono::steady_clock::time_point now,
                                           bool verify_open);

  // Keeps `connection` for reuse, unless `key` already has `max_idle` idle connections,
  // in which case it is closed.
  void Release(const std::string& key, std::unique_ptr<UpstreamConnection> connection,
               uint32_t max_idle, std::chrono::steady_clock::time_point now);

  size_t idle_count() const;

 private:
  std::chrono::steady_clock::duration max_idle_time_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<UpstreamConnection>>> idle_;
};

}  // namespace switchyard::upstream

#endif  // SWITCHYARD_DATAPLANE_UPSTREAM_CONNECTION_POOL_H_
