#include "switchyard/config/validate.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "dataplane/auth/testing/test_tokens.h"
#include "dataplane/tls/testing/test_certificates.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "switchyard/config/loader.h"
#include "switchyard/config/redact.h"

namespace switchyard::config {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr const char* kValid = R"yaml(
virtual_hosts:
  - name: api
    domains: [api.example.com, "*.api.example.com", "[::1]", 10.0.0.9]
    routes:
      - name: users
        match:
          prefix: /users/
          methods: [GET, M-SEARCH]
          headers:
            - {name: X-Canary, exact: "1"}
            - {name: x-re, regex: "a+"}
            - {name: x-p, prefix: ab}
            - {name: x-q, present: false, invert: true}
        route: {cluster: backend, prefix_rewrite: /v2/, host_rewrite: "users.internal:8443",
                timeout: 0s}
      - name: exact
        match: {path: /health}
        route:
          weighted_clusters: {clusters: [{name: backend, weight: 1}, {name: canary, weight: 10000}]}
          timeout: 3600s
      - name: re
        match: {regex: "/items/[0-9]+"}
        route: {cluster: canary, host_rewrite: "[::1]:80"}
        access_log: {sample_rate: 0.25}
  - name: fallback
    domains: ["*"]
    routes:
      - name: users
        match: {prefix: /}
        route: {cluster: backend}
clusters:
  - name: backend
    endpoints:
      - {address: 10.0.0.1, port: 1, weight: 0}
      - {address: "2001:db8::1", port: 65535, weight: 10000}
      - {address: 10.0.0.3, port: 80}
    connect_timeout: 60s
    max_idle_connections: 10000
  - name: canary
    endpoints: [{address: 127.0.0.1, port: 8080}]
    connect_timeout: 0.001s
)yaml";

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<v1::Snapshot> parsed = ParseSnapshot(kValid, "valid.yaml");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    s_ = *std::move(parsed);
  }

  v1::VirtualHost& Api() { return *s_.mutable_virtual_hosts(0); }
  v1::Route& Users() { return *Api().mutable_routes(0); }
  v1::Route& Exact() { return *Api().mutable_routes(1); }
  v1::Route& Re() { return *Api().mutable_routes(2); }
  v1::Cluster& Backend() { return *s_.mutable_clusters(0); }
  std::vector<std::string> Errors() const { return ValidationErrors(s_); }

  v1::Snapshot s_;
};

TEST_F(ValidateTest, ValidSnapshotHasNoErrors) {
  EXPECT_THAT(Errors(), IsEmpty());
  EXPECT_TRUE(ValidateSnapshot(s_).ok());
}

TEST(ValidateEmptyTest, EmptySnapshotIsValid) {
  EXPECT_THAT(ValidationErrors(v1::Snapshot()), IsEmpty());
}

TEST_F(ValidateTest, BadRouteRegex) {
  Re().mutable_match()->set_regex("(");
  EXPECT_THAT(Errors(), ElementsAre("virtual_hosts[api].routes[re].match.regex: invalid RE2 "
                                    "\"(\": missing )"));
}

TEST_F(ValidateTest, BadHeaderRegex) {
  Users().mutable_match()->mutable_headers(1)->set_regex("a**");
  EXPECT_THAT(Errors(), ElementsAre("virtual_hosts[api].routes[users].match.headers[1].regex: "
                                    "invalid RE2 \"a**\": bad repetition operator"));
}

TEST_F(ValidateTest, RegexLengthAndEmptiness) {
  Re().mutable_match()->set_regex(std::string(4097, 'a'));
  Users().mutable_match()->mutable_headers(1)->set_regex("");  // matches an empty value: fine
  EXPECT_THAT(Errors(), ElementsAre("virtual_hosts[api].routes[re].match.regex: must be at most "
                                    "4096 characters, got 4097"));
  Re().mutable_match()->set_regex("");
  EXPECT_THAT(Errors(),
              ElementsAre("virtual_hosts[api].routes[re].match.regex: must not be empty"));
}

TEST_F(ValidateTest, AccessLogSampleRateIsAFraction) {
  Users().mutable_access_log()->set_sample_rate(0);  // never: allowed
  Exact().mutable_access_log()->set_sample_rate(1.5);
  Re().mutable_access_log()->set_sample_rate(std::nan(""));
  EXPECT_THAT(Errors(),
              ElementsAre("virtual_hosts[api].routes[exact].access_log.sample_rate: must be "
                          "between 0 and 1, got 1.5",
                          "virtual_hosts[api].routes[re].access_log.sample_rate: must be between "
                          "0 and 1, got nan"));
}

TEST_F(ValidateTest, EndpointPort) {
  Backend().mutable_endpoints(2)->set_port(0);
  Backend().mutable_endpoints(1)->set_port(65536);
  EXPECT_THAT(Errors(),
              ElementsAre("clusters[backend].endpoints[1].port: must be 1..65535, got "
                          "65536",
                          "clusters[backend].endpoints[2].port: must be 1..65535, got 0"));
}

TEST_F(ValidateTest, EndpointAddressAndWeight) {
  Backend().mutable_endpoints(0)->set_address("localhost");
  Backend().mutable_endpoints(1)->set_address("[::1]");
  Backend().mutable_endpoints(2)->set_weight(10001);
  EXPECT_THAT(
      Errors(),
      ElementsAre(
          "clusters[backend].endpoints[0].address: must be an IPv4 or IPv6 address literal, "
          "got \"localhost\"",
          "clusters[backend].endpoints[1].address: must be an IPv4 or IPv6 address literal, "
          "got \"[::1]\"",
          "clusters[backend].endpoints[2].weight: must be 0..10000, got 10001"));
}

TEST_F(ValidateTest, ClusterLimits) {
  Backend().mutable_connect_timeout()->set_seconds(0);
  Backend().set_max_idle_connections(10001);
  s_.mutable_clusters(1)->clear_endpoints();
  EXPECT_THAT(Errors(),
              ElementsAre("clusters[backend].connect_timeout: must be > 0s and <= 60s, got 0s",
                          "clusters[backend].max_idle_connections: must be <= 10000, got 10001",
                          "clusters[canary].endpoints: must have at least one endpoint"));
  Backend().mutable_connect_timeout()->set_seconds(60);
  Backend().mutable_connect_timeout()->set_nanos(500'000'000);
  Backend().clear_max_idle_connections();
  s_.mutable_clusters(1)->add_endpoints()->CopyFrom(Backend().endpoints(0));
  EXPECT_THAT(Errors(), ElementsAre("clusters[backend].connect_timeout: must be > 0s and <= 60s, "
                                    "got 60.5s"));
  Backend().mutable_connect_timeout()->set_seconds(-1);
  Backend().mutable_connect_timeout()->set_nanos(0);
  EXPECT_THAT(Errors(), ElementsAre("clusters[backend].connect_timeout: must be > 0s and <= 60s, "
                                    "got -1s"));
}

TEST_F(ValidateTest, Names) {
  Api().set_name("");
  s_.mutable_virtual_hosts(1)->set_name("a b");
  Backend().set_name(std::string(129, 'x'));
  EXPECT_THAT(
      Errors(),
      ElementsAre("virtual_hosts[0].name: must not be empty",
                  // Routes still name the cluster "backend", which no longer exists.
                  "virtual_hosts[0].routes[users].route.cluster: unknown cluster \"backend\"",
                  "virtual_hosts[0].routes[exact].route.weighted_clusters.clusters[0].name: "
                  "unknown cluster \"backend\"",
                  "virtual_hosts[1].name: \"a b\" must match [A-Za-z0-9_.-]+",
                  "virtual_hosts[1].routes[users].route.cluster: unknown cluster \"backend\"",
                  "clusters[0].name: must be at most 128 characters, got 129"));
}

TEST_F(ValidateTest, DuplicateNames) {
  s_.mutable_virtual_hosts(1)->set_name("api");
  Exact().set_name("users");
  s_.mutable_clusters(1)->set_name("backend");
  Re().mutable_route()->set_cluster("backend");
  Exact().mutable_route()->mutable_weighted_clusters()->mutable_clusters(1)->set_name("x");
  EXPECT_THAT(Errors(),
              ElementsAre("virtual_hosts[api].routes[1].name: duplicate \"users\", already used "
                          "by virtual_hosts[api].routes[users]",
                          "virtual_hosts[api].routes[1].route.weighted_clusters.clusters[1].name: "
                          "unknown cluster \"x\"",
                          "virtual_hosts[1].name: duplicate \"api\", already used by "
                          "virtual_hosts[api]",
                          "clusters[1].name: duplicate \"backend\", already used by "
                          "clusters[backend]"));
}

