// The PEM files a gRPC endpoint authenticates with, and a check that they are usable.
//
// gRPC's file watcher (credentials.h) reads them on its own thread and, when one is
// missing or wrong, only logs and fails every handshake. Checking them once at start
// turns that into an error naming the flag, before the program claims to be serving.
#ifndef SWITCHYARD_COMMON_GRPC_TLS_TLS_FILES_H_
#define SWITCHYARD_COMMON_GRPC_TLS_TLS_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace switchyard {

struct TlsFiles {
  // CA bundle the peer's certificate must chain to. Required.
  std::string ca;
  // This endpoint's certificate chain (leaf first) and private key: both or neither.
  std::string cert;
  std::string key;
  // The flags these came from, for messages ("--tls_ca").
  std::string ca_flag = "ca";
  std::string cert_flag = "cert";
  std::string key_flag = "key";
};

// OK when `ca` holds at least one certificate and, if given, `cert` holds a certificate
// that is valid at `now` and `key` is its private key. INVALID_ARGUMENT otherwise, naming
// the flag and the file. `require_identity`: cert and key must be given.
absl::Status CheckTlsFiles(const TlsFiles& files, bool require_identity, absl::Time now);

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_GRPC_TLS_TLS_FILES_H_
