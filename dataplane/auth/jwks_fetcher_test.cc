// JwksFetcher against a real HTTP/1.1 backend serving JWKS documents: the first fetch
// happens before Prepare returns, key sets outlive snapshots, a token's request for a
// fetch brings rotated keys, a failed fetch keeps the last keys, and a provider that never
// answers holds Prepare only for the source's timeout.
#include "dataplane/auth/jwks_fetcher.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "dataplane/auth/testing/test_tokens.h"
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"
#include "tests/support/test_backend.h"

namespace switchyard::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::switchyard::testing::BackendExchange;
using ::switchyard::testing::TestBackend;

// The JWKS the backend serves now; "" makes it answer 503, "hang" makes it never answer.
class Provider {
 public:
  Provider()
      : backend_("idp", [this](BackendExchange& ex) {
          std::string document;
          {
            std::lock_guard<std::mutex> lock(mu_);
            document = document_;
          }
          if (document == "hang") {
            ex.Delay(seconds(30));
            return;
          }
          if (document.empty()) {
            ex.Reply(503, "down");
            return;
          }
          ex.Reply(200, document, {{"content-type", "application/json"}});
        }) {}

  void Serve(const std::string& document) {
    std::lock_guard<std::mutex> lock(mu_);
    document_ = document;
  }
  TestBackend& Backend() { return backend_; }

 private:
  std::mutex mu_;
  std::string document_;
  TestBackend backend_;
};

class JwksFetcherTest : public ::testing::Test {
 protected:
  // A snapshot whose one policy takes keys from the provider, compiled with the fetcher.
  // `remote_options` follow the remote_jwks's cluster and path.
  std::shared_ptr<const runtime::RuntimeConfig> Compile(
      const std::string& remote_options = ", refresh_interval: 1s") {
    const std::string yaml =
        "virtual_hosts: [{name: vh, domains: ['*'], routes: [{name: r, match: {prefix: /}, "
        "route: {cluster: b}, auth_policy: jwt}]}]\n"
        "clusters:\n"
        "  - {name: b, endpoints: [{address: 127.0.0.1, port: 9}]}\n"
        "  - {name: idp, endpoints: [{address: 127.0.0.1, port: " +
        std::to_string(provider_.Backend().port()) +
        "}]}\n"
        "auth_policies:\n"
        "  - {name: jwt, jwt: {issuer: https://id.example.com, remote_jwks: {cluster: idp, "
        "path: /jwks.json" +
        remote_options + "}}}\n";
    auto snapshot = config::ParseSnapshot(yaml, "test.yaml");
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    auto compiled = runtime::RuntimeConfig::Compile(*snapshot, nullptr, {}, &fetcher_);
    EXPECT_TRUE(compiled.ok()) << compiled.status();
    return *compiled;
  }

  static std::shared_ptr<RemoteKeySet> KeySetOf(const runtime::RuntimeConfig& config) {
    return config.auth().remote_key_sets().at(0);
  }

  static std::string KidOf(const RemoteKeySet& set) {
    const auto keys = set.keys();
    return keys != nullptr && keys->keys.size() == 1 ? keys->keys[0].kid : "";
  }

