// The identity of an upstream connection for pooling: the endpoint plus everything that
// makes a connection to it different (protocol, and for TLS every TLS setting: server
// name, trusted CA, client certificate, verification). A pooled connection is only ever reused for
// a request whose key is equal, so two clusters that reach one address with different settings
// never share a connection.
#ifndef SWITCHYARD_DATAPLANE_UPSTREAM_POOL_KEY_H_
#define SWITCHYARD_DATAPLANE_UPSTREAM_POOL_KEY_H_

#include <string>
#include <string_view>

namespace switchyard::upstream {

enum class UpstreamProtocol { kHttp1, kHttp2 };

struct PoolKeyParts {
  // "ip:port", or "[v6]:port".
  std::string_view address;
  UpstreamProtocol protocol = UpstreamProtocol::kHttp1;
  bool tls = false;
  // For TLS only: equal exactly when every TLS setting is
  // (tls::UpstreamTlsContext::fingerprint).
  std::string_view tls_settings;
};

// One string that is equal exactly when all parts are; computed once when a snapshot is
// compiled, so the request path hashes one string.
std::string MakePoolKey(const PoolKeyParts& parts);

}  // namespace switchyard::upstream

#endif  // SWITCHYARD_DATAPLANE_UPSTREAM_POOL_KEY_H_
