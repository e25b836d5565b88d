// TLS session resumption towards backends (docs/upstream-tls.md, "Resumption"): a client
// context keeps the last session each endpoint gave it (a TLS 1.3 ticket or a TLS 1.2
// session, through OpenSSL's new-session callback), and a new connection to the same
// endpoint offers it, so that the backend need not sign, send and have verified its
// chain again.
//
// Sessions live in the context (freed with it), so a snapshot whose TLS settings change
// (a new context) starts afresh, and a session made under one set of verification
// settings is never offered under another. At most kMaxSessionsPerContext endpoints are
// remembered; beyond, the store starts over. Thread-safe: workers share a context.
#ifndef SWITCHYARD_DATAPLANE_TLS_CLIENT_SESSIONS_H_
#define SWITCHYARD_DATAPLANE_TLS_CLIENT_SESSIONS_H_

#include <openssl/ssl.h>

#include <cstddef>
#include <string>

namespace switchyard::tls {

inline constexpr size_t kMaxSessionsPerContext = 4096;

// Makes `ctx` (a client context) keep the sessions its connections are given.
bool KeepClientSessions(SSL_CTX* ctx);

// Names the endpoint `ssl` (from such a context, before its handshake) connects to
// (address and protocol), and offers the session stored for it, if any.
void ResumeClientSession(SSL* ssl, const std::string& endpoint);

}  // namespace switchyard::tls

#endif  // SWITCHYARD_DATAPLANE_TLS_CLIENT_SESSIONS_H_
