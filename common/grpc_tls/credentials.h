// gRPC credentials for the control stream and the admin API, from PEM files that are
// re-read while the program runs, so certificates can be rotated without a restart.
//
// This uses gRPC's TlsCredentials with a FileWatcherCertificateProvider rather than
// SslServerCredentials/SslCredentials: the latter take PEM strings once and can never
// change them. Connections already open keep the certificate they were set up with; new
// handshakes use the files as last read. Replace a certificate and its key by renaming
// (deploy/pki/make-pki.sh does): a watcher that reads a new certificate with the old key
// keeps the previous pair until both match.
#ifndef SWITCHYARD_COMMON_GRPC_TLS_CREDENTIALS_H_
#define SWITCHYARD_COMMON_GRPC_TLS_CREDENTIALS_H_

#include <memory>

#include "absl/time/time.h"
#include "common/grpc_tls/tls_files.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace switchyard {

struct TlsSettings {
  TlsFiles files;
  // How often the files are checked for changes (gRPC's resolution: whole seconds, >= 1).
  absl::Duration reload_interval = absl::Seconds(60);
};

// Serves with files.cert/key. Clients that present a certificate must chain to files.ca
// (else the handshake fails); clients without one are let through to the application,
// which decides (an operator may authenticate with a bearer token instead). Call
// CheckTlsFiles first.
std::shared_ptr<grpc::ServerCredentials> ServerTlsCredentials(const TlsSettings& settings);

// Verifies the server's certificate against files.ca and its name against the target's
// host (or the channel's SSL target name override); presents files.cert/key when given.
std::shared_ptr<grpc::ChannelCredentials> ChannelTlsCredentials(const TlsSettings& settings);

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_GRPC_TLS_CREDENTIALS_H_