TEST_F(ValidateTest, SameRouteNameInTwoVirtualHostsIsFine) {
  ASSERT_EQ(s_.virtual_hosts(1).routes(0).name(), Users().name());
  EXPECT_THAT(Errors(), IsEmpty());
}

TEST_F(ValidateTest, NamesAreQuotedEscapedAndCut) {
  Api().set_name("line\nbreak\"" + std::string(100, 'x'));
  EXPECT_THAT(Errors(), ElementsAre("virtual_hosts[0].name: \"line\\nbreak\\\"" +
                                    std::string(53, 'x') + "...\" must match [A-Za-z0-9_.-]+"));
}

TEST_F(ValidateTest, Domains) {
  Api().clear_domains();
  s_.mutable_virtual_hosts(1)->add_domains("API.example.com");
  s_.mutable_virtual_hosts(1)->add_domains("api.example.com:8080");
  s_.mutable_virtual_hosts(1)->add_domains("a..b");
  s_.mutable_virtual_hosts(1)->add_domains("*foo.com");
  s_.mutable_virtual_hosts(1)->add_domains("");
  s_.mutable_virtual_hosts(1)->add_domains("*");
  EXPECT_THAT(
      Errors(),
      ElementsAre(
          "virtual_hosts[api].domains: must have at least one domain",
          "virtual_hosts[fallback].domains[2]: invalid domain \"api.example.com:8080\": must "
          "not carry a port",
          "virtual_hosts[fallback].domains[3]: invalid domain \"a..b\": empty label",
          "virtual_hosts[fallback].domains[4]: invalid domain \"*foo.com\": '*' is only allowed "
          "as \"*\" or as a leading \"*.\"",
          "virtual_hosts[fallback].domains[5]: invalid domain \"\": must not be empty",
          "virtual_hosts[fallback].domains[6]: \"*\" is already a domain of "
          "virtual_hosts[fallback]"));
}

TEST_F(ValidateTest, DomainInTwoVirtualHostsComparesCaseInsensitively) {
  s_.mutable_virtual_hosts(1)->add_domains("API.example.com");
  s_.mutable_virtual_hosts(1)->add_domains("*.API.example.com");
  EXPECT_THAT(Errors(), ElementsAre("virtual_hosts[fallback].domains[1]: \"API.example.com\" is "
                                    "already a domain of virtual_hosts[api]",
                                    "virtual_hosts[fallback].domains[2]: \"*.API.example.com\" is "
                                    "already a domain of virtual_hosts[api]"));
}

TEST_F(ValidateTest, PathSpecifier) {
  Users().mutable_match()->clear_prefix();
  Exact().mutable_match()->set_path("health");
  Re().mutable_match()->set_prefix("/a?b");
  Re().mutable_route()->set_prefix_rewrite("/x");
  s_.mutable_virtual_hosts(1)->mutable_routes(0)->mutable_match()->set_prefix("");
  EXPECT_THAT(
      Errors(),
      ElementsAre("virtual_hosts[api].routes[users].match: exactly one of prefix, path, regex "
                  "must be set",
                  // prefix_rewrite needs a prefix route, and users no longer is one.
                  "virtual_hosts[api].routes[users].route.prefix_rewrite: only allowed on prefix "
                  "routes",
                  "virtual_hosts[api].routes[exact].match.path: must start with \"/\", got "
                  "\"health\"",
                  "virtual_hosts[api].routes[re].match.prefix: \"/a?b\" has \"?\" at offset 2, "
                  "which a request path never contains",
                  "virtual_hosts[fallback].routes[users].match.prefix: must start with \"/\", got "
                  "\"\""));
}

TEST_F(ValidateTest, PathLength) {
  Exact().mutable_match()->set_path("/" + std::string(4096, 'a'));
  EXPECT_THAT(Errors(), ElementsAre("virtual_hosts[api].routes[exact].match.path: must be at most "
                                    "4096 characters, got 4097"));
}

TEST_F(ValidateTest, Methods) {
  Users().mutable_match()->add_methods("get");
  Users().mutable_match()->add_methods("GET");
  Users().mutable_match()->add_methods("");
  Users().mutable_match()->add_methods("GET POST");
  EXPECT_THAT(Errors(), ElementsAre("virtual_hosts[api].routes[users].match.methods[2]: \"get\" "
                                    "is not an upper-case method token",
                                    "virtual_hosts[api].routes[users].match.methods[3]: duplicate "
                                    "\"GET\"",
                                    "virtual_hosts[api].routes[users].match.methods[4]: must not "
                                    "be empty",
                                    "virtual_hosts[api].routes[users].match.methods[5]: \"GET "
                                    "POST\" is not an upper-case method token"));
}

TEST_F(ValidateTest, HeaderMatchers) {
  v1::RouteMatch& match = *Users().mutable_match();
  match.mutable_headers(0)->set_name("x y");
  match.mutable_headers(1)->clear_name();
  match.mutable_headers(2)->clear_prefix();
  match.mutable_headers(3)->set_name(":authority");
  match.add_headers()->set_name("x-long");
  match.mutable_headers(4)->set_exact(std::string(8193, 'v'));
  EXPECT_THAT(
      Errors(),
      ElementsAre("virtual_hosts[api].routes[users].match.headers[0].name: \"x y\" is not a "
                  "valid header name",
                  "virtual_hosts[api].routes[users].match.headers[1].name: must not be empty",
                  "virtual_hosts[api].routes[users].match.headers[2]: one of exact, prefix, "
                  "regex, present must be set",
                  "virtual_hosts[api].routes[users].match.headers[3].name: \":authority\" is not "
                  "a valid header name",
                  "virtual_hosts[api].routes[users].match.headers[4].exact: must be at most 8192 "
                  "characters, got 8193"));
}

TEST_F(ValidateTest, ClusterReferences) {
  Users().mutable_route()->set_cluster("nope");
  Re().mutable_route()->set_cluster("");
  s_.mutable_virtual_hosts(1)->mutable_routes(0)->mutable_route()->clear_cluster();
  EXPECT_THAT(
      Errors(),
      ElementsAre("virtual_hosts[api].routes[users].route.cluster: unknown cluster \"nope\"",
                  "virtual_hosts[api].routes[re].route.cluster: must not be empty",
                  "virtual_hosts[fallback].routes[users].route: one of cluster, weighted_clusters "
                  "must be set"));
}

TEST_F(ValidateTest, WeightedClusters) {
  auto& clusters = *Exact().mutable_route()->mutable_weighted_clusters()->mutable_clusters();
  clusters[0].set_weight(0);
  clusters[1].set_weight(10001);
  auto* again = clusters.Add();
  again->set_name("backend");
  again->set_weight(5);
  auto* unknown = clusters.Add();
  unknown->set_name("ghost");
  unknown->set_weight(5);
  Re().mutable_route()->mutable_weighted_clusters();
  const std::string path = "virtual_hosts[api].routes[exact].route.weighted_clusters.clusters";
  EXPECT_THAT(Errors(),
              ElementsAre(path + "[0].weight: must be 1..10000, got 0",
                          path + "[1].weight: must be 1..10000, got 10001",
                          path + "[2].name: duplicate \"backend\"",
                          path + "[3].name: unknown cluster \"ghost\"",
                          "virtual_hosts[api].routes[re].route.weighted_clusters.clusters: must "
                          "have at least one cluster"));
}

TEST_F(ValidateTest, Rewrites) {
  Users().mutable_route()->set_prefix_rewrite("v2/");
  Exact().mutable_route()->set_prefix_rewrite("/v2/");
  Re().mutable_route()->set_host_rewrite("bad host:80");
  s_.mutable_virtual_hosts(1)->mutable_routes(0)->mutable_route()->set_host_rewrite("h:0");
  EXPECT_THAT(
      Errors(),
      ElementsAre("virtual_hosts[api].routes[users].route.prefix_rewrite: must start with \"/\", "
                  "got \"v2/\"",
                  "virtual_hosts[api].routes[exact].route.prefix_rewrite: only allowed on prefix "
                  "routes",
                  "virtual_hosts[api].routes[re].route.host_rewrite: invalid host \"bad host:80\": "
                  "invalid character byte 0x20",
                  "virtual_hosts[fallback].routes[users].route.host_rewrite: invalid host "
                  "\"h:0\": port must be 1..65535"));
}

