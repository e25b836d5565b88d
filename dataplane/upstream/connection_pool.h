// Upstream connections kept for reuse, owned by one worker thread.
//
// Keyed by pool key (pool_key.h: endpoint plus connection settings), not by cluster, so
// connections to an endpoint that survives a config swap stay pooled, and clusters that
// reach one address with different settings never share a connection.
//
// Two kinds of connection share the pool:
//   - exclusive (HTTP/1.1, max_streams == 1): Acquire hands an idle one out and removes
//     it; Release puts it back when the exchange left it reusable;
//   - multiplexed (HTTP/2, max_streams > 1): once added with AddMultiplexed it stays in
//     the pool while it is usable; Acquire hands it out while it has a free stream and
//     counts the stream; Release returns the stream.
// The pool grows to what the traffic needs (every connection released while reusable is
// kept, up to a per-key limit) and shrinks by time: Sweep closes connections idle longer
// than the idle timeout. Not thread-safe: each worker has its own pool.
#ifndef SWITCHYARD_DATAPLANE_UPSTREAM_CONNECTION_POOL_H_
#define SWITCHYARD_DATAPLANE_UPSTREAM_CONNECTION_POOL_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "boost/beast/core/flat_buffer.hpp"
#include "dataplane/io/io_types.h"
#include "dataplane/io/tls_layer.h"
#include "dataplane/time/clock.h"

namespace switchyard::upstream {

// One connection to an upstream endpoint, with the bytes read from it and not yet used.
class UpstreamConnection {
 public:
  // Multiplexed when `max_streams` > 1 (it stays so when the peer lowers its limit later).
  explicit UpstreamConnection(const io::Executor& executor, uint32_t max_streams = 1)
      : socket(executor), multiplexed_(max_streams > 1), max_streams_(max_streams) {}
  virtual ~UpstreamConnection() = default;
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Whether a connection that sat idle may carry a request. The HTTP/1.1 rule: nothing
  // may be readable (a zero-byte read means the peer closed it; bytes mean the peer broke
  // the protocol), checked with one non-blocking peek, or over TLS one non-blocking read
  // (which consumes what TLS may legitimately send while idle, such as session tickets).
  virtual bool IdleLooksUsable();

  // Whether a multiplexed connection may take another stream (beyond the count): false
  // once the peer said it goes away (HTTP/2 GOAWAY) or the connection failed.
  virtual bool AcceptsNewStreams() const { return true; }

  uint32_t max_streams() const { return max_streams_; }
  uint32_t active_streams() const { return active_streams_; }
  bool multiplexed() const { return multiplexed_; }

  io::Socket socket;
  // Set on a TLS connection once its handshake started; declared after `socket`, which it
  // uses, so it is destroyed first.
  std::unique_ptr<io::TlsLayer> tls;
  boost::beast::flat_buffer buffer;
  // True when taken from the pool: the peer may have closed it just now, so a request
  // that fails on it before any response byte may be retried on a new connection.
  bool reused = false;

 protected:
  // The peer's concurrency limit changed (HTTP/2 SETTINGS).
  void set_max_streams(uint32_t max_streams) { max_streams_ = max_streams; }

 private:
  friend class ConnectionPool;
  const bool multiplexed_;
  uint32_t max_streams_;
  uint32_t active_streams_ = 0;
  time::MonotonicTime idle_since_{};
};

class ConnectionPool {
 public:
  // Connections idle for longer are closed (by Sweep) or skipped (by Acquire); upstream
  // servers commonly close idle keep-alive connections after 60 s or more.
  explicit ConnectionPool(time::Duration max_idle_time) : max_idle_time_(max_idle_time) {}
  ~ConnectionPool();

  // A connection to `key` with room for one more request, or nullptr. Prefers a
  // multiplexed connection with a free stream, then the most recently used idle one.
  // With `verify_open`, idle connections are checked with IdleLooksUsable (one system
  // call each) and dropped when not usable. Callers that can retry a failed request on a
  // new connection skip the check: that keeps a syscall off the path of most requests.
  std::shared_ptr<UpstreamConnection> Acquire(std::string_view key, time::MonotonicTime now,
                                              bool verify_open);

  // Puts a multiplexed connection in the pool, with one stream counted for the caller.
  void AddMultiplexed(std::string_view key, std::shared_ptr<UpstreamConnection> connection);

  // Gives back what Acquire (or AddMultiplexed) handed out. An exclusive connection is
  // kept when `reusable` and `key` has fewer than `max_idle` idle ones, else closed. A
  // multiplexed one gets its stream back; when not `reusable` it is handed out no more
  // and closes once its last stream is released.
  void Release(std::string_view key, std::shared_ptr<UpstreamConnection> connection, bool reusable,
               uint32_t max_idle, time::MonotonicTime now);

  // Closes connections idle past the idle timeout and forgets keys left empty.
  void Sweep(time::MonotonicTime now);

  // Closes the idle connections of every key for which `keep(key)` is false (their
  // endpoints left the config) and stops handing out its multiplexed ones.
  void RetainOnly(absl::FunctionRef<bool(std::string_view)> keep);

  size_t idle_count() const;
  size_t key_count() const { return keys_.size(); }

 private:
  struct PerKey {
    std::vector<std::shared_ptr<UpstreamConnection>> idle;         // exclusive, LRU at back
    std::vector<std::shared_ptr<UpstreamConnection>> multiplexed;  // in use or idle
  };

  static void Close(UpstreamConnection& connection);

  time::Duration max_idle_time_;
  absl::flat_hash_map<std::string, PerKey> keys_;
};

}  // namespace switchyard::upstream

#endif  // SWITCHYARD_DATAPLANE_UPSTREAM_CONNECTION_POOL_H_
