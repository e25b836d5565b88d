// Who a TLS peer proved to be: the names of the client certificate it presented and that
// the handshake verified against the control plane's CA (docs/security.md).
//
// CertIdentityRule turns such a certificate into one name: the node id a proxy may claim,
// by a configured rule (--proxy_identity), so that one proxy's certificate can never be
// used to speak for another node.
#ifndef SWITCHYARD_CONTROLPLANE_AUTH_PEER_CERTIFICATE_H_
#define SWITCHYARD_CONTROLPLANE_AUTH_PEER_CERTIFICATE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/security/auth_context.h"

namespace switchyard::controlplane {

struct PeerCertificate {
  std::string common_name;
  std::vector<std::string> dns_names;  // DNS subject alternative names
  std::vector<std::string> uris;       // URI subject alternative names
};

// The verified client certificate of a call, or nullopt when the peer presented none (or
// the connection is plaintext).
std::optional<PeerCertificate> VerifiedPeerCertificate(const grpc::AuthContext* auth);

class CertIdentityRule {
 public:
  enum class Field { kCommonName, kDnsName, kUri };

  // "cn", "san_dns" or "san_uri", optionally followed by ":PREFIX": the name is that field
  // of the certificate with PREFIX removed, and only values starting with PREFIX count.
  // INVALID_ARGUMENT for anything else.
  static absl::StatusOr<CertIdentityRule> Parse(std::string_view text);

  // The default: the URI SAN spiffe://switchyard/proxy/NODE that deploy/pki/make-pki.sh
  // writes into proxy certificates.
  static CertIdentityRule ProxyDefault() { return {Field::kUri, "spiffe://switchyard/proxy/"}; }

  // The one name the certificate yields. NOT_FOUND when no value of the field matches;
  // PERMISSION_DENIED when several different ones do (an ambiguous certificate grants
  // nothing).
  absl::StatusOr<std::string> Apply(const PeerCertificate& cert) const;

  // "san_uri:spiffe://switchyard/proxy/", for messages.
  std::string ToString() const;

 private:
  CertIdentityRule(Field field, std::string prefix) : field_(field), prefix_(std::move(prefix)) {}

  Field field_;
  std::string prefix_;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_AUTH_PEER_CERTIFICATE_H_