TEST_F(ValidateTest, RouteTimeout) {
  Users().mutable_route()->mutable_timeout()->set_seconds(-1);
  Exact().mutable_route()->mutable_timeout()->set_nanos(1);  // 3600s + 1ns
  Re().mutable_route()->mutable_timeout()->set_seconds(1);
  Re().mutable_route()->mutable_timeout()->set_nanos(-5);
  EXPECT_THAT(
      Errors(),
      ElementsAre("virtual_hosts[api].routes[users].route.timeout: must be 0s..1h, got -1s",
                  "virtual_hosts[api].routes[exact].route.timeout: must be 0s..1h, got "
                  "3600.000000001s",
                  "virtual_hosts[api].routes[re].route.timeout: invalid duration (seconds 1, "
                  "nanos -5)"));
}

TEST_F(ValidateTest, ErrorsComeInSnapshotOrder) {
  Backend().mutable_endpoints(0)->set_port(0);
  Re().mutable_match()->set_regex("(");
  Api().set_name("");
  const std::vector<std::string> errors = Errors();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0], "virtual_hosts[0].name: must not be empty");
  EXPECT_EQ(errors[1], "virtual_hosts[0].routes[re].match.regex: invalid RE2 \"(\": missing )");
  EXPECT_EQ(errors[2], "clusters[backend].endpoints[0].port: must be 1..65535, got 0");

  const absl::Status status = ValidateSnapshot(s_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), errors[0] + "; " + errors[1] + "; " + errors[2]);
}

TEST_F(ValidateTest, OversizedListsAreReportedOnce) {
  for (size_t i = Api().routes_size(); i <= kMaxRoutesPerVirtualHost; ++i) Api().add_routes();
  for (size_t i = 0; i <= kMaxMethodsPerRoute; ++i) {
    s_.mutable_virtual_hosts(1)->mutable_routes(0)->mutable_match()->add_methods("GET");
  }
  EXPECT_THAT(Errors(),
              ElementsAre("virtual_hosts[api].routes: too many (100001, at most 100000)",
                          "virtual_hosts[fallback].routes[users].match.methods: too many (33, at "
                          "most 32)"));
}

TEST_F(ValidateTest, ErrorCountIsCapped) {
  for (int i = 0; i < 3000; ++i) Backend().add_endpoints();  // each: bad address and port
  const std::vector<std::string> errors = Errors();
  ASSERT_EQ(errors.size(), kMaxErrors + 1);
  EXPECT_EQ(errors.back(), "too many errors; stopped after the first 1000");
}

// Certificates: the inline pair is parsed and matched here, files only by the proxy.
class ValidateCertificatesTest : public ::testing::Test {
 protected:
  static const tls::testing::TestCertificate& Api() {
    static const auto* cert =
        new tls::testing::TestCertificate(tls::testing::SelfSignedFor({"api.example.com"}));
    return *cert;
  }

  v1::Certificate& Add(const std::string& name, const std::string& domain,
                       const tls::testing::TestCertificate& cert = Api()) {
    v1::Certificate* c = s_.add_certificates();
    c->set_name(name);
    c->add_domains(domain);
    c->set_cert_pem(cert.chain_pem);
    c->set_key_pem(cert.key_pem);
    return *c;
  }
  v1::Certificate& AddFiles(const std::string& name, const std::string& domain) {
    v1::Certificate* c = s_.add_certificates();
    c->set_name(name);
    c->add_domains(domain);
    c->set_cert_file("/etc/switchyard/" + name + ".pem");
    c->set_key_file("/etc/switchyard/" + name + "-key.pem");
    return *c;
  }
  std::vector<std::string> Errors(const ValidationOptions& options = {}) const {
    return ValidationErrors(s_, options);
  }

  v1::Snapshot s_;
};

TEST_F(ValidateCertificatesTest, ValidInlineFilesAndChain) {
  Add("api", "api.example.com");
  AddFiles("files", "*.example.com").set_default_certificate(true);
  const tls::testing::TestCertificate ca = tls::testing::CertificateAuthority();
  Add("chained", "chained.test", tls::testing::IssueCertificate({.dns_names = {"c.test"}}, ca));
  EXPECT_THAT(Errors(), IsEmpty());
}

TEST_F(ValidateCertificatesTest, KeyMustMatchTheLeaf) {
  Add("api", "api.example.com").set_key_pem(tls::testing::SelfSignedFor({"x"}).key_pem);
  EXPECT_THAT(Errors(), ElementsAre("certificates[api].key_pem: does not match the "
                                    "certificate's public key"));
}

TEST_F(ValidateCertificatesTest, PemMustParse) {
  Add("a", "a.test")
      .set_cert_pem(
          "-----BEGIN CERTIFICATE-----\nnot base64\n"
          "-----END CERTIFICATE-----\n");
  Add("b", "b.test").set_key_pem("nothing");
  Add("c", "c.test").set_cert_pem(Api().key_pem + Api().cert_pem);
  const std::vector<std::string> errors = Errors();
  ASSERT_EQ(errors.size(), 3u) << ::testing::PrintToString(errors);
  EXPECT_THAT(errors[0], HasSubstr("certificates[a].cert_pem: certificate 1 does not parse"));
  EXPECT_THAT(errors[1], HasSubstr("certificates[b].key_pem: holds no unencrypted PEM private "
                                   "key"));
  EXPECT_THAT(errors[2], HasSubstr("certificates[c].cert_pem: holds a private key"));
}

TEST_F(ValidateCertificatesTest, ChainAndSizeLimits) {
  std::string chain;
  for (int i = 0; i < 11; ++i) chain += Api().cert_pem;
  Add("long", "long.test").set_cert_pem(chain);
  Add("big", "big.test").set_key_pem(std::string(64 * 1024 + 1, 'k'));
  EXPECT_THAT(Errors(),
              ElementsAre("certificates[long].cert_pem: holds more than 10 certificates",
                          "certificates[big].key_pem: must be at most 65536 bytes, got 65537"));
}

TEST_F(ValidateCertificatesTest, ARedactedKeyIsExplained) {
  Add("api", "api.example.com").set_key_pem(kRedacted);
  EXPECT_THAT(Errors(), ElementsAre(HasSubstr("certificates[api].key_pem: is \"[redacted]\"")));
}

TEST_F(ValidateCertificatesTest, PairsAndPaths) {
  v1::Certificate& mixed = Add("mixed", "mixed.test");
  mixed.set_cert_file("/etc/cert.pem");
  mixed.set_key_file("/etc/key.pem");
  s_.add_certificates()->set_name("none");
  s_.mutable_certificates(1)->add_domains("none.test");
  Add("half", "half.test").clear_key_pem();
  AddFiles("relative", "relative.test").set_cert_file("certs/relative.pem");
  AddFiles("nokey", "nokey.test").clear_key_file();
  EXPECT_THAT(
      Errors(),
      ElementsAre(
          "certificates[mixed]: set either cert_pem and key_pem, or cert_file and key_file, "
          "not both",
          "certificates[none]: one pair must be set: cert_pem and key_pem, or cert_file and "
          "key_file",
          "certificates[half].key_pem: must be set with cert_pem",
          "certificates[relative].cert_file: must be an absolute path (the proxy reads it), "
          "got \"certs/relative.pem\"",
          "certificates[nokey].key_file: must be set with cert_file"));
}

TEST_F(ValidateCertificatesTest, AnOcspStapleFileIsAnAbsolutePath) {
  AddFiles("stapled", "stapled.test").set_ocsp_staple_file("/etc/ocsp/stapled.der");
  Add("relative", "relative.test").set_ocsp_staple_file("ocsp.der");
  EXPECT_THAT(Errors(), ElementsAre("certificates[relative].ocsp_staple_file: must be an absolute "
                                    "path (the proxy reads it), got \"ocsp.der\""));
}

