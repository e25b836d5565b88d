#include "tests/support/certificate_yaml.h"

#include "absl/strings/str_replace.h"

namespace switchyard::testing {

std::string YamlBlock(const std::string& pem, int indent) {
  const std::string pad(indent, ' ');
  return "|\n" + pad +
         absl::StrReplaceAll(pem.substr(0, pem.find_last_not_of('\n') + 1), {{"\n", "\n" + pad}}) +
         "\n";
}

std::string YamlQuoted(const std::string& pem) {
  return "\"" + absl::StrReplaceAll(pem, {{"\n", "\\n"}}) + "\"";
}

std::string CertificateYaml(const std::string& name, const std::vector<std::string>& domains,
                            const tls::testing::TestCertificate& cert) {
  std::string list;
  for (const std::string& d : domains) list += (list.empty() ? "\"" : ", \"") + d + "\"";
  return "- name: " + name + "\n  domains: [" + list +
         "]\n  cert_pem: " + YamlBlock(cert.chain_pem, 4) +
         "  key_pem: " + YamlBlock(cert.key_pem, 4);
}

}  // namespace switchyard::testing
