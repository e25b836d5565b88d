#include "dataplane/auth/jwks_fetcher.h"

#include <algorithm>
#include <future>
#include <utility>

#include "absl/strings/numbers.h"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/post.hpp"
#include "common/log.h"
#include "common/sha256.h"
#include "dataplane/upstream/upstream_call.h"
#include "switchyard/config/jwks.h"

namespace switchyard::auth {
namespace {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// How often due fetches and requests from the request path are looked at.
constexpr milliseconds kTickInterval{100};
// Idle pooled connections past their time are closed every this many ticks.
constexpr uint64_t kPoolSweepEvery = 100;

// The document's fingerprint: never 0, which means "no keys".
uint64_t Fingerprint(std::string_view document) {
  const std::string hex = Sha256Hex(document);
  uint64_t value = 0;
  if (!absl::SimpleHexAtoi(hex.substr(0, 16), &value) || value == 0) return 1;
  return value;
}

}  // namespace

JwksFetcher::JwksFetcher(JwksFetcherOptions options) : options_(options) {
  Tick();
  thread_ = std::thread([this] { io_.run(); });
}

JwksFetcher::~JwksFetcher() {
  net::post(io_, [this] {
    tick_.cancel();
    io_.stop();
  });
  thread_.join();
  pool_.RetainOnly([](std::string_view) { return false; });
}

std::shared_ptr<RemoteKeySet> JwksFetcher::KeySetFor(const RemoteJwksSource& source) {
  sync::MutexLock lock(&mu_);
  std::weak_ptr<RemoteKeySet>& entry = by_source_[source.Key()];
  std::shared_ptr<RemoteKeySet> set = entry.lock();
  if (set == nullptr) {
    set = std::make_shared<RemoteKeySet>(source);
    entry = set;
  } else {
    set->SetIntervals(source);  // the newest snapshot's
  }
  return set;
}

size_t JwksFetcher::Prepare(const std::shared_ptr<const runtime::RuntimeConfig>& config) {
  struct Wait {
    sync::Mutex mu;
    sync::CondVar done_cv;
    // First fetches of new sources not ended yet, and the longest of their timeouts.
    size_t pending ABSL_GUARDED_BY(mu) = 0;
    milliseconds longest ABSL_GUARDED_BY(mu){0};
  };
  {
    // The entries of key sets that no compiled config holds any more: once per install,
    // not per source (a snapshot may name thousands).
    sync::MutexLock lock(&mu_);
    absl::erase_if(by_source_, [](const auto& kv) { return kv.second.expired(); });
  }
  auto wait = std::make_shared<Wait>();
  std::promise<void> posted;
  net::post(io_, [this, config, wait, &posted] {
    config_ = config;
    endpoints_.OnConfig(*config);
    std::vector<Tracked> next;
    for (const auto& set : config->auth().remote_key_sets()) {
      auto it = std::find_if(tracked_.begin(), tracked_.end(),
                             [&](const Tracked& t) { return t.set == set; });
      if (it != tracked_.end()) {
        next.push_back(std::move(*it));
        continue;
      }
      // New to the fetcher: fetched now, and waited for. (A source it tracks already and
      // that has no keys, its provider down, holds no install up.)
      next.push_back(Tracked{.set = set});
      if (set->keys() != nullptr) continue;
      {
        sync::MutexLock lock(&wait->mu);
        ++wait->pending;
        wait->longest = std::max(wait->longest, set->timeout());
      }
      next.back().on_first_end = std::make_shared<std::function<void()>>([wait] {
        sync::MutexLock lock(&wait->mu);
        --wait->pending;
        wait->done_cv.SignalAll();
      });
      StartFetch(next.back());
    }
    tracked_ = std::move(next);
    posted.set_value();
  });
  posted.get_future().wait();
  {
    sync::MutexLock lock(&wait->mu);
    wait->done_cv.WaitWithTimeout(
        &wait->mu, absl::FromChrono(wait->longest + milliseconds(100)),
        [&wait]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(wait->mu) { return wait->pending == 0; });
  }
  size_t without_keys = 0;
  for (const auto& set : config->auth().remote_key_sets()) {
    if (set->keys() == nullptr) ++without_keys;
  }
  return without_keys;
}

void JwksFetcher::Tick() {
  tick_.expires_after(kTickInterval);
  tick_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    const Clock::time_point now = Clock::now();
    if (++ticks_ % kPoolSweepEvery == 0) pool_.Sweep(now);
    for (Tracked& tracked : tracked_) {
      if (tracked.fetching) continue;
      const milliseconds gap =
          std::min<milliseconds>(tracked.set->refresh_interval(), options_.max_refetch_gap);
      const bool due = now >= tracked.next_due;
      // Take a request only when it may be served, so that it waits for its turn.
      if (due || (now >= tracked.last_attempt + gap && tracked.set->TakeFetchRequest())) {
        StartFetch(tracked);
      }
    }
    Tick();
  });
}