TEST_F(ValidateCertificatesTest, ClientCertificates) {
  const tls::testing::TestCertificate ca = tls::testing::CertificateAuthority();
  v1::ClientCertificates* required = Add("required", "r.test").mutable_client_certificates();
  required->set_mode(v1::ClientCertificates::REQUIRED);
  required->set_ca_pem(ca.cert_pem);
  required->set_forward_identity(true);
  v1::ClientCertificates* optional = AddFiles("optional", "o.test").mutable_client_certificates();
  optional->set_mode(v1::ClientCertificates::OPTIONAL);
  optional->set_ca_file("/etc/switchyard/clients-ca.pem");
  ASSERT_THAT(Errors(), IsEmpty());

  v1::ClientCertificates* off = Add("off", "off.test").mutable_client_certificates();
  off->set_ca_pem(ca.cert_pem);
  v1::ClientCertificates* no_ca = Add("no-ca", "no-ca.test").mutable_client_certificates();
  no_ca->set_mode(v1::ClientCertificates::REQUIRED);
  v1::ClientCertificates* both = Add("both", "both.test").mutable_client_certificates();
  both->set_mode(v1::ClientCertificates::OPTIONAL);
  both->set_ca_pem(ca.cert_pem);
  both->set_ca_file("/etc/ca.pem");
  v1::ClientCertificates* bad = Add("bad", "bad.test").mutable_client_certificates();
  bad->set_mode(v1::ClientCertificates::REQUIRED);
  bad->set_ca_pem("not a certificate");
  v1::ClientCertificates* relative = Add("relative", "rel.test").mutable_client_certificates();
  relative->set_mode(v1::ClientCertificates::REQUIRED);
  relative->set_ca_file("ca.pem");
  std::string many;
  for (int i = 0; i < 101; ++i) many += ca.cert_pem;
  v1::ClientCertificates* too_many = Add("many", "many.test").mutable_client_certificates();
  too_many->set_mode(v1::ClientCertificates::REQUIRED);
  ASSERT_LT(many.size(), 64 * 1024u);  // over the count limit, not the byte limit
  too_many->set_ca_pem(many);
  const std::vector<std::string> errors = Errors();
  ASSERT_EQ(errors.size(), 6u) << ::testing::PrintToString(errors);
  EXPECT_THAT(errors[0], HasSubstr("certificates[off].client_certificates.mode: is OFF"));
  EXPECT_EQ(errors[1],
            "certificates[no-ca].client_certificates: one of ca_pem and ca_file must be set: the "
            "CA certificates that client certificates must chain to");
  EXPECT_EQ(errors[2],
            "certificates[both].client_certificates: set either ca_pem or ca_file, not both");
  EXPECT_THAT(errors[3], HasSubstr("certificates[bad].client_certificates.ca_pem: holds no PEM"));
  EXPECT_THAT(errors[4], HasSubstr("certificates[relative].client_certificates.ca_file: must be "
                                   "an absolute path"));
  EXPECT_EQ(errors[5],
            "certificates[many].client_certificates.ca_pem: holds more than 100 certificates");
}

TEST_F(ValidateCertificatesTest, NamesDomainsAndDefaults) {
  AddFiles("a", "API.example.com").set_default_certificate(true);
  AddFiles("a", "b.test");
  AddFiles("c", "api.example.com").set_default_certificate(true);
  AddFiles("d", "bad domain");
  AddFiles("e", "x.test").clear_domains();
  AddFiles("f", "*.example.com");  // a wildcard and an exact name are different domains
  EXPECT_THAT(Errors(),
              ElementsAre("certificates[1].name: duplicate \"a\", already used by certificates[a]",
                          "certificates[c].domains[0]: \"api.example.com\" is already a domain "
                          "of certificates[a]",
                          "certificates[c].default_certificate: only one certificate may be the "
                          "default, and certificates[a] is",
                          HasSubstr("certificates[d].domains[0]: invalid domain \"bad domain\""),
                          "certificates[e].domains: must have at least one domain"));
}

TEST_F(ValidateCertificatesTest, TooManyCertificates) {
  for (size_t i = 0; i <= kMaxCertificates; ++i) s_.add_certificates();
  EXPECT_THAT(Errors(), ElementsAre("certificates: too many (1001, at most 1000)"));
}

TEST_F(ValidateCertificatesTest, ValidityPeriod) {
  tls::testing::CertificateOptions future;
  future.valid_from = absl::Hours(1);
  Add("later", "later.test", tls::testing::SelfSigned(future));
  Add("old", "old.test", tls::testing::Expired({"old.test"}));
  const std::vector<std::string> errors = Errors();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_THAT(errors[0],
              HasSubstr("certificates[later].cert_pem: the certificate is not valid before "));
  EXPECT_THAT(errors[1], HasSubstr("certificates[old].cert_pem: the certificate expired at "));
  EXPECT_THAT(Errors({.check_validity_period = false}), IsEmpty());
  EXPECT_THAT(Errors({.now = absl::Now() + absl::Hours(2)}),
              ElementsAre(HasSubstr("certificates[old].cert_pem: the certificate expired")));
}

TEST_F(ValidateCertificatesTest, AnAppliedCertificateThatExpiredDoesNotBlock) {
  const tls::testing::TestCertificate expired = tls::testing::Expired({"old.test"});
  Add("old", "old.test", expired);
  const v1::Snapshot previous = s_;
  Add("new", "new.test");  // the change being made
  EXPECT_THAT(Errors({.previous = &previous}), IsEmpty());
  EXPECT_THAT(Errors(), ElementsAre(HasSubstr("certificates[old].cert_pem: the certificate "
                                              "expired")));
  EXPECT_TRUE(ValidateSnapshot(s_, {.previous = &previous}).ok());

  // Renamed, or with its PEM changed, it is a new certificate again.
  v1::Snapshot renamed = previous;
  renamed.mutable_certificates(0)->set_name("older");
  EXPECT_THAT(ValidationErrors(renamed, {.previous = &previous}),
              ElementsAre(HasSubstr("certificates[older].cert_pem: the certificate expired")));
  v1::Snapshot rekeyed = previous;
  const tls::testing::TestCertificate other = tls::testing::Expired({"old.test"});
  rekeyed.mutable_certificates(0)->set_cert_pem(other.cert_pem);
  rekeyed.mutable_certificates(0)->set_key_pem(other.key_pem);
  EXPECT_THAT(ValidationErrors(rekeyed, {.previous = &previous}),
              ElementsAre(HasSubstr("certificates[old].cert_pem: the certificate expired")));
}

// The private key follows the generic redaction rule (redact.h), and comes back on apply.
TEST_F(ValidateCertificatesTest, KeyPemIsRedactedAndRestored) {
  Add("api", "api.example.com");
  const v1::Snapshot stored = s_;
  v1::Snapshot shown = s_;
  EXPECT_EQ(RedactSecrets(shown), 1);
  EXPECT_EQ(shown.certificates(0).key_pem(), kRedacted);
  EXPECT_EQ(shown.certificates(0).cert_pem(), Api().chain_pem);
  EXPECT_EQ(shown.DebugString().find("PRIVATE KEY"), std::string::npos);
  // Offline the placeholder is reported; on its way to the control plane (yardctl apply),
  // which puts the stored key back and checks it, it is not.
  EXPECT_THAT(ValidationErrors(shown), ElementsAre(HasSubstr("certificates[api].key_pem: is")));
  EXPECT_THAT(ValidationErrors(shown, {.redacted_keys_from_server = true}), IsEmpty());
  ASSERT_TRUE(RestoreRedacted(shown, stored).ok());
  EXPECT_EQ(shown.certificates(0).key_pem(), Api().key_pem);
  EXPECT_THAT(ValidationErrors(shown), IsEmpty());
}

