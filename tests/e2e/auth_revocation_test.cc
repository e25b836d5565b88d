// Revoking an API key with yardctl while clients use it (docs/auth.md, "API keys": a
// revoked key fails on each proxy from the version it ACKs).
//
// Two proxies (two workers each) serve a route behind an API-key policy; consumer acme
// has the keys "old" and "new", consumer globex one key of its own. Client threads send
// requests with each key on keep-alive connections and on a fresh connection per request,
// recording when each request was sent and what came back, while the test runs
// `yardctl keys revoke acme old`. The moment each proxy ACKed the new version V is the
// first time the test saw it: the proxy's /stats discovery.running_version (set once the
// snapshot is installed and posted to every worker thread, just before the ACK is sent) or
// `yardctl status` (the control plane got the ACK), whichever came first.
//
// Asserted: every request with the new key, or globex's key, got 200 from the backend
// (no 401, no 5xx, no connection error); every request with the old key sent after its
// proxy's ACK was observed got 401 invalid_credential; before the revocation the old key
// worked; the backend never saw the old key on a request sent after that ACK; and on a
// keep-alive connection, once the old key got 401 it never got 200 again.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/support/components.h"
#include "tests/e2e/support/e2e_test.h"
#include "tests/support/http_message.h"
#include "tests/support/raw_client.h"

namespace switchyard::e2e {
namespace {

using ::switchyard::testing::BuildRequest;
using ::switchyard::testing::RawClient;
using ::switchyard::testing::ReceivedRequest;

// How long the load runs before the revocation, and after the last proxy ACKed it.
constexpr auto kLoadBefore = std::chrono::milliseconds(800);
constexpr auto kLoadAfterAck = std::chrono::milliseconds(1500);
// Generous bounds for anything that waits: two busy CI cores.
constexpr auto kWaitBound = std::chrono::seconds(30);

enum class KeyKind { kOld, kNew, kGlobex };

const char* KindName(KeyKind k) {
  switch (k) {
    case KeyKind::kOld:
      return "acme/old";
    case KeyKind::kNew:
      return "acme/new";
    case KeyKind::kGlobex:
      return "globex/main";
  }
  return "?";
}

// One request as a client thread saw it.
struct Outcome {
  KeyKind kind = KeyKind::kOld;
  size_t proxy = 0;
  std::string target;      // unique: the backend's record names the request
  Clock::time_point sent;  // just before the request's first byte was written
  Clock::time_point done;
  bool complete = false;
  int status = 0;
  std::string error;     // the local reply's "error", or the transport error
  std::string consumer;  // the backend's echo of x-switchyard-consumer ("" when none)
  std::string summary;
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// A client thread: one key, one proxy, a keep-alive connection (replaced when the proxy
// closes it) or a new connection per request.
class ClientThread {
 public:
  ClientThread(int index, KeyKind kind, std::string key, size_t proxy, uint16_t port, bool fresh)
      : index_(index),
        kind_(kind),
        key_(std::move(key)),
        proxy_(proxy),
        port_(port),
        fresh_(fresh) {}
  ~ClientThread() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Only after Stop.
  const std::vector<Outcome>& Outcomes() const { return outcomes_; }
  int Completed() const { return completed_.load(); }
  KeyKind Kind() const { return kind_; }
  size_t Proxy() const { return proxy_; }
  bool Fresh() const { return fresh_; }
  // From now on, counts the requests recorded that were sent at or after `t`.
  void CountSentFrom(Clock::time_point t) {
    mark_ = t.time_since_epoch().count();
    marked_ = true;
  }
  int SentAfterMark() const { return sent_after_mark_.load(); }
  std::string Describe() const {
    return std::string(KindName(kind_)) + " on proxy" + std::to_string(proxy_ + 1) +
           (fresh_ ? " (new connection per request)" : " (keep-alive)");
  }

