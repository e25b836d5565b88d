// The identity of an upstream connection for pooling: the endpoint plus everything that
// makes a connection to it different (protocol, and for TLS the server name, trusted CA
// and client certificate). A pooled connection is only ever reused for a request whose
// key is equal, so two clusters that reach one address with different settings never
// share a connection.
#ifndef SWITCHYARD_DATAPLANE_UPSTREAM_POOL_KEY_H_
#define SWITCHYARD_DATAPLANE_UPSTREAM_POOL_KEY_H_

#include <string>
#include <string_view>

namespace switchyard::upstream {

enum class UpstreamProtocol { kHttp1 };

struct PoolKeyParts {
  // "ip:port", or "[v6]:port".
  std::string_view address;
  UpstreamProtocol protocol = UpstreamProtocol::kHttp1;
  bool tls = false;
  // For TLS only: the SNI sent, and digests (or names) of the CA bundle and client
  // certificate used; empty when not set.
  std::string_view tls_server_name;
  std::string_view tls_ca;
  std::string_view tls_client_certificate;
};

// One string that is equal exactly when all parts are; computed once when a snapshot is
// compiled, so the request path hashes one string.
std::string MakePoolKey(const PoolKeyParts& parts);

}  // namespace switchyard::upstream

#endif  // SWITCHYARD_DATAPLANE_UPSTREAM_POOL_KEY_H_