TEST_F(ValidateTest, UpstreamTlsSettingsAreChecked) {
  namespace certs = tls::testing;
  const certs::TestCertificate ca = certs::CertificateAuthority();
  const certs::TestCertificate client =
      certs::IssueCertificate({.common_name = "edge", .client = true}, ca);
  const certs::TestCertificate other = certs::SelfSignedFor({"other.test"});
  v1::UpstreamTls* good = Backend().mutable_tls();
  good->set_server_name("backend.internal");
  good->set_ca_pem(ca.cert_pem);
  good->set_client_cert_pem(client.chain_pem);
  good->set_client_key_pem(client.key_pem);
  s_.mutable_clusters(1)->mutable_tls();  // all defaults: verify the IP, system trust store
  EXPECT_THAT(Errors(), IsEmpty());

  v1::Cluster* bad = s_.add_clusters();
  bad->set_name("bad");
  bad->add_endpoints()->set_address("10.0.0.4");
  bad->mutable_endpoints(0)->set_port(443);
  v1::UpstreamTls* tls = bad->mutable_tls();
  tls->set_server_name("*.internal");
  tls->set_ca_pem("not pem");
  tls->set_ca_file("/etc/ca.pem");
  tls->set_client_cert_pem(client.chain_pem);
  tls->set_client_key_pem(other.key_pem);
  EXPECT_THAT(Errors(),
              ElementsAre("clusters[bad].tls.server_name: must be one host name, not a wildcard, "
                          "got \"*.internal\"",
                          "clusters[bad].tls: set either ca_pem or ca_file, not both",
                          "clusters[bad].tls.client_key_pem: does not match the certificate's "
                          "public key"));

  tls->Clear();
  tls->set_server_name("10.0.0.4");
  tls->set_insecure_skip_verify(true);
  tls->set_ca_file("relative/ca.pem");
  tls->set_client_cert_file("/etc/c.pem");
  tls->set_client_cert_pem(client.chain_pem);
  EXPECT_THAT(
      Errors(),
      ElementsAre(HasSubstr("clusters[bad].tls.server_name: must be a DNS name (SNI carries no "
                            "IP address)"),
                  "clusters[bad].tls.insecure_skip_verify: skips verification, so a CA (ca_pem "
                  "or ca_file) would never be used; set one or the other",
                  "clusters[bad].tls: set either client_cert_pem and client_key_pem, or "
                  "client_cert_file and client_key_file, not both"));

  tls->Clear();
  tls->set_ca_file("relative/ca.pem");
  tls->set_client_key_file("/etc/c.key");
  EXPECT_THAT(Errors(),
              ElementsAre("clusters[bad].tls.ca_file: must be an absolute path (the proxy reads "
                          "it), got \"relative/ca.pem\"",
                          "clusters[bad].tls.client_cert_file: must be set with client_key_file"));
}

TEST_F(ValidateTest, AnUpstreamClientKeyIsASecret) {
  v1::UpstreamTls* tls = Backend().mutable_tls();
  tls->set_client_cert_pem("chain");
  tls->set_client_key_pem("key");
  EXPECT_EQ(RedactSecrets(s_), 1);
  EXPECT_EQ(tls->client_key_pem(), kRedacted);
  EXPECT_EQ(tls->client_cert_pem(), "chain");
}

TEST_F(ValidateTest, AWebSocketRouteNeedsAClusterThatSpeaksHttp1) {
  Users().mutable_route()->set_websocket(true);  // to "backend"
  Backend().set_protocol(v1::Cluster::MATCH_CLIENT);
  EXPECT_THAT(Errors(), IsEmpty());
  Backend().set_protocol(v1::Cluster::HTTP2);
  EXPECT_THAT(Errors(), ElementsAre("virtual_hosts[api].routes[users].route.websocket: cluster "
                                    "\"backend\" speaks HTTP/2 (protocol: HTTP2), which has no "
                                    "WebSocket upgrade; use a cluster with protocol HTTP1 or "
                                    "MATCH_CLIENT"));
}

// Consumers and auth policies (docs/auth.md).
constexpr const char* kHashA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr const char* kHashB = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* kHashC = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

constexpr const char* kValidAuth = R"yaml(
virtual_hosts:
  - name: api
    domains: ["*"]
    auth_policy: partners-only
    routes:
      - {name: health, match: {path: /health}, route: {cluster: b}, skip_auth: true}
      - {name: admin, match: {prefix: /admin/}, route: {cluster: b}, auth_policy: office}
      - {name: all, match: {prefix: /}, route: {cluster: b}}
clusters:
  - {name: b, endpoints: [{address: 127.0.0.1, port: 8080}]}
  - {name: authz, protocol: HTTP2, endpoints: [{address: 127.0.0.1, port: 9191}]}
consumers:
  - name: acme
    groups: [partners, gold]
    metadata: {owner: team-a, plan: ""}
    api_keys:
      - {name: k1, sha256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
      - {name: k2, sha256: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}
  - name: globex
    api_keys:
      - {name: k1, sha256: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}
auth_policies:
  - name: partners-only
    api_key: {header: x-api-key, hide_credentials: true}
    rules:
      - deny: {consumers: [globex], methods: [DELETE]}
      - allow: {groups: [partners]}
  - name: office
    api_key: {query: api_key}
    rules:
      - allow:
          consumers: [acme]
          methods: [GET, M-SEARCH]
          path_prefixes: [/admin/]
          client_ips: [10.0.0.0/8, 192.168.1.7, "2001:db8::/32", "::1", 0.0.0.0/0, "::/0"]
      - deny: {}
    default_action: ALLOW
  - name: rules-only
    rules: [{allow: {client_ips: [127.0.0.1/32]}}]
)yaml";

class ValidateAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<v1::Snapshot> parsed = ParseSnapshot(kValidAuth, "auth.yaml");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    s_ = *std::move(parsed);
  }

  v1::VirtualHost& Api() { return *s_.mutable_virtual_hosts(0); }
  v1::Consumer& Acme() { return *s_.mutable_consumers(0); }
  v1::Consumer& Globex() { return *s_.mutable_consumers(1); }
  v1::AuthPolicy& Partners() { return *s_.mutable_auth_policies(0); }
  v1::AuthPolicy& Office() { return *s_.mutable_auth_policies(1); }
  v1::AuthCondition& OfficeAllow() { return *Office().mutable_rules(0)->mutable_allow(); }
  std::vector<std::string> Errors(const ValidationOptions& options = {}) const {
    return ValidationErrors(s_, options);
  }

  v1::Snapshot s_;
};

TEST_F(ValidateAuthTest, ValidConsumersAndPoliciesHaveNoErrors) {
  EXPECT_THAT(Errors(), IsEmpty());
  EXPECT_TRUE(ValidateSnapshot(s_).ok());
}

TEST_F(ValidateAuthTest, ConsumerNames) {
  Acme().set_name("");
  Globex().set_name("acme");  // acme itself has no valid name now, so this one is first
  s_.add_consumers()->set_name("a b");
  s_.add_consumers()->set_name("acme");
  // The consumer named by the deny rule is gone.
  EXPECT_THAT(Errors(),
              ElementsAre("consumers[0].name: must not be empty",
                          "consumers[2].name: \"a b\" must match [A-Za-z0-9_.-]+",
                          "consumers[3].name: duplicate \"acme\", already used by consumers[acme]",
                          "auth_policies[partners-only].rules[0].deny.consumers[0]: unknown "
                          "consumer \"globex\""));
}

TEST_F(ValidateAuthTest, GroupsAndMetadata) {
  Acme().add_groups("partners");
  Acme().add_groups("");
  Globex().add_groups("no/slash");
  (*Globex().mutable_metadata())[""] = "x";
  EXPECT_THAT(Errors(), ElementsAre("consumers[acme].groups[2]: duplicate \"partners\"",
                                    "consumers[acme].groups[3]: must not be empty",
                                    "consumers[globex].groups[0]: \"no/slash\" must match "
                                    "[A-Za-z0-9_.-]+",
                                    "consumers[globex].metadata: keys must not be empty"));
}

TEST_F(ValidateAuthTest, ApiKeyNames) {
  Acme().mutable_api_keys(1)->set_name("k1");
  Globex().mutable_api_keys(0)->set_name("");
  v1::ApiKey* key = Globex().add_api_keys();
  key->set_name("k1");  // the same name as another consumer's key is fine
  key->set_sha256(kHashC);
  key->mutable_sha256()->back() = 'c';
  EXPECT_THAT(Errors(),
              ElementsAre("consumers[acme].api_keys[1].name: duplicate \"k1\", already used by "
                          "consumers[acme].api_keys[k1]",
                          "consumers[globex].api_keys[0].name: must not be empty"));
}

