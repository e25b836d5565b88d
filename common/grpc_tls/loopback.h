// Whether a listen address can only be reached from this machine. Plaintext, unauthenticated
// gRPC (--insecure) is allowed there without further ado; anywhere else it needs a second,
// explicit flag (docs/security.md).
#ifndef SWITCHYARD_COMMON_GRPC_TLS_LOOPBACK_H_
#define SWITCHYARD_COMMON_GRPC_TLS_LOOPBACK_H_

#include <string_view>

namespace switchyard {

// True for "127.x.y.z:PORT", "[::1]:PORT", "localhost:PORT" and Unix sockets ("unix:PATH");
// false for every other host, for a wildcard ("0.0.0.0", "[::]", ":PORT") and for anything
// that does not parse, so that a doubtful address is treated as reachable from outside.
bool IsLoopbackAddress(std::string_view address);

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_GRPC_TLS_LOOPBACK_H_