 private:
  void Run() {
    std::unique_ptr<RawClient> client;
    for (uint64_t seq = 0; !stop_; ++seq) {
      if (client == nullptr || fresh_) client = std::make_unique<RawClient>(port_);
      Outcome o;
      o.kind = kind_;
      o.proxy = proxy_;
      o.target = "/load/" + std::to_string(index_) + "/" + std::to_string(seq);
      if (!client->connected()) {
        o.sent = o.done = Clock::now();
        o.error = "connect: " + client->connect_error();
        o.summary = "error: " + o.error;
        client.reset();
        Record(std::move(o));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      const std::string request =
          BuildRequest("GET", o.target, {{"Host", std::string(kHost)}, {"x-api-key", key_}});
      o.sent = Clock::now();
      const Response r = client->RoundTrip(request, {.timeout = std::chrono::seconds(10)});
      o.done = Clock::now();
      o.complete = r.complete;
      o.status = r.status;
      o.summary = Summary(r);
      if (!r.complete) {
        o.error = r.error;
      } else if (r.headers.Get("x-switchyard-local-reply").value_or("") == "true") {
        const nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
        o.error = body.is_object() ? body.value("error", "") : "(no JSON body)";
        o.summary += " " + o.error;
      }
      o.consumer = r.headers.Get("x-echo-consumer").value_or("");
      if (!r.complete || r.headers.Get("connection").value_or("") == "close") client.reset();
      Record(std::move(o));
      // A little pacing, so that the control plane, yardctl and the proxies' discovery
      // threads still get the two cores.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void Record(Outcome o) {
    if (marked_.load() && o.sent.time_since_epoch().count() >= mark_.load()) ++sent_after_mark_;
    outcomes_.push_back(std::move(o));
    ++completed_;
  }

  const int index_;
  const KeyKind kind_;
  const std::string key_;
  const size_t proxy_;
  const uint16_t port_;
  const bool fresh_;
  std::atomic<bool> stop_{false};
  std::atomic<int> completed_{0};
  std::atomic<bool> marked_{false};
  std::atomic<int64_t> mark_{0};
  std::atomic<int> sent_after_mark_{0};
  std::vector<Outcome> outcomes_;
  std::thread thread_;
};

// "acme/old on proxy1 (keep-alive), /load/0/17 sent +3.2 ms from the ACK: 200 from B".
std::string Where(const ClientThread& t, const Outcome& o, Clock::time_point ack) {
  char sent[64];
  std::snprintf(sent, sizeof(sent), " sent %+.1f ms from the ACK: ", Ms(o.sent - ack));
  std::string out = t.Describe();
  out += ", ";
  out += o.target;
  out += sent;
  out += o.summary;
  return out;
}

// Watches every proxy's /stats and remembers when each value was first seen.
class StatsWatcher {
 public:
  struct Sample {
    Clock::time_point at;      // when the answer arrived
    uint64_t running_version;  // discovery.running_version: installed, ACK on its way
    uint64_t version;          // "version": the config manager's, set before publishing
  };
  explicit StatsWatcher(std::vector<const DynamicProxy*> proxies)
      : proxies_(std::move(proxies)), samples_(proxies_.size()) {}
  ~StatsWatcher() { Stop(); }

  void Start() {
    thread_ = std::thread([this] {
      while (!stop_) {
        for (size_t i = 0; i < proxies_.size(); ++i) {
          const auto stats = proxies_[i]->Stats();
          if (!stats) continue;
          const uint64_t running =
              JsonUint(stats->value("discovery", nlohmann::json::object()), "running_version");
          const uint64_t version = JsonUint(*stats, "version");
          std::lock_guard<std::mutex> lock(mu_);
          auto& s = samples_[i];
          if (s.empty() || s.back().running_version != running || s.back().version != version) {
            s.push_back({Clock::now(), running, version});
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // The first time proxy `i` was seen with discovery.running_version (or, with
  // `manager_version`, "version") >= v.
  std::optional<Clock::time_point> FirstSeen(size_t i, uint64_t v,
                                             bool manager_version = false) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Sample& s : samples_[i]) {
      if ((manager_version ? s.version : s.running_version) >= v) return s.at;
    }
    return std::nullopt;
  }

 private:
  const std::vector<const DynamicProxy*> proxies_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<std::vector<Sample>> samples_;
  std::thread thread_;
};

class AuthRevocationTest : public E2eTest {
 protected:
  // `yardctl keys create CONSUMER --name NAME`: the key (stdout) and the version (stderr).
  ::testing::AssertionResult CreateKey(const std::string& consumer, const std::string& name,
                                       std::string* key, uint64_t* version) {
    const CommandResult r = yardctl().Run({"keys", "create", consumer, "--name", name});
    if (r.timed_out || r.exit_code != 0) {
      return ::testing::AssertionFailure() << "yardctl keys create: " << r.DebugString();
    }
    *key = r.stdout_text;
    while (!key->empty() && (key->back() == '\n' || key->back() == '\r')) key->pop_back();
    if (key->rfind("sy_", 0) != 0 || key->size() != 46) {
      return ::testing::AssertionFailure() << "not a key on stdout: " << r.DebugString();
    }
    CommandResult stderr_only;
    stderr_only.output = r.stderr_text;
    *version = Yardctl::AppliedVersion(stderr_only);
    if (*version == 0) return ::testing::AssertionFailure() << "no version: " << r.DebugString();
    return ::testing::AssertionSuccess();
  }
};

TEST_F(AuthRevocationTest, RevokedKeyFailsFromTheAckedVersionAndOtherKeysNeverFail) {
  // The backend echoes the consumer the gateway named, so clients can check it too.
  TestBackend& backend = AddBackend("B", [](BackendExchange& ex) {
    ex.Reply(200, "B",
             {{"x-backend", "B"},
              {"x-echo-consumer", ex.request().headers.Get("x-switchyard-consumer").value_or("")}});
  });
  ASSERT_TRUE(StartControlPlane());
  const std::string base =
      "consumers:\n"
      "- {name: acme, groups: [partners]}\n"
      "- {name: globex}\n"
      "auth_policies:\n"
      "- name: keyed\n"
      "  api_key: {header: x-api-key}\n"
      "virtual_hosts:\n"
      "- name: e2e\n"
      "  domains: [\"*\"]\n"
      "  routes:\n"
      "  - {name: all, match: {prefix: /}, route: {cluster: b}, auth_policy: keyed}\n"
      "clusters:\n"
      "- name: b\n"
      "  endpoints:\n"
      "  - {address: 127.0.0.1, port: " +
      std::to_string(backend.port()) + "}\n";
  uint64_t v_base = 0;
  ASSERT_TRUE(Apply(base, &v_base));
  ASSERT_TRUE(StartProxies(2, {"--workers=2"}));

  // The keys, made as an operator makes them.
  std::string old_key, new_key, globex_key;
  uint64_t v_keys = 0;
  ASSERT_TRUE(CreateKey("acme", "old", &old_key, &v_keys));
  ASSERT_TRUE(CreateKey("acme", "new", &new_key, &v_keys));
  ASSERT_TRUE(CreateKey("globex", "main", &globex_key, &v_keys));
  ASSERT_NE(old_key, new_key);
  ASSERT_TRUE(WaitForVersion(v_keys, std::chrono::seconds(20)));

  // Sanity, on each proxy: every key works, a missing or unknown key does not.
  for (size_t p = 0; p < proxy_count(); ++p) {
    for (const std::string& key : {old_key, new_key, globex_key}) {
      RawClient c(proxy(p).port());
      const Response r = c.RoundTrip(
          BuildRequest("GET", "/sanity", {{"Host", std::string(kHost)}, {"x-api-key", key}}));
      ASSERT_TRUE(r.complete && r.status == 200 && BackendOf(r) == "B") << Summary(r);
    }
    const Response none = proxy(p).Get("/sanity");
    EXPECT_EQ(none.status, 401) << Summary(none);
    EXPECT_NE(none.body.find("missing_credential"), std::string::npos) << none.body;
    RawClient c(proxy(p).port());
    const Response bad = c.RoundTrip(
        BuildRequest("GET", "/sanity",
                     {{"Host", std::string(kHost)},
                      {"x-api-key", "sy_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}));
    EXPECT_EQ(bad.status, 401) << Summary(bad);
    EXPECT_NE(bad.body.find("invalid_credential"), std::string::npos) << bad.body;
  }

  // The load: per proxy, the old and the new key each on a keep-alive connection and on a
  // new connection per request; globex's key on a keep-alive connection to each.
  std::vector<std::unique_ptr<ClientThread>> threads;
  for (size_t p = 0; p < proxy_count(); ++p) {
    const uint16_t port = proxy(p).port();
    const int n = static_cast<int>(threads.size());
    threads.push_back(std::make_unique<ClientThread>(n, KeyKind::kOld, old_key, p, port, false));
    threads.push_back(std::make_unique<ClientThread>(n + 1, KeyKind::kOld, old_key, p, port, true));
    threads.push_back(
        std::make_unique<ClientThread>(n + 2, KeyKind::kNew, new_key, p, port, false));
    threads.push_back(std::make_unique<ClientThread>(n + 3, KeyKind::kNew, new_key, p, port, true));
    threads.push_back(
        std::make_unique<ClientThread>(n + 4, KeyKind::kGlobex, globex_key, p, port, false));
  }
  std::vector<const DynamicProxy*> watched;
  for (size_t p = 0; p < proxy_count(); ++p) watched.push_back(&proxy(p));
  StatsWatcher watcher(watched);
  watcher.Start();
  const Clock::time_point load_start = Clock::now();
  for (auto& t : threads) t->Start();
  // Every thread has had responses (a loaded machine may need longer than kLoadBefore).
  std::this_thread::sleep_for(kLoadBefore);
  const bool warmed = PollUntil(
      [&] {
        return std::all_of(threads.begin(), threads.end(),
                           [](const auto& t) { return t->Completed() >= 10; });
      },
      kWaitBound);
  // (Returning stops the client threads: their destructors join them.)
  ASSERT_TRUE(warmed) << "the load did not get going: a client thread has fewer than 10 "
                         "responses";

  // The revocation.
  const Clock::time_point revoke_start = Clock::now();
  const CommandResult revoked = yardctl().Run({"keys", "revoke", "acme", "old"});
  const Clock::time_point revoke_done = Clock::now();
  const uint64_t v_revoked = Yardctl::AppliedVersion(revoked);
  ASSERT_TRUE(revoked.exit_code == 0 && v_revoked > v_keys)
      << "yardctl keys revoke acme old: " << revoked.DebugString();

  // When each proxy ACKed it: the earliest of what /stats and yardctl status showed.
  std::vector<std::optional<Clock::time_point>> status_ack(proxy_count());
  std::vector<Clock::time_point> t_ack(proxy_count());
  std::string status_error;
  const bool acked = PollUntil(
      [&] {
        if (const auto s = yardctl().StatusJson(&status_error)) {
          const Clock::time_point seen = Clock::now();
          for (const auto& e : s->value("proxies", nlohmann::json::array())) {
            for (size_t p = 0; p < proxy_count(); ++p) {
              if (e.value("node_id", "") == proxy(p).node_id() && !status_ack[p] &&
                  JsonUint(e, "running_version") >= v_revoked) {
                status_ack[p] = seen;
              }
            }
          }
        }
        return std::all_of(status_ack.begin(), status_ack.end(),
                           [](const auto& t) { return t.has_value(); });
      },
      kWaitBound);
  ASSERT_TRUE(acked) << "yardctl status does not show every proxy running version " << v_revoked
                     << " within 30 s: " << status_error;
  Clock::time_point last_ack = revoke_start;
  for (size_t p = 0; p < proxy_count(); ++p) {
    const auto from_stats = watcher.FirstSeen(p, v_revoked);
    t_ack[p] = from_stats ? std::min(*from_stats, *status_ack[p]) : *status_ack[p];
    last_ack = std::max(last_ack, t_ack[p]);
  }
  // Load on after the ACK: kLoadAfterAck, and at least 10 requests from every old-key
  // thread sent after its proxy's ACK, so the main assertion is never vacuous.
  for (auto& t : threads) t->CountSentFrom(t_ack[t->Proxy()]);
  std::this_thread::sleep_for(kLoadAfterAck -
                              std::min<Clock::duration>(kLoadAfterAck, Clock::now() - last_ack));
  const bool enough_after = PollUntil(
      [&] {
        return std::all_of(threads.begin(), threads.end(), [&](const auto& t) {
          return t->Kind() != KeyKind::kOld || t->SentAfterMark() >= 10;
        });
      },
      kWaitBound);
  for (auto& t : threads) t->Stop();
  const Clock::time_point load_end = Clock::now();
  watcher.Stop();
  ASSERT_TRUE(enough_after) << "an old-key thread sent fewer than 10 requests after the ACK";

  // ---- What the clients saw.
  struct Tally {
    int before = 0, window = 0, after = 0;  // by send time: revoke_start, T_ack
    int ok_before = 0, ok_window = 0, ok_after = 0;
    int refused_window = 0, refused_after = 0;
  };
  std::map<KeyKind, Tally> tally;
  std::unordered_map<std::string, const Outcome*> by_target;
  int failures_shown = 0;
  auto show = [&failures_shown](const std::string& what) {
    if (++failures_shown <= 20) ADD_FAILURE() << what;
  };
  for (const auto& t : threads) {
    bool refused_on_connection = false;
    for (const Outcome& o : t->Outcomes()) {
      by_target[o.target] = &o;
      Tally& k = tally[o.kind];
      const bool ok = o.complete && o.status == 200;
      const bool refused = o.complete && o.status == 401 && o.error == "invalid_credential";
      const bool after = o.sent >= t_ack[o.proxy];
      const bool before = o.done < revoke_start;
      (before ? k.before : after ? k.after : k.window)++;
      if (ok) (before ? k.ok_before : after ? k.ok_after : k.ok_window)++;
      if (refused) (after ? k.refused_after : k.refused_window)++;
      const auto where = [&] { return Where(*t, o, t_ack[o.proxy]); };
      if (o.kind != KeyKind::kOld) {
        // None fails that should pass.
        if (!ok) show("a request with a valid key failed: " + where());
        const std::string consumer = o.kind == KeyKind::kGlobex ? "globex" : "acme";
        if (ok && o.consumer != consumer) {
          std::string what = "the backend was told consumer '";
          what += o.consumer + "', not '" + consumer + "': " + where();
          show(what);
        }
        continue;
      }
      if (before && !ok) show("the old key failed before the revocation: " + where());
      if (!before && !after && !ok && !refused) {
        show("the old key got neither 200 nor 401 invalid_credential: " + where());
      }
      if (after && !refused) {
        show("the old key did not get 401 invalid_credential after the ACK: " + where());
      }
      if (!t->Fresh() && ok && refused_on_connection) {
        show("the old key got 200 on a connection where it had already got 401: " + where());
      }
      refused_on_connection = refused_on_connection || refused;
    }
  }
  EXPECT_GT(tally[KeyKind::kOld].ok_before, 0) << "the old key never worked before revocation";

  // ---- What the backend saw: the old key only on requests sent before their proxy's ACK,
  // and every request a client saw succeed.
  size_t backend_old = 0, backend_load = 0;
  for (const ReceivedRequest& r : backend.requests()) {
    if (r.target.rfind("/load/", 0) != 0) continue;
    ++backend_load;
    const std::string key = r.headers.Get("x-api-key").value_or("");
    const std::string consumer = r.headers.Get("x-switchyard-consumer").value_or("");
    const auto it = by_target.find(r.target);
    if (it == by_target.end()) {
      show("the backend got " + r.target + ", which no client recorded");
      continue;
    }
    const Outcome& o = *it->second;
    const std::string expected_consumer = o.kind == KeyKind::kGlobex ? "globex" : "acme";
    if (consumer != expected_consumer) {
      show("the backend got " + r.target + " as consumer '" + consumer + "'");
    }
    if (key != old_key) continue;
    ++backend_old;
    if (o.kind != KeyKind::kOld || o.sent >= t_ack[o.proxy]) {
      char when[96];
      std::snprintf(when, sizeof(when), ", sent %+.1f ms from proxy%zu's ACK of the revocation",
                    Ms(o.sent - t_ack[o.proxy]), o.proxy + 1);
      show("the backend got the old key on " + r.target + when);
    }
  }
  size_t client_ok = 0, client_old_ok = 0;
  for (const auto& t : threads) {
    for (const Outcome& o : t->Outcomes()) {
      if (o.complete && o.status == 200) {
        ++client_ok;
        if (o.kind == KeyKind::kOld) ++client_old_ok;
      }
    }
  }
  if (failures_shown > 20) ADD_FAILURE() << failures_shown - 20 << " more failures not shown";
  EXPECT_EQ(backend_load, client_ok) << "requests the backend got vs. 200s the clients got";
  EXPECT_EQ(backend_old, client_old_ok);

  // Informational: the manager's "version" in /stats changes before the workers are sent
  // the new config, so it is not the ACK; how many old-key 200s were sent after it.
  int ok_after_manager_version = 0;
  for (size_t p = 0; p < proxy_count(); ++p) {
    const auto seen = watcher.FirstSeen(p, v_revoked, /*manager_version=*/true);
    if (!seen) continue;
    for (const auto& t : threads) {
      if (t->Proxy() != p || t->Kind() != KeyKind::kOld) continue;
      for (const Outcome& o : t->Outcomes()) {
        if (o.sent >= *seen && o.complete && o.status == 200) ++ok_after_manager_version;
      }
    }
  }

  std::printf(
      "[auth revocation] version %llu revoked acme/old; yardctl took %.0f ms; load %.1f s\n",
      static_cast<unsigned long long>(v_revoked), Ms(revoke_done - revoke_start),
      Ms(load_end - load_start) / 1000);
  for (size_t p = 0; p < proxy_count(); ++p) {
    // Relative to yardctl's return: a proxy may ACK before yardctl hears back.
    const auto from_stats = watcher.FirstSeen(p, v_revoked);
    char stats_seen[32] = "never";
    if (from_stats) {
      std::snprintf(stats_seen, sizeof(stats_seen), "%+.1f ms", Ms(*from_stats - revoke_done));
    }
    std::printf(
        "  proxy%zu ACK seen at %+.1f ms from yardctl's return (/stats %s, yardctl status %+.1f "
        "ms)\n",
        p + 1, Ms(t_ack[p] - revoke_done), stats_seen, Ms(*status_ack[p] - revoke_done));
  }
  for (const auto& [kind, k] : tally) {
    std::printf(
        "  %-12s before revoke: %d (%d ok) | revoke..ACK: %d (%d ok, %d refused) | after ACK: %d "
        "(%d ok, %d refused)\n",
        KindName(kind), k.before, k.ok_before, k.window, k.ok_window, k.refused_window, k.after,
        k.ok_after, k.refused_after);
  }
  std::printf(
      "  backend: %zu load requests, %zu with the old key; old-key 200s sent after /stats "
      "\"version\" showed %llu: %d\n",
      backend_load, backend_old, static_cast<unsigned long long>(v_revoked),
      ok_after_manager_version);
}

}  // namespace
}  // namespace switchyard::e2e