TEST_F(ValidateAuthTest, Sha256IsSixtyFourLowercaseHexDigits) {
  std::string upper = kHashA;
  upper[10] = 'A';
  Acme().mutable_api_keys(0)->set_sha256(upper);
  Acme().mutable_api_keys(1)->set_sha256("the-key-itself");
  std::string not_hex = kHashC;
  not_hex[63] = 'g';
  Globex().mutable_api_keys(0)->set_sha256(not_hex);
  const std::string want =
      ": must be 64 lowercase hex digits (the SHA-256 of the key; uppercase is not accepted), "
      "got ";
  const std::vector<std::string> errors = Errors();
  EXPECT_THAT(errors, ElementsAre("consumers[acme].api_keys[k1].sha256" + want +
                                      "an uppercase digit at offset 10",
                                  "consumers[acme].api_keys[k2].sha256" + want + "14 characters",
                                  "consumers[globex].api_keys[k1].sha256" + want +
                                      "a character that is not hex at offset 63"));
  // The value is a secret: never quoted.
  for (const std::string& e : errors) {
    EXPECT_EQ(e.find("the-key-itself"), std::string::npos) << e;
    EXPECT_EQ(e.find(not_hex), std::string::npos) << e;
  }
  Acme().mutable_api_keys(0)->clear_sha256();
  EXPECT_THAT(Errors(), Contains("consumers[acme].api_keys[k1].sha256" + want + "0 characters"));
}

TEST_F(ValidateAuthTest, ARedactedSha256IsNotAHash) {
  RedactSecrets(s_);
  ASSERT_EQ(Acme().api_keys(0).sha256(), kRedacted);
  // Offline (and on the control plane, after RestoreRedacted) a marker left means nothing
  // was restored; on its way to the control plane it stands for the stored hash.
  EXPECT_THAT(
      Errors(),
      ElementsAre("consumers[acme].api_keys[k1].sha256: must be 64 lowercase hex digits (the "
                  "SHA-256 of the key; uppercase is not accepted), got \"[redacted]\", which only "
                  "an apply to the control plane replaces with the stored hash",
                  HasSubstr("consumers[acme].api_keys[k2].sha256: must be"),
                  HasSubstr("consumers[globex].api_keys[k1].sha256: must be")));
  EXPECT_THAT(Errors({.redacted_keys_from_server = true}), IsEmpty());
}

TEST_F(ValidateAuthTest, AKeyHashBelongsToOneKeyOnly) {
  Globex().mutable_api_keys(0)->set_sha256(kHashB);
  Acme().mutable_api_keys(0)->set_sha256(kHashB);
  EXPECT_THAT(Errors(),
              ElementsAre("consumers[acme].api_keys[k2].sha256: duplicate key hash, already used "
                          "by consumers[acme].api_keys[k1]; a key must belong to one consumer "
                          "only",
                          "consumers[globex].api_keys[k1].sha256: duplicate key hash, already "
                          "used by consumers[acme].api_keys[k1]; a key must belong to one "
                          "consumer only"));
}

TEST_F(ValidateAuthTest, PolicyNamesAndEmptyPolicies) {
  Office().set_name("partners-only");
  s_.mutable_auth_policies(2)->clear_rules();
  s_.add_auth_policies()->set_name("bad name");
  EXPECT_THAT(
      Errors(),
      ElementsAre(
          // The admin route names "office", which is gone.
          "virtual_hosts[api].routes[admin].auth_policy: unknown auth policy \"office\"",
          "auth_policies[1].name: duplicate \"partners-only\", already used by "
          "auth_policies[partners-only]",
          "auth_policies[rules-only]: a policy needs a credential, rules or an authorization "
          "service: set api_key, jwt, client_certificate, rules or ext_authz",
          "auth_policies[3].name: \"bad name\" must match [A-Za-z0-9_.-]+",
          "auth_policies[3]: a policy needs a credential, rules or an authorization service: "
          "set api_key, jwt, client_certificate, rules or ext_authz"));
}

TEST_F(ValidateAuthTest, ApiKeyCredential) {
  Partners().mutable_api_key()->set_query("key");
  Office().mutable_api_key()->clear_query();
  s_.mutable_auth_policies(2)->mutable_api_key()->set_header("x api key");
  EXPECT_THAT(Errors(), ElementsAre("auth_policies[partners-only].api_key: set exactly one of "
                                    "header or query, not both",
                                    "auth_policies[office].api_key: set exactly one of header or "
                                    "query: where requests carry the key",
                                    "auth_policies[rules-only].api_key.header: \"x api key\" is "
                                    "not a valid header name"));
  Partners().mutable_api_key()->clear_query();
  Partners().mutable_api_key()->set_header("X-Key:");
  Office().mutable_api_key()->set_query("a=b");
  s_.mutable_auth_policies(2)->mutable_api_key()->set_header("X-Api-Key_2.~!#$%&'*+^`|");
  EXPECT_THAT(Errors(), ElementsAre("auth_policies[partners-only].api_key.header: \"X-Key:\" is "
                                    "not a valid header name",
                                    "auth_policies[office].api_key.query: \"a=b\" is not a query "
                                    "parameter name of unreserved URL characters (A-Z a-z 0-9 - "
                                    ". _ ~)"));
  Partners().mutable_api_key()->set_header("x-key");
  Office().mutable_api_key()->set_query("Api-Key_2.~");
  EXPECT_THAT(Errors(), IsEmpty());
}

TEST_F(ValidateAuthTest, JwtCredential) {
  v1::JwtAuth& jwt = *Partners().mutable_jwt();
  jwt.set_issuer("https://id.example.com");
  jwt.set_jwks(auth::testing::Jwks({auth::testing::MakeKey("ES256", "k")}));
  jwt.add_algorithms("ES256");
  jwt.add_forward_claims()->set_claim("email");
  jwt.mutable_forward_claims(0)->set_header("X-Switchyard-Email");
  Partners().mutable_rules(1)->mutable_allow()->add_claims()->set_name("roles");
  Partners().mutable_rules(1)->mutable_allow()->mutable_claims(0)->add_values("admin");
  ASSERT_THAT(Errors(), IsEmpty());

  jwt.clear_issuer();
  jwt.add_algorithms("none");
  jwt.add_algorithms("HS256");
  jwt.set_jwks(R"({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})");
  jwt.set_header("x-token");
  jwt.set_cookie("bad cookie");
  jwt.mutable_clock_skew()->set_seconds(3600);
  jwt.mutable_forward_claims(0)->set_header("x-email");
  Partners().mutable_rules(1)->mutable_allow()->mutable_claims(0)->clear_values();
  Office().mutable_rules(0)->mutable_allow()->add_claims()->set_name("sub");
  Office().mutable_rules(0)->mutable_allow()->mutable_claims(0)->add_values("me");
  const std::string p = "auth_policies[partners-only]";
  EXPECT_THAT(
      Errors(),
      ElementsAre(p + ".jwt.issuer: must not be empty: the \"iss\" tokens must carry",
                  p + ".jwt.algorithms[1]: \"none\" is not accepted; use RS256, PS256, ES256 or "
                      "EdDSA (\"none\" and the HMAC algorithms never are)",
                  p + ".jwt.algorithms[2]: \"HS256\" is not accepted; use RS256, PS256, ES256 "
                      "or EdDSA (\"none\" and the HMAC algorithms never are)",
                  p + ".jwt.jwks: keys[0]: a symmetric (\"oct\") key: a JWKS here holds public "
                      "keys only",
                  p + ".jwt: set at most one of header or cookie: where requests carry the token",
                  p + ".jwt.cookie: \"bad cookie\" is not a valid cookie name",
                  p + ".jwt.clock_skew: must be >= 0s and <= 600s, got 3600s",
                  p + ".jwt.forward_claims[0].header: \"x-email\" must be a header name "
                      "starting with x-switchyard- (the names the gateway owns, which clients "
                      "cannot send)",
                  p + ".rules[1].allow.claims[0].values: must list at least one value",
                  "auth_policies[office].rules[0].allow.claims: the policy has no jwt: no "
                  "request would have claims"));
  jwt.set_jwks("{not json");
  EXPECT_THAT(Errors(), Contains(p + ".jwt.jwks: not JSON"));
  jwt.clear_jwks();
  EXPECT_THAT(Errors(), Contains(p + ".jwt.jwks: must be set: the issuer's public keys as a "
                                     "JWKS document (or set remote_jwks)"));
}

