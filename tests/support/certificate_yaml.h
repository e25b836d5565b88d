// Test certificates as snapshot YAML, for suites that serve TLS from an inline config.
#ifndef SWITCHYARD_TESTS_SUPPORT_CERTIFICATE_YAML_H_
#define SWITCHYARD_TESTS_SUPPORT_CERTIFICATE_YAML_H_

#include <string>
#include <vector>

#include "dataplane/tls/testing/test_certificates.h"

namespace switchyard::testing {

// `pem` as a YAML block scalar ("|" and the lines) under a key at `indent` spaces.
std::string YamlBlock(const std::string& pem, int indent);

// `pem` as a YAML double-quoted scalar, for a flow mapping ("{ca_pem: ...}").
std::string YamlQuoted(const std::string& pem);

// One entry of `certificates:` ("- name: ..."), serving `cert` (chain and key inline) for
// `domains`.
std::string CertificateYaml(const std::string& name, const std::vector<std::string>& domains,
                            const tls::testing::TestCertificate& cert);

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_CERTIFICATE_YAML_H_
