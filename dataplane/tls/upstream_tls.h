// TLS towards a cluster's endpoints (docs/upstream-tls.md): a cluster's `tls:`
// (switchyard.v1.UpstreamTls) compiled into one OpenSSL client context when a snapshot is
// compiled, then immutable and shared by every worker (SSL_new on it is thread-safe).
//
// Each connection gets an SSL from NewSsl that sends server_name as SNI and verifies the
// endpoint's chain against the configured CA certificates (or the system trust store) and
// its name: server_name against the DNS subjectAltNames, or without server_name the
// endpoint's IP address against the IP subjectAltNames. insecure_skip_verify turns all of
// that off, and Build logs a warning each time it does. ALPN offers the one protocol the
// cluster speaks ("http/1.1", or "h2" for HTTP/2), so a backend that speaks both answers in
// the protocol the proxy sends.
//
// Settings are the ones towards clients (key_material.h): TLS 1.2 and 1.3, Mozilla's
// intermediate suites and groups, no renegotiation.
#ifndef SWITCHYARD_DATAPLANE_TLS_UPSTREAM_TLS_H_
#define SWITCHYARD_DATAPLANE_TLS_UPSTREAM_TLS_H_

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/ip/address.hpp"
#include "dataplane/tls/key_material.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::tls {

class UpstreamTlsContext {
 public:
  // Reads ca_file and the client certificate files now. INVALID_ARGUMENT naming the field
  // under `path` ("clusters[b].tls") when something cannot be loaded.
  static absl::StatusOr<std::unique_ptr<const UpstreamTlsContext>> Build(const v1::UpstreamTls& tls,
                                                                         const std::string& path);

  // A connect-state SSL for a connection to `address`, with SNI and the name to verify set,
  // offering ALPN "h2" when `http2` (else "http/1.1"); nullptr when OpenSSL cannot make
  // one (out of memory). The caller owns it.
  SSL* NewSsl(const boost::asio::ip::address& address, bool http2 = false) const;

  // Equal for two contexts exactly when every setting is (a digest of them all, files by
  // path): connections are pooled by it (upstream/pool_key.h).
  const std::string& fingerprint() const { return fingerprint_; }
  const std::string& server_name() const { return server_name_; }
  bool verifies() const { return verify_; }

  // Whether a failed handshake should be logged now: at most once per 10 seconds per
  // context, so that a backend with a bad certificate cannot flood the log. Any thread.
  bool ShouldLogFailure(int64_t now_seconds) const;

 private:
  UpstreamTlsContext() = default;

  SslCtxPtr ctx_;
  std::string server_name_;
  bool verify_ = true;
  std::string fingerprint_;
  mutable std::atomic<int64_t> last_failure_log_{INT64_MIN};
};

}  // namespace switchyard::tls

#endif  // SWITCHYARD_DATAPLANE_TLS_UPSTREAM_TLS_H_