void JwksFetcher::StartFetch(Tracked& tracked) {
  tracked.fetching = true;
  tracked.last_attempt = Clock::now();
  net::co_spawn(io_, Fetch(tracked.set), net::detached);
}

io::Awaitable<void> JwksFetcher::Fetch(std::shared_ptr<RemoteKeySet> set) {
  const RemoteJwksSource& source = set->source();
  const std::shared_ptr<const runtime::RuntimeConfig> config = config_;
  const int cluster = config != nullptr ? config->FindCluster(source.cluster) : -1;
  if (cluster < 0) {
    LogWarning("JWKS %s from cluster '%s': no such cluster in the served snapshot",
               source.path.c_str(), source.cluster.c_str());
    FetchEnded(set.get(), false);
    co_return;
  }
  upstream::UpstreamCall call(io_.get_executor(),
                              {pool_, endpoints_, time::SteadyClock::Instance()},
                              http::ParserLimits{}, config::kMaxJwksBytes);
  upstream::CallRequest request{.target = source.path};
  if (!source.host.empty()) request.headers.Add("host", source.host);
  request.headers.Add("accept", "application/jwk-set+json, application/json");
  // The timer's handler may already be queued when the call ends (both in one turn of
  // the loop): it reaches the call through `target`, cleared before this frame can go.
  auto target = std::make_shared<upstream::UpstreamCall*>(&call);
  const milliseconds timeout = set->timeout();
  net::steady_timer deadline(io_, timeout);
  deadline.async_wait([target](boost::system::error_code ec) {
    if (!ec && *target != nullptr) (*target)->Cancel();
  });
  upstream::CallResponse response;
  const boost::system::error_code ec = co_await call.Run(
      *config, config->clusters()[static_cast<size_t>(cluster)], request, response);
  *target = nullptr;
  deadline.cancel();
  std::string problem;
  if (ec) {
    problem = ec == net::error::operation_aborted
                  ? "timed out after " + std::to_string(timeout.count()) + "ms"
                  : ec.message();
  } else if (response.status != 200) {
    problem = "HTTP " + std::to_string(response.status);
  } else if (absl::StatusOr<std::vector<config::Jwk>> keys = config::ParseJwks(response.body);
             !keys.ok()) {
    problem = "the document is not a usable JWKS: " + std::string(keys.status().message());
  } else {
    // The same document keeps the same keys, so that the workers' verification contexts
    // and cached tokens stay valid.
    if (const uint64_t fingerprint = Fingerprint(response.body);
        fingerprint != set->fingerprint()) {
      auto fetched = std::make_shared<FetchedKeys>();
      fetched->fingerprint = fingerprint;
      fetched->keys = *std::move(keys);
      LogInfo("JWKS %s from cluster '%s': %zu keys", source.path.c_str(), source.cluster.c_str(),
              fetched->keys.size());
      set->SetKeys(std::move(fetched));
    }
    FetchEnded(set.get(), true);
    co_return;
  }
  LogWarning(
      "JWKS %s from cluster '%s' not fetched (%s); %s", source.path.c_str(), source.cluster.c_str(),
      problem.c_str(),
      set->keys() != nullptr ? "keeping the last keys" : "its tokens get 401 jwks_not_ready");
  FetchEnded(set.get(), false);
}

void JwksFetcher::FetchEnded(const RemoteKeySet* set, bool ok) {
  (ok ? fetched_ : failed_).fetch_add(1, std::memory_order_relaxed);
  for (Tracked& tracked : tracked_) {
    if (tracked.set.get() != set) continue;
    tracked.fetching = false;
    const milliseconds interval = tracked.set->refresh_interval();
    tracked.next_due =
        Clock::now() +
        (ok ? interval : std::min<milliseconds>(interval, options_.max_retry_after_failure));
    if (tracked.on_first_end != nullptr) {
      (*tracked.on_first_end)();
      tracked.on_first_end.reset();
    }
  }
}

}  // namespace switchyard::auth