  // Polls (real time, loosely bounded) until `done`.
  template <typename Done>
  static bool Eventually(Done done) {
    for (int i = 0; i < 100; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return done();
  }

  Provider provider_;
  // Short gaps, so that a test asks for several fetches in a second.
  JwksFetcher fetcher_{
      {.max_refetch_gap = milliseconds(200), .max_retry_after_failure = milliseconds(200)}};
};

TEST_F(JwksFetcherTest, TheFirstFetchHappensBeforePrepareReturns) {
  provider_.Serve(testing::Jwks({testing::MakeKey("ES256", "a")}));
  const auto config = Compile();
  EXPECT_EQ(KeySetOf(*config)->keys(), nullptr);
  EXPECT_EQ(fetcher_.Prepare(config), 0u);
  EXPECT_EQ(KidOf(*KeySetOf(*config)), "a");
  ASSERT_GE(provider_.Backend().request_count(), 1u);
  EXPECT_EQ(provider_.Backend().requests()[0].target, "/jwks.json");
}

TEST_F(JwksFetcherTest, KeysOutliveSnapshotsThatKeepTheSource) {
  provider_.Serve(testing::Jwks({testing::MakeKey("ES256", "a")}));
  const auto first = Compile();
  fetcher_.Prepare(first);
  const auto second = Compile(", timeout: 1s");  // other settings, the same source
  EXPECT_EQ(KeySetOf(*second), KeySetOf(*first));
  EXPECT_EQ(KidOf(*KeySetOf(*second)), "a");
  const size_t fetches = provider_.Backend().request_count();
  EXPECT_EQ(fetcher_.Prepare(second), 0u);
  EXPECT_EQ(provider_.Backend().request_count(), fetches);  // nothing new to fetch first
}

TEST_F(JwksFetcherTest, ARequestedFetchBringsRotatedKeysAndAFailedOneKeepsTheLast) {
  provider_.Serve(testing::Jwks({testing::MakeKey("ES256", "a")}));
  // No periodic refresh in this test: every fetch after the first is asked for.
  const auto config = Compile(", refresh_interval: 3600s");
  fetcher_.Prepare(config);
  const std::shared_ptr<RemoteKeySet> set = KeySetOf(*config);
  ASSERT_EQ(KidOf(*set), "a");

  provider_.Serve(testing::Jwks({testing::MakeKey("ES256", "b")}));
  set->RequestFetch();  // a token with kid "b" arrived
  EXPECT_TRUE(Eventually([&] { return KidOf(*set) == "b"; }));

  provider_.Serve("");  // the provider fails now
  const uint64_t failed = fetcher_.stats().failed;
  set->RequestFetch();
  EXPECT_TRUE(Eventually([&] { return fetcher_.stats().failed > failed; }));
  EXPECT_EQ(KidOf(*set), "b");

  provider_.Serve("{not json");
  const uint64_t failed_again = fetcher_.stats().failed;
  set->RequestFetch();
  EXPECT_TRUE(Eventually([&] { return fetcher_.stats().failed > failed_again; }));
  EXPECT_EQ(KidOf(*set), "b");
}

TEST_F(JwksFetcherTest, APeriodicRefreshPicksUpNewKeys) {
  provider_.Serve(testing::Jwks({testing::MakeKey("ES256", "a")}));
  const auto config = Compile();  // refresh_interval: 1s
  fetcher_.Prepare(config);
  provider_.Serve(testing::Jwks({testing::MakeKey("ES256", "c")}));
  EXPECT_TRUE(Eventually([&] { return KidOf(*KeySetOf(*config)) == "c"; }));
}

TEST_F(JwksFetcherTest, AProviderThatNeverAnswersHoldsPrepareOnlyForItsTimeout) {
  provider_.Serve("hang");
  const auto config = Compile(", refresh_interval: 1s, timeout: 0.2s");
  EXPECT_EQ(fetcher_.Prepare(config), 1u);
  EXPECT_EQ(KeySetOf(*config)->keys(), nullptr);
  provider_.Serve(testing::Jwks({testing::MakeKey("ES256", "a")}));
  KeySetOf(*config)->RequestFetch();
  EXPECT_TRUE(Eventually([&] { return KidOf(*KeySetOf(*config)) == "a"; }));
}

TEST_F(JwksFetcherTest, AnUnchangedDocumentKeepsTheSameKeys) {
  provider_.Serve(testing::Jwks({testing::MakeKey("ES256", "a")}));
  const auto config = Compile();  // refresh_interval: 1s
  fetcher_.Prepare(config);
  const std::shared_ptr<const FetchedKeys> first = KeySetOf(*config)->keys();
  const uint64_t fetched = fetcher_.stats().fetched;
  EXPECT_TRUE(Eventually([&] { return fetcher_.stats().fetched > fetched; }));
  // The same object: the workers' verification contexts and cached tokens stay valid.
  EXPECT_EQ(KeySetOf(*config)->keys(), first);
}

TEST_F(JwksFetcherTest, ANewerSnapshotsIntervalsApplyToTheSharedSource) {
  provider_.Serve(testing::Jwks({testing::MakeKey("ES256", "a")}));
  const auto first = Compile(", refresh_interval: 3600s, timeout: 1s");
  const auto second = Compile(", refresh_interval: 2s, timeout: 0.5s");
  ASSERT_EQ(KeySetOf(*first), KeySetOf(*second));
  EXPECT_EQ(KeySetOf(*second)->refresh_interval(), seconds(2));
  EXPECT_EQ(KeySetOf(*second)->timeout(), milliseconds(500));
}

TEST_F(JwksFetcherTest, ASourceNoSnapshotNamesAnyMoreIsNotFetched) {
  provider_.Serve(testing::Jwks({testing::MakeKey("ES256", "a")}));
  const auto with_source = Compile();  // refresh_interval: 1s
  fetcher_.Prepare(with_source);
  auto snapshot = config::ParseSnapshot(
      "virtual_hosts: [{name: vh, domains: ['*'], routes: [{name: r, match: {prefix: /}, "
      "route: {cluster: b}}]}]\n"
      "clusters: [{name: b, endpoints: [{address: 127.0.0.1, port: 9}]}]\n",
      "none.yaml");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  auto without = runtime::RuntimeConfig::Compile(*snapshot, nullptr, {}, &fetcher_);
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(fetcher_.Prepare(*without), 0u);
  const size_t fetches = provider_.Backend().request_count();
  std::this_thread::sleep_for(milliseconds(1500));  // past a refresh_interval
  EXPECT_EQ(provider_.Backend().request_count(), fetches);
}

TEST_F(JwksFetcherTest, ASourceWithoutKeysHoldsOnlyTheSnapshotThatBroughtIt) {
  provider_.Serve("hang");
  const auto first = Compile(", refresh_interval: 3600s, timeout: 3s");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(fetcher_.Prepare(first), 1u);
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(2900));
  // The next snapshot keeps the source: it is served without waiting for it again (the
  // bound is loose; waiting would take the whole 3s timeout).
  const auto second = Compile(", refresh_interval: 3600s, timeout: 3s");
  const auto again = std::chrono::steady_clock::now();
  EXPECT_EQ(fetcher_.Prepare(second), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - again, milliseconds(1500));
}

}  // namespace
}  // namespace switchyard::auth
