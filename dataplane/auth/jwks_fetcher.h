// Fetches the JWKS documents of auth policies whose JWT keys come from a URL (docs/auth.md,
// "Keys from a URL"), on a thread of its own, so no request ever waits for a fetch.
//
// It is the KeySetRegistry of every snapshot the proxy compiles: policies naming the same
// source (cluster, path, host) share one RemoteKeySet across swaps, so the fetched keys
// outlive the snapshot, and the source is fetched once per process. Fetches go through
// the served snapshot's cluster like proxied requests (its endpoints, TLS settings and
// protocol), with a connection pool of the fetcher's own.
//
// Each source is fetched again every refresh_interval, and sooner when a request asked
// (a token with an unknown kid, or no keys yet): at most once per
// min(refresh_interval, 30s). A failed fetch (refused, timed out, not 200, a document
// that does not parse) keeps the last keys, is logged, and is retried after
// min(refresh_interval, 10s).
#ifndef SWITCHYARD_DATAPLANE_AUTH_JWKS_FETCHER_H_
#define SWITCHYARD_DATAPLANE_AUTH_JWKS_FETCHER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "common/sync/mutex.h"
#include "dataplane/auth/remote_jwks.h"
#include "dataplane/io/io_types.h"
#include "dataplane/runtime/runtime_config.h"
#include "dataplane/upstream/connection_pool.h"
#include "dataplane/upstream/endpoint_store.h"

namespace switchyard::auth {

struct JwksFetcherOptions {
  // A request's fetch comes at most this often per source (or every refresh_interval when
  // that is shorter).
  std::chrono::milliseconds max_refetch_gap = std::chrono::seconds(30);
  // A failed fetch is tried again after this (or refresh_interval when shorter).
  std::chrono::milliseconds max_retry_after_failure = std::chrono::seconds(10);
};

class JwksFetcher final : public KeySetRegistry {
 public:
  // Starts the fetcher's thread.
  explicit JwksFetcher(JwksFetcherOptions options = {});
  // Stops it; fetches in progress are abandoned.
  ~JwksFetcher() override;
  JwksFetcher(const JwksFetcher&) = delete;
  JwksFetcher& operator=(const JwksFetcher&) = delete;

  // Thread-safe.
  std::shared_ptr<RemoteKeySet> KeySetFor(const RemoteJwksSource& source) override;

  // Before `config` is served: its clusters are the ones fetches use from now on, its key
  // sets the ones kept fresh (others are no longer fetched), and the sets new to the
  // fetcher are fetched now. Returns once each of these first fetches ended, or their
  // longest timeout passed; the sources that still have no keys serve 401 jwks_not_ready
  // until a later fetch succeeds. Returns how many of `config`'s sources have no keys.
  // Called by one thread at a time (the config manager's installs are serialized), for
  // every config served, also one without sources (which stops the fetching).
  size_t Prepare(const std::shared_ptr<const runtime::RuntimeConfig>& config);

  // Fetches that succeeded and failed so far.
  struct Stats {
    uint64_t fetched = 0;
    uint64_t failed = 0;
  };
  Stats stats() const { return {fetched_.load(), failed_.load()}; }

 private:
  struct Tracked {
    std::shared_ptr<RemoteKeySet> set;
    std::chrono::steady_clock::time_point next_due{};
    std::chrono::steady_clock::time_point last_attempt{};
    bool fetching = false;
    // Told when the first fetch ends: Prepare waits for it.
    std::shared_ptr<std::function<void()>> on_first_end;
  };

  // On the fetcher's thread.
  void Tick();
  void StartFetch(Tracked& tracked);
  io::Awaitable<void> Fetch(std::shared_ptr<RemoteKeySet> set);
  void FetchEnded(const RemoteKeySet* set, bool ok);

  const JwksFetcherOptions options_;
  sync::Mutex mu_;
  absl::flat_hash_map<std::string, std::weak_ptr<RemoteKeySet>> by_source_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> fetched_{0};
  std::atomic<uint64_t> failed_{0};
  // The fetcher's thread only. Declared before io_ so that they outlive the fetches
  // destroyed with io_'s handlers; the destructor closes the pooled sockets before io_
  // goes (as the workers do).
  upstream::ConnectionPool pool_{std::chrono::seconds(60)};
  upstream::EndpointStore endpoints_;
  std::shared_ptr<const runtime::RuntimeConfig> config_;
  std::vector<Tracked> tracked_;
  uint64_t ticks_ = 0;
  boost::asio::io_context io_;
  boost::asio::steady_timer tick_{io_};
  std::thread thread_;
};

}  // namespace switchyard::auth

#endif  // SWITCHYARD_DATAPLANE_AUTH_JWKS_FETCHER_H_
