// AdminClient over a gRPC channel, TLS or plaintext as ConnectionSecurity says.
//
// Each call has its own deadline of `timeout`. Calls fail fast (no wait-for-ready): a
// refused connection comes back at once as UNAVAILABLE instead of after the timeout.
// A deadline that passes before the channel ever connected (a host that drops packets,
// or a port that accepts TCP but never speaks HTTP/2) is returned as UNAVAILABLE too,
// because for the operator it means the same thing: no control plane at that address.
// Both are marked with ConnectionFailure() (admin_client.h). A deadline that passes on a
// connected channel stays DEADLINE_EXCEEDED, and an UNAVAILABLE the server sends stays
// unmarked.
#ifndef SWITCHYARD_TOOLS_YARDCTL_GRPC_ADMIN_CLIENT_H_
#define SWITCHYARD_TOOLS_YARDCTL_GRPC_ADMIN_CLIENT_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/grpc_tls/tls_files.h"
#include "tools/yardctl/admin_client.h"

namespace switchyard::yardctl {

// How the channel is secured and the caller authenticated (docs/security.md).
struct ConnectionSecurity {
  // Plaintext (a control plane started with --insecure); no token is sent.
  bool insecure = false;
  // Otherwise TLS: the server's certificate must chain to tls.ca and name the target's
  // host (or server_name); tls.cert/key, when given, are presented as a client certificate.
  TlsFiles tls;
  std::string server_name;
  // Sent as "authorization: Bearer <token>" with every call; empty: none.
  std::string bearer_token;
};

struct GrpcClientOptions {
  // A gRPC target: "HOST:PORT", "dns:///HOST:PORT", "unix:/path", ...
  std::string target;
  absl::Duration timeout = absl::Seconds(5);
  ConnectionSecurity security;
};

std::unique_ptr<AdminClient> NewGrpcAdminClient(const GrpcClientOptions& options);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_GRPC_ADMIN_CLIENT_H_
