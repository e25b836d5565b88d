#include "common/grpc_tls/credentials.h"

#include <algorithm>

#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_certificate_verifier.h"
#include "grpcpp/security/tls_credentials_options.h"

namespace switchyard {
namespace {

unsigned int RefreshSeconds(absl::Duration interval) {
  return static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(interval)));
}

std::shared_ptr<grpc::experimental::CertificateProviderInterface> WatchFiles(
    const TlsSettings& settings) {
  const TlsFiles& files = settings.files;
  return std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key, files.cert, files.ca, RefreshSeconds(settings.reload_interval));
}

}  // namespace

std::shared_ptr<grpc::ServerCredentials> ServerTlsCredentials(const TlsSettings& settings) {
  grpc::experimental::TlsServerCredentialsOptions options(WatchFiles(settings));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> ChannelTlsCredentials(const TlsSettings& settings) {
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(WatchFiles(settings));
  options.watch_root_certs();
  if (!settings.files.cert.empty()) options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(
      std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace switchyard
