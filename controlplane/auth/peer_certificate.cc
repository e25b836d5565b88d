#include "controlplane/auth/peer_certificate.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/grpc_security_constants.h"

namespace switchyard::controlplane {
namespace {

std::vector<std::string> Values(const grpc::AuthContext& auth, const char* property) {
  std::vector<std::string> values;
  for (const grpc::string_ref& value : auth.FindPropertyValues(property)) {
    values.emplace_back(value.data(), value.size());
  }
  return values;
}

}  // namespace

std::optional<PeerCertificate> VerifiedPeerCertificate(const grpc::AuthContext* auth) {
  // With GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY a certificate that does not chain
  // to the CA fails the handshake, so one that is present here was verified.
  if (auth == nullptr || auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME).empty()) {
    return std::nullopt;
  }
  PeerCertificate cert;
  std::vector<std::string> cn = Values(*auth, GRPC_X509_CN_PROPERTY_NAME);
  if (!cn.empty()) cert.common_name = std::move(cn.front());
  cert.dns_names = Values(*auth, GRPC_PEER_DNS_PROPERTY_NAME);
  cert.uris = Values(*auth, GRPC_PEER_URI_PROPERTY_NAME);
  return cert;
}

absl::StatusOr<CertIdentityRule> CertIdentityRule::Parse(std::string_view text) {
  const size_t colon = text.find(':');
  const std::string_view kind = text.substr(0, colon);
  std::string prefix(colon == std::string_view::npos ? "" : text.substr(colon + 1));
  if (kind == "cn") return CertIdentityRule(Field::kCommonName, std::move(prefix));
  if (kind == "san_dns") return CertIdentityRule(Field::kDnsName, std::move(prefix));
  if (kind == "san_uri") return CertIdentityRule(Field::kUri, std::move(prefix));
  return absl::InvalidArgumentError(
      absl::StrCat("'", std::string(text),
                   "' is not a certificate identity rule: use cn, san_dns or san_uri, "
                   "optionally followed by :PREFIX"));
}

absl::StatusOr<std::string> CertIdentityRule::Apply(const PeerCertificate& cert) const {
  std::vector<std::string> candidates;
  switch (field_) {
    case Field::kCommonName:
      candidates = {cert.common_name};
      break;
    case Field::kDnsName:
      candidates = cert.dns_names;
      break;
    case Field::kUri:
      candidates = cert.uris;
      break;
  }
  std::optional<std::string> found;
  for (const std::string& value : candidates) {
    if (value.size() <= prefix_.size() || !absl::StartsWith(value, prefix_)) continue;
    std::string name = value.substr(prefix_.size());
    if (found.has_value() && *found != name) {
      return absl::PermissionDeniedError(absl::StrCat("the certificate names both '", *found,
                                                      "' and '", name, "' under ", ToString()));
    }
    found = std::move(name);
  }
  if (!found.has_value()) {
    return absl::NotFoundError(absl::StrCat("the certificate has no name under ", ToString()));
  }
  return *found;
}

std::string CertIdentityRule::ToString() const {
  const char* kind = field_ == Field::kCommonName ? "cn"
                     : field_ == Field::kDnsName  ? "san_dns"
                                                  : "san_uri";
  return prefix_.empty() ? kind : absl::StrCat(kind, ":", prefix_);
}

}  // namespace switchyard::controlplane
