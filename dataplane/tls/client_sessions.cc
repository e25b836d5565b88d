#include "dataplane/tls/client_sessions.h"

#include <memory>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace switchyard::tls {
namespace {

struct SessionFree {
  void operator()(SSL_SESSION* session) const { SSL_SESSION_free(session); }
};
using SessionPtr = std::unique_ptr<SSL_SESSION, SessionFree>;

struct SessionStore {
  std::mutex mu;
  absl::flat_hash_map<std::string, SessionPtr> sessions;
};

// NOLINTNEXTLINE(google-runtime-int): OpenSSL's CRYPTO_EX_free signature.
void FreeStore(void*, void* data, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<SessionStore*>(data);
}
// NOLINTNEXTLINE(google-runtime-int): OpenSSL's CRYPTO_EX_free signature.
void FreeEndpoint(void*, void* data, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::string*>(data);
}
int StoreIndex() {
  static const int kIndex = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &FreeStore);
  return kIndex;
}
int EndpointIndex() {
  static const int kIndex = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &FreeEndpoint);
  return kIndex;
}
SessionStore* StoreOf(SSL_CTX* ctx) {
  return static_cast<SessionStore*>(SSL_CTX_get_ex_data(ctx, StoreIndex()));
}

// OpenSSL hands over each new session (after a full handshake, and each ticket that comes
// later); returning 1 keeps the reference.
int OnNewSession(SSL* ssl, SSL_SESSION* session) {
  SessionStore* store = StoreOf(SSL_get_SSL_CTX(ssl));
  const auto* endpoint = static_cast<const std::string*>(SSL_get_ex_data(ssl, EndpointIndex()));
  if (store == nullptr || endpoint == nullptr) return 0;
  std::lock_guard<std::mutex> lock(store->mu);
  if (store->sessions.size() >= kMaxSessionsPerContext && !store->sessions.contains(*endpoint)) {
    store->sessions.clear();
  }
  store->sessions[*endpoint] = SessionPtr(session);
  return 1;
}

}  // namespace

bool KeepClientSessions(SSL_CTX* ctx) {
  auto* store = new SessionStore();
  if (SSL_CTX_set_ex_data(ctx, StoreIndex(), store) != 1) {
    delete store;
    return false;
  }
  // Stored by the callback only: OpenSSL's internal cache would key by session id, not
  // by endpoint.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &OnNewSession);
  return true;
}

void ResumeClientSession(SSL* ssl, const std::string& endpoint) {
  SessionStore* store = StoreOf(SSL_get_SSL_CTX(ssl));
  if (store == nullptr) return;
  auto* name = new std::string(endpoint);
  if (SSL_set_ex_data(ssl, EndpointIndex(), name) != 1) {
    delete name;
    return;
  }
  std::lock_guard<std::mutex> lock(store->mu);
  const auto it = store->sessions.find(endpoint);
  // SSL_set_session takes its own reference: the store keeps one for the next connection.
  if (it != store->sessions.end()) SSL_set_session(ssl, it->second.get());
}

}  // namespace switchyard::tls