TEST_F(ValidateAuthTest, RemoteJwks) {
  v1::JwtAuth& jwt = *Partners().mutable_jwt();
  jwt.set_issuer("https://id.example.com");
  v1::RemoteJwks& remote = *jwt.mutable_remote_jwks();
  remote.set_cluster("b");
  remote.set_path("/.well-known/jwks.json?v=1");
  remote.set_host("id.example.com");
  remote.mutable_refresh_interval()->set_seconds(60);
  remote.mutable_timeout()->set_nanos(500'000'000);
  ASSERT_THAT(Errors(), IsEmpty());

  const std::string p = "auth_policies[partners-only].jwt";
  jwt.set_jwks(auth::testing::Jwks({auth::testing::MakeKey("ES256", "k")}));
  EXPECT_THAT(Errors(), ElementsAre(p + ": set either jwks or remote_jwks, not both"));
  jwt.clear_jwks();
  remote.set_cluster("idp");
  remote.set_path("jwks.json");
  remote.set_host("bad host");
  remote.mutable_refresh_interval()->set_seconds(0);
  remote.mutable_timeout()->set_seconds(31);
  EXPECT_THAT(Errors(),
              ElementsAre(p + ".remote_jwks.cluster: unknown cluster \"idp\"",
                          p + ".remote_jwks.path: must start with /, e.g. /.well-known/jwks.json",
                          ::testing::StartsWith(p + ".remote_jwks.host: "),
                          p + ".remote_jwks.refresh_interval: must be >= 1s and <= 86400s, got 0s",
                          p + ".remote_jwks.timeout: must be > 0s and <= 30s, got 31.5s"));
  remote.set_path("/keys\r\nx: y");
  EXPECT_THAT(Errors(), Contains(p + ".remote_jwks.path: \"/keys\\r\\nx: y\" has a character a "
                                     "request target cannot carry"));
}

TEST_F(ValidateAuthTest, ExternalAuthorization) {
  v1::AuthPolicy& opa = *s_.add_auth_policies();
  opa.set_name("opa");
  v1::ExtAuthz& ext = *opa.mutable_ext_authz();
  ext.set_cluster("authz");
  ext.mutable_timeout()->set_nanos(250'000'000);
  (*ext.mutable_context_extensions())["tier"] = "gold";
  ASSERT_THAT(Errors(), IsEmpty());

  ext.set_cluster("b");
  ext.mutable_timeout()->set_seconds(11);
  (*ext.mutable_context_extensions())[""] = "x";
  EXPECT_THAT(Errors(),
              ElementsAre("auth_policies[opa].ext_authz.cluster: cluster \"b\" must have "
                          "protocol: HTTP2: the authorization service speaks gRPC",
                          "auth_policies[opa].ext_authz.timeout: must be > 0s and <= 10s, got "
                          "11.25s",
                          "auth_policies[opa].ext_authz.context_extensions[\"\"]: keys must be "
                          "1 to 1024 bytes and values at most 1024"));
  ext.set_cluster("nowhere");
  ext.mutable_timeout()->set_seconds(0);
  ext.mutable_timeout()->set_nanos(0);
  ext.mutable_context_extensions()->erase("");
  EXPECT_THAT(Errors(), ElementsAre("auth_policies[opa].ext_authz.cluster: unknown cluster "
                                    "\"nowhere\"",
                                    "auth_policies[opa].ext_authz.timeout: must be > 0s and <= "
                                    "10s, got 0s"));
}

TEST_F(ValidateAuthTest, ClientCertificateCredential) {
  v1::AuthPolicy& mtls = *s_.add_auth_policies();
  mtls.set_name("mtls");
  mtls.mutable_client_certificate();
  Acme().add_certificate_subjects("CN=acme,O=Acme");
  ASSERT_THAT(Errors(), IsEmpty());
  Globex().add_certificate_subjects("CN=acme,O=Acme");
  Globex().add_certificate_subjects("");
  mtls.add_rules()->mutable_allow()->add_client_cert_subjects("");
  EXPECT_THAT(
      Errors(),
      ElementsAre("consumers[globex].certificate_subjects[0]: duplicate \"CN=acme,O=Acme\", "
                  "already used by consumers[acme].certificate_subjects[0]; a certificate "
                  "must name one consumer only",
                  "consumers[globex].certificate_subjects[1]: must not be empty",
                  "auth_policies[mtls].rules[0].allow.client_cert_subjects[0]: must not be "
                  "empty"));
}

TEST_F(ValidateAuthTest, EachRuleIsAllowOrDeny) {
  Partners().add_rules();
  v1::AuthRule* both = Partners().add_rules();
  both->mutable_allow();
  both->mutable_deny();
  EXPECT_THAT(Errors(),
              ElementsAre("auth_policies[partners-only].rules[2]: set exactly one of allow or deny",
                          "auth_policies[partners-only].rules[3]: set exactly one of allow or "
                          "deny"));
}

TEST_F(ValidateAuthTest, Conditions) {
  OfficeAllow().add_consumers("ghost");
  OfficeAllow().add_consumers("");
  OfficeAllow().add_groups("a b");
  OfficeAllow().add_methods("get");
  OfficeAllow().add_path_prefixes("admin");
  const std::string path = "auth_policies[office].rules[0].allow";
  EXPECT_THAT(Errors(), ElementsAre(path + ".consumers[1]: unknown consumer \"ghost\"",
                                    path + ".consumers[2]: must not be empty",
                                    path + ".groups[0]: \"a b\" must match [A-Za-z0-9_.-]+",
                                    path + ".methods[2]: \"get\" is not an upper-case method token",
                                    path + ".path_prefixes[1]: must start with \"/\", got "
                                           "\"admin\""));
}

TEST_F(ValidateAuthTest, ClientIps) {
  OfficeAllow().clear_client_ips();
  for (const char* ip :
       {"10.0.0.1/8", "2001:db8::1/32", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x",
        "10.0.0", "[::1]", "example.com", "", "1.2.3.4/32", "fe80::1/128", "255.255.255.255/1"}) {
    OfficeAllow().add_client_ips(ip);
  }
  const std::string path = "auth_policies[office].rules[0].allow.client_ips";
  const std::string not_an_address =
      " is not an IP address or CIDR range (such as \"10.0.0.0/8\" or \"2001:db8::/32\")";
  EXPECT_THAT(
      Errors(),
      ElementsAre(
          path + "[0]: \"10.0.0.1/8\" has bits set after the prefix; write 10.0.0.0/8",
          path + "[1]: \"2001:db8::1/32\" has bits set after the prefix; write 2001:db8::/32",
          path + "[2]: \"10.0.0.0/33\": the prefix length of an IPv4 range must be 0..32",
          path + "[3]: \"::/129\": the prefix length of an IPv6 range must be 0..128",
          path + "[4]: \"10.0.0.0/\": the prefix length of an IPv4 range must be 0..32",
          path + "[5]: \"10.0.0.0/x\": the prefix length of an IPv4 range must be 0..32",
          path + "[6]: \"10.0.0\"" + not_an_address, path + "[7]: \"[::1]\"" + not_an_address,
          path + "[8]: \"example.com\"" + not_an_address, path + "[9]: must not be empty",
          path + "[12]: \"255.255.255.255/1\" has bits set after the prefix; write 128.0.0.0/1"));
}

TEST_F(ValidateAuthTest, AnEmptyConditionAlwaysHolds) {
  *Partners().mutable_rules(1)->mutable_allow() = v1::AuthCondition();
  ASSERT_TRUE(Partners().rules(1).has_allow());
  EXPECT_THAT(Errors(), IsEmpty());
}

TEST_F(ValidateAuthTest, PolicyReferencesFromVirtualHostsAndRoutes) {
  Api().set_auth_policy("nope");
  Api().mutable_routes(1)->set_auth_policy("missing");
  Api().mutable_routes(0)->set_auth_policy("office");  // with skip_auth
  EXPECT_THAT(
      Errors(),
      ElementsAre("virtual_hosts[api].auth_policy: unknown auth policy \"nope\"",
                  "virtual_hosts[api].routes[health]: set either auth_policy or skip_auth, not "
                  "both",
                  "virtual_hosts[api].routes[admin].auth_policy: unknown auth policy \"missing\""));
}

TEST_F(ValidateAuthTest, DefaultActionMustBeKnown) {
  Partners().set_default_action(static_cast<v1::AuthPolicy::Action>(7));
  EXPECT_THAT(Errors(), ElementsAre("auth_policies[partners-only].default_action: unknown value "
                                    "7; must be ACTION_UNSPECIFIED, ALLOW or DENY"));
}

