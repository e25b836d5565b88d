// Keys fetched from a JWKS URL (docs/auth.md, "Keys from a URL"): what the request path
// reads, and what the fetcher (jwks_fetcher.h) writes.
//
// One RemoteKeySet per source (cluster, path, host), shared by every policy of every
// snapshot that names the same source, so fetched keys outlive config swaps and a source
// is fetched once per process, not once per worker. Requests never fetch: they read the
// keys last fetched, and a token whose kid is unknown (or a request before the first
// fetch) only asks for a fetch, which the fetcher makes soon, rate-limited.
#ifndef SWITCHYARD_DATAPLANE_AUTH_REMOTE_JWKS_H_
#define SWITCHYARD_DATAPLANE_AUTH_REMOTE_JWKS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/sync/mutex.h"
#include "switchyard/config/jwks.h"

namespace switchyard::auth {

struct RemoteJwksSource {
  std::string cluster;
  std::string path;
  std::string host;  // empty: the endpoint's address
  std::chrono::milliseconds refresh_interval{std::chrono::minutes(5)};
  std::chrono::milliseconds timeout{std::chrono::seconds(2)};

  // Sources with equal keys share one key set, with the intervals of the newest snapshot
  // that names it.
  std::string Key() const { return cluster + '\n' + host + '\n' + path; }
};

struct FetchedKeys {
  std::vector<config::Jwk> keys;
  // Of the document's content: tokens verified under other keys are verified again.
  uint64_t fingerprint = 0;
};

class RemoteKeySet {
 public:
  explicit RemoteKeySet(const RemoteJwksSource& source) : source_(source) { SetIntervals(source); }

  // Where the keys come from (the intervals in here are the first snapshot's: read them
  // from refresh_interval() and timeout()).
  const RemoteJwksSource& source() const { return source_; }
  std::chrono::milliseconds refresh_interval() const {
    return std::chrono::milliseconds(refresh_interval_ms_.load(std::memory_order_relaxed));
  }
  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(timeout_ms_.load(std::memory_order_relaxed));
  }
  // A newer snapshot names the same source, perhaps with other intervals. Any thread.
  void SetIntervals(const RemoteJwksSource& source) {
    refresh_interval_ms_.store(source.refresh_interval.count(), std::memory_order_relaxed);
    timeout_ms_.store(source.timeout.count(), std::memory_order_relaxed);
  }

  // The keys last fetched; null before the first fetch succeeded. Any thread.
  std::shared_ptr<const FetchedKeys> keys() const;
  // Their fingerprint, 0 before the first fetch: one atomic load, for the token cache's
  // key on every request.
  uint64_t fingerprint() const { return fingerprint_.load(std::memory_order_acquire); }

  // The request path found no key for a token (or no keys at all): asks the fetcher for a
  // fetch. Never blocks; any thread.
  void RequestFetch() { fetch_requested_.store(true, std::memory_order_release); }

  // The fetcher's side.
  void SetKeys(std::shared_ptr<const FetchedKeys> keys);
  // Whether a fetch was requested since the last call; clears the request.
  bool TakeFetchRequest() { return fetch_requested_.exchange(false, std::memory_order_acq_rel); }

 private:
  const RemoteJwksSource source_;
  mutable sync::Mutex mu_;
  std::shared_ptr<const FetchedKeys> keys_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> fingerprint_{0};
  std::atomic<bool> fetch_requested_{false};
  std::atomic<int64_t> refresh_interval_ms_{0};
  std::atomic<int64_t> timeout_ms_{0};
};

// Where compiled policies get their key sets: the fetcher, which keeps them across
// snapshots. Called while a snapshot compiles (off the request path).
class KeySetRegistry {
 public:
  virtual ~KeySetRegistry() = default;
  // The key set for `source`: the one an earlier snapshot used, or a new one.
  virtual std::shared_ptr<RemoteKeySet> KeySetFor(const RemoteJwksSource& source) = 0;
};

}  // namespace switchyard::auth

#endif  // SWITCHYARD_DATAPLANE_AUTH_REMOTE_JWKS_H_