TEST_F(ValidateAuthTest, OversizedListsAreReportedOnce) {
  for (size_t i = Acme().groups_size(); i <= kMaxGroupsPerConsumer; ++i) {
    Acme().add_groups("g" + std::to_string(i));
  }
  for (size_t i = Globex().api_keys_size(); i <= kMaxApiKeysPerConsumer; ++i) {
    Globex().add_api_keys();
  }
  for (size_t i = 0; i <= kMaxAuthConditionValues; ++i) OfficeAllow().add_client_ips("bad");
  EXPECT_THAT(Errors(), ElementsAre("consumers[acme].groups: too many (101, at most 100)",
                                    "consumers[globex].api_keys: too many (101, at most 100)",
                                    "auth_policies[office].rules[0].allow.client_ips: too many "
                                    "(1007, at most 1000)"));
}

TEST_F(ValidateAuthTest, ErrorsComeInSnapshotOrderAndStatusJoinsThemAll) {
  s_.mutable_auth_policies(2)->clear_rules();
  Acme().mutable_api_keys(0)->set_sha256("x");
  s_.mutable_clusters(0)->mutable_endpoints(0)->set_port(0);
  Api().mutable_routes(2)->set_auth_policy("nope");
  const std::vector<std::string> errors = Errors();
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_THAT(errors[0], StartsWith("virtual_hosts[api].routes[all].auth_policy:"));
  EXPECT_THAT(errors[1], StartsWith("clusters[b].endpoints[0].port:"));
  EXPECT_THAT(errors[2], StartsWith("consumers[acme].api_keys[k1].sha256:"));
  EXPECT_THAT(errors[3], StartsWith("auth_policies[rules-only]:"));
  EXPECT_EQ(ValidateSnapshot(s_).message(), absl::StrJoin(errors, "; "));
}

// CORS (docs/cors.md): origins, the wildcard with credentials, methods, headers, max_age.

TEST_F(ValidateTest, ValidCorsPoliciesHaveNoErrors) {
  v1::CorsPolicy& vhost = *Api().mutable_cors();
  for (const char* origin :
       {"https://app.example.com", "http://localhost:3000", "https://*.example.com",
        "HTTPS://Other.example.org:8443", "http://[::1]:8080", "app+x://10.0.0.1"}) {
    vhost.add_allow_origins(origin);
  }
  vhost.add_allow_methods("PUT");
  vhost.add_allow_methods("DELETE");
  vhost.add_allow_headers("content-type");
  vhost.add_allow_headers("X-Api-Key");
  vhost.add_expose_headers("x-request-id");
  vhost.set_allow_credentials(true);
  vhost.mutable_max_age()->set_seconds(86400);
  Users().mutable_cors();  // empty: CORS off on this route
  v1::CorsPolicy& open = *Exact().mutable_cors();
  open.add_allow_origins("*");
  open.add_allow_methods("*");
  open.add_allow_headers("*");
  open.add_expose_headers("*");
  open.mutable_max_age()->set_seconds(0);
  EXPECT_THAT(Errors(), IsEmpty());
}

TEST_F(ValidateTest, CorsOrigins) {
  v1::CorsPolicy& cors = *Api().mutable_cors();
  for (const char* origin :
       {"https://app.example.com", "HTTPS://APP.EXAMPLE.COM", "https://app.example.com/",
        "app.example.com", "null", "https://*", "https://a.*.example.com",
        "https://app.example.com:0", "*", "1http://x"}) {
    cors.add_allow_origins(origin);
  }
  cors.set_allow_credentials(true);
  const std::string at = "virtual_hosts[api].cors.allow_origins";
  const std::string syntax =
      "an origin is \"*\" or scheme://host[:port], such as \"https://app.example.com\"";
  EXPECT_THAT(
      Errors(),
      ElementsAre(at + "[1]: duplicate \"HTTPS://APP.EXAMPLE.COM\"",
                  at + "[2]: \"https://app.example.com/\" has a path: " + syntax +
                      ", with nothing after the host and port (not even \"/\")",
                  at + "[3]: \"app.example.com\" is not an origin: " + syntax,
                  at + "[4]: \"null\" cannot be allowed: it is the origin of sandboxed and local "
                       "documents, which any page can create",
                  at + "[5]: \"https://*\": \"*\" may only be a whole first label "
                       "(\"https://*.example.com\")",
                  at + "[6]: \"https://a.*.example.com\": \"*\" may only be a whole first label "
                       "(\"https://*.example.com\")",
                  at + "[7]: \"https://app.example.com:0\" has an invalid host: port must be "
                       "1..65535",
                  at + "[8]: \"*\" cannot be used with allow_credentials: browsers refuse a "
                       "wildcard on a credentialed request; list the values",
                  at + "[9]: \"1http://x\" is not an origin: " + syntax));
}

TEST_F(ValidateTest, CorsMethodsHeadersAndMaxAge) {
  v1::CorsPolicy& cors = *Users().mutable_cors();
  cors.add_allow_origins("https://app.example.com");
  cors.set_allow_credentials(true);
  cors.add_allow_methods("get");
  cors.add_allow_methods("*");
  cors.add_allow_headers("x y");
  cors.add_allow_headers("*");
  cors.add_allow_headers("X-Api-Key");
  cors.add_allow_headers("x-api-key");
  cors.add_expose_headers("*");
  cors.mutable_max_age()->set_seconds(86401);
  const std::string at = "virtual_hosts[api].routes[users].cors";
  const std::string wildcard =
      ": \"*\" cannot be used with allow_credentials: browsers refuse a wildcard on a "
      "credentialed request; list the values";
  EXPECT_THAT(Errors(),
              ElementsAre(at + ".allow_methods[0]: \"get\" is not an upper-case method token",
                          at + ".allow_methods[1]" + wildcard,
                          at + ".allow_headers[0]: \"x y\" is not a valid header name",
                          at + ".allow_headers[1]" + wildcard,
                          at + ".allow_headers[3]: duplicate \"x-api-key\"",
                          at + ".expose_headers[0]" + wildcard,
                          at + ".max_age: must be 0s..86400s, got 86401s"));

  cors.clear_allow_methods();
  cors.clear_allow_headers();
  cors.clear_expose_headers();
  cors.mutable_max_age()->set_seconds(-1);
  EXPECT_THAT(Errors(), ElementsAre(at + ".max_age: must be 0s..86400s, got -1s"));
  cors.mutable_max_age()->set_nanos(500);
  EXPECT_THAT(Errors(), ElementsAre(HasSubstr(at + ".max_age: invalid duration")));
}

TEST_F(ValidateTest, ACorsPolicyThatSetsSomethingListsOrigins) {
  Users().mutable_cors()->add_allow_methods("PUT");
  Exact().mutable_cors()->set_allow_credentials(true);
  Re().mutable_cors();  // empty: fine
  EXPECT_THAT(Errors(),
              ElementsAre("virtual_hosts[api].routes[users].cors.allow_origins: must list at least "
                          "one origin: a policy without origins allows nothing (an empty policy, "
                          "cors: {}, turns CORS off)",
                          "virtual_hosts[api].routes[exact].cors.allow_origins: must list at least "
                          "one origin: a policy without origins allows nothing (an empty policy, "
                          "cors: {}, turns CORS off)"));
}

TEST_F(ValidateTest, OversizedCorsListsAreReportedOnce) {
  v1::CorsPolicy& cors = *Api().mutable_cors();
  for (int i = 0; i <= 100; ++i) {
    cors.add_allow_origins("bad");
    cors.add_allow_headers("x y");
  }
  EXPECT_THAT(Errors(), ElementsAre("virtual_hosts[api].cors.allow_origins: too many (101, at most "
                                    "100)",
                                    "virtual_hosts[api].cors.allow_headers: too many (101, at most "
                                    "100)"));
}

TEST_F(ValidateTest, CorsLoadsFromYaml) {
  absl::StatusOr<v1::Snapshot> parsed = ParseSnapshot(R"yaml(
virtual_hosts:
  - name: api
    domains: ["*"]
    cors: {allow_origins: ["https://app.example.com"], allow_methods: [PUT], max_age: 600s,
           allow_credentials: true}
    routes:
      - {name: all, match: {prefix: /}, route: {cluster: b}, cors: {}}
clusters:
  - {name: b, endpoints: [{address: 127.0.0.1, port: 1}]}
)yaml",
                                                      "cors.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_THAT(ValidationErrors(*parsed), IsEmpty());
  EXPECT_EQ(parsed->virtual_hosts(0).cors().max_age().seconds(), 600);
  EXPECT_TRUE(parsed->virtual_hosts(0).routes(0).has_cors());
}

}  // namespace
}  // namespace switchyard::config
