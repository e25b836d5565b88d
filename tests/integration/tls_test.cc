// TLS towards clients on --listen_tls, with curl as the client a user would use and
// certificates the test makes itself: ALPN picks HTTP/1.1 or HTTP/2, SNI picks the
// certificate (the default without SNI or for an unknown name), a request for a host
// that another certificate covers gets 421, and what is not a TLS client is counted and
// closed without harming the proxy.
#include <fcntl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "dataplane/tls/testing/test_certificates.h"
#include "gtest/gtest.h"
#include "tests/support/certificate_yaml.h"
#include "tests/support/child_process.h"
#include "tests/support/http_message.h"
#include "tests/support/metrics_page.h"
#include "tests/support/proxy_test.h"
#include "tests/support/raw_client.h"
#include "tests/support/tls_client.h"

namespace switchyard::testing {
namespace {

using std::chrono::seconds;
namespace certs = tls::testing;

class TlsTest : public ProxyTest {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("tls");
    ca_ = certs::CertificateAuthority();
    ASSERT_TRUE(certs::WriteFile(dir_ + "/ca.pem", ca_.cert_pem).ok());
    api_ = certs::IssueCertificate({.common_name = "api.test", .dns_names = {"api.test"}}, ca_);
    shop_ = certs::IssueCertificate({.common_name = "shop wildcard", .dns_names = {"*.shop.test"}},
                                    ca_);
  }

  void Start(const std::string& certificates_yaml, std::vector<std::string> flags = {},
             TestBackend::Handler handler = nullptr) {
    if (handler == nullptr) {
      handler = [](BackendExchange& ex) {
        ex.Reply(200, "proto=" + ex.request().headers.Joined("x-forwarded-proto"));
      };
    }
    backend_ = &AddBackend("b", std::move(handler));
    const std::string config =
        SingleClusterConfig({backend_->port()}) +
        (certificates_yaml.empty() ? "" : "certificates:\n" + certificates_yaml);
    flags.push_back("--admin=127.0.0.1:0");
    flags.push_back("--listen_tls=127.0.0.1:0");
    ASSERT_TRUE(StartProxy(config, std::move(flags)));
  }
  void StartWithBothCertificates() {
    Start(CertificateYaml("api", {"api.test"}, api_) +
          CertificateYaml("shop", {"*.shop.test"}, shop_));
  }

  // curl to https://`host`:<tls port>`path`, resolved to 127.0.0.1 (so SNI is `host`),
  // trusting only the test CA. Prints "<body>|<http version> <status>".
  CommandResult Curl(const std::string& host, std::vector<std::string> extra,
                     const std::string& path = "/") {
    const std::string port = std::to_string(proxy().tls_port());
    std::vector<std::string> argv = {"/usr/bin/curl",
                                     "-sS",
                                     "--max-time",
                                     "20",
                                     "--cacert",
                                     dir_ + "/ca.pem",
                                     "--resolve",
                                     host + ":" + port + ":127.0.0.1",
                                     "-w",
                                     "|%{http_version} %{response_code}"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("https://" + host + ":" + port + path);
    return RunCommand(argv, seconds(40));
  }
  int64_t Metric(const std::string& series) {
    RawClient admin(proxy().admin_port());
    return MetricValue(admin.RoundTrip(SimpleGet("/metrics", "admin")).body, series);
  }

  std::string dir_;
  certs::TestCertificate ca_, api_, shop_;
  TestBackend* backend_ = nullptr;
};

TEST_F(TlsTest, AlpnServesHttp11AndHttp2OverTls) {
  ASSERT_NO_FATAL_FAILURE(StartWithBothCertificates());
  const CommandResult h1 = Curl("api.test", {"--http1.1", "-o", "/dev/null"});
  ASSERT_EQ(h1.exit_code, 0) << h1.DebugString();
  EXPECT_EQ(h1.stdout_text, "|1.1 200");
  const CommandResult h2 = Curl("api.test", {"--http2"});
  ASSERT_EQ(h2.exit_code, 0) << h2.DebugString();
  // The backend saw the client's scheme.
  EXPECT_EQ(h2.stdout_text, "proto=https|2 200");
  EXPECT_EQ(Metric(R"(switchyard_downstream_connections_total{protocol="http2"})"), 1);
  EXPECT_GE(Metric(R"(switchyard_downstream_tls_handshakes_total{result="success"})"), 2);
}

TEST_F(TlsTest, SniPicksTheCertificateAndTheDefaultServesTheRest) {
  ASSERT_NO_FATAL_FAILURE(StartWithBothCertificates());
  // curl verifies the chain against the test CA and the name against the SANs: each
  // succeeds only with the certificate SNI should have picked.
  for (const std::string host : {"api.test", "www.shop.test"}) {
    const CommandResult r = Curl(host, {"-o", "/dev/null"});
    EXPECT_EQ(r.exit_code, 0) << host << ": " << r.DebugString();
    EXPECT_EQ(r.stdout_text, "|2 200") << host;
  }
  // "*.shop.test" covers deeper names too, as a virtual host's domain does (curl, following
  // RFC 6125, accepts one label only, so it is asked not to verify here).
  const CommandResult deep = Curl("a.b.shop.test", {"-k", "-v", "-o", "/dev/null"});
  EXPECT_EQ(deep.exit_code, 0) << deep.DebugString();
  EXPECT_NE(deep.stderr_text.find("CN=shop wildcard"), std::string::npos) << deep.stderr_text;
  // An unknown name gets the default (the first certificate): verification fails on the
  // name, and -v shows which certificate came.
  const CommandResult unknown = Curl("other.test", {"-v", "-o", "/dev/null"});
  EXPECT_EQ(unknown.exit_code, 60) << unknown.DebugString();  // peer certificate not OK
  EXPECT_NE(unknown.stderr_text.find("CN=api.test"), std::string::npos) << unknown.stderr_text;
  // Without SNI (an IP address is never sent as SNI): the default too.
  const std::string port = std::to_string(proxy().tls_port());
  const CommandResult by_ip = RunCommand(
      {"/usr/bin/curl", "-sS", "-k", "-v", "-o", "/dev/null", "https://127.0.0.1:" + port + "/"},
      seconds(40));
  EXPECT_EQ(by_ip.exit_code, 0) << by_ip.DebugString();
  EXPECT_NE(by_ip.stderr_text.find("CN=api.test"), std::string::npos) << by_ip.stderr_text;
}

TEST_F(TlsTest, AHostThatAnotherCertificateCoversGets421) {
  ASSERT_NO_FATAL_FAILURE(StartWithBothCertificates());
  for (const std::string version : {"--http1.1", "--http2"}) {
    // SNI api.test, Host www.shop.test: the connection's certificate does not cover it.
    const CommandResult r = Curl("api.test", {version, "-H", "Host: www.shop.test"});
    ASSERT_EQ(r.exit_code, 0) << r.DebugString();
    const std::string tail = std::string("|") + (version == "--http2" ? "2" : "1.1") + " 421";
    EXPECT_TRUE(r.stdout_text.ends_with(tail)) << r.stdout_text;
    EXPECT_NE(r.stdout_text.find("misdirected_request"), std::string::npos) << r.stdout_text;
  }
  // A host no certificate covers is served on the default's connection.
  const CommandResult r = Curl("api.test", {"-H", "Host: internal.example"});
  EXPECT_EQ(r.stdout_text, "proto=https|2 200");
  EXPECT_EQ(backend_->requests().size(), 1u);
}

TEST_F(TlsTest, WhatIsNotATlsClientIsClosedAndCounted) {
  ASSERT_NO_FATAL_FAILURE(StartWithBothCertificates());
  const auto failures = [this] {
    return static_cast<uint64_t>(
        Metric(R"(switchyard_downstream_tls_handshakes_total{result="failure"})"));
  };
  // The harness's readiness probe (a connect and close) is counted too, once it settles.
  const uint64_t before = WaitForSteadyValue(failures, std::chrono::milliseconds(300), seconds(5));
  RawClient plain(proxy().tls_port());
  const Response r = plain.RoundTrip(SimpleGet("/", "api.test"));
  EXPECT_EQ(r.status, 0) << "a plaintext request got an HTTP answer: " << r.status;
  EXPECT_EQ(WaitForSteadyValue(failures, std::chrono::milliseconds(300), seconds(5)), before + 1);
  // The proxy serves on.
  const CommandResult ok = Curl("api.test", {"-o", "/dev/null"});
  EXPECT_EQ(ok.stdout_text, "|2 200") << ok.DebugString();
}

// Behind an L4 load balancer the PROXY header comes first, in clear, then the TLS
// handshake: the proxy takes exactly the header's bytes, so OpenSSL reads the ClientHello
// from its first byte whether or not both arrived in one segment.
TEST_F(TlsTest, APROXYHeaderBeforeTheHandshakeGivesTheClientAddress) {
  ASSERT_NO_FATAL_FAILURE(
      Start(CertificateYaml("api", {"api.test"}, api_), {"--proxy_protocol=required"}));
  std::string v2("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c", 16);                 // TCP over IPv4
  v2 += std::string("\xc6\x33\x64\x07\xc0\x00\x02\x01\x9c\x40\x20\xfb", 12);  // 198.51.100.7
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"PROXY TCP4 203.0.113.9 192.0.2.1 40000 8443\r\n", "203.0.113.9"}, {v2, "198.51.100.7"}};
  for (const auto& [preamble, address] : cases) {
    TlsConnection c(proxy().tls_port(), "api.test", preamble);
    ASSERT_TRUE(c.Connected()) << address;
    EXPECT_EQ(c.Get("api.test"), 200) << address;
    ASSERT_FALSE(backend_->requests().empty());
    EXPECT_EQ(backend_->requests().back().headers.Joined("x-forwarded-for"), address);
  }
  // Without the header a required listener refuses, TLS or not.
  TlsConnection bare(proxy().tls_port(), "api.test");
  EXPECT_FALSE(bare.Connected());
}

TEST_F(TlsTest, WithoutCertificatesTlsConnectionsAreClosed) {
  ASSERT_NO_FATAL_FAILURE(Start(""));
  const CommandResult r = Curl("api.test", {"-o", "/dev/null"});
  EXPECT_NE(r.exit_code, 0) << r.DebugString();
  EXPECT_NE(proxy().StderrContents().find("the config has no certificates"), std::string::npos);
  // Plaintext is unaffected.
  EXPECT_EQ(Get("/").status, 200);
}

TEST_F(TlsTest, AnExpiredCertificateIsRefusedNamingIt) {
  const certs::TestCertificate expired = certs::Expired({"old.test"});
  const RunResult run = RunProxyExpectingExit(
      SingleClusterConfig({1}) + "certificates:\n" + CertificateYaml("old", {"old.test"}, expired),
      {"--listen_tls=127.0.0.1:0"}, seconds(20));
  EXPECT_FALSE(run.became_ready);
  EXPECT_NE(run.stderr_text.find("certificates[old].cert_pem"), std::string::npos)
      << run.stderr_text;
  EXPECT_NE(run.stderr_text.find("expired"), std::string::npos) << run.stderr_text;
}

// Polls until new connections get the certificate named `cn` (rotation is asynchronous:
// inotify, a settle time, a compile); true once they do, false after 20 s.
bool WaitForServedCommonName(uint16_t port, const std::string& host, const std::string& cn) {
  const auto end = Clock::now() + seconds(20);
  while (Clock::now() < end) {
    if (ServedCommonName(port, host) == cn) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST_F(TlsTest, CertificateFilesRotateForNewConnectionsAndOpenOnesKeepWorking) {
  // A Kubernetes Secret volume: tls.crt and tls.key -> ..data/..., ..data -> a version dir.
  const std::string secret = dir_ + "/secret";
  ASSERT_EQ(::mkdir(secret.c_str(), 0755), 0);
  const auto publish = [&](const std::string& version, const certs::TestCertificate& cert,
                           const std::string& key_pem) {
    const std::string data = secret + "/.." + version;
    ASSERT_EQ(::mkdir(data.c_str(), 0755), 0);
    ASSERT_TRUE(certs::WriteFile(data + "/tls.crt", cert.chain_pem).ok());
    ASSERT_TRUE(certs::WriteFile(data + "/tls.key", key_pem).ok());
    ASSERT_EQ(::symlink((".." + version).c_str(), (secret + "/..data_tmp").c_str()), 0);
    ASSERT_EQ(::rename((secret + "/..data_tmp").c_str(), (secret + "/..data").c_str()), 0);
  };
  const auto issue = [&](const std::string& cn) {
    return certs::IssueCertificate({.common_name = cn, .dns_names = {"api.test"}}, ca_);
  };
  const certs::TestCertificate v1 = issue("v1"), v2 = issue("v2"), v3 = issue("v3");
  ASSERT_NO_FATAL_FAILURE(publish("v1", v1, v1.key_pem));
  ASSERT_EQ(::symlink("..data/tls.crt", (secret + "/tls.crt").c_str()), 0);
  ASSERT_EQ(::symlink("..data/tls.key", (secret + "/tls.key").c_str()), 0);
  ASSERT_NO_FATAL_FAILURE(Start("- {name: api, domains: [api.test], cert_file: " + secret +
                                "/tls.crt, key_file: " + secret + "/tls.key}\n"));
  const uint16_t port = proxy().tls_port();
  EXPECT_EQ(ServedCommonName(port, "api.test"), "v1");
  TlsConnection open(port, "api.test");
  ASSERT_TRUE(open.Connected());
  EXPECT_EQ(open.Get("api.test"), 200);

  ASSERT_NO_FATAL_FAILURE(publish("v2", v2, v2.key_pem));
  EXPECT_TRUE(WaitForServedCommonName(port, "api.test", "v2"));
  EXPECT_EQ(Metric(R"(switchyard_certificate_file_reloads_total{result="success"})"), 1);
  // The connection from before keeps its certificate and keeps working.
  EXPECT_EQ(open.Get("api.test"), 200);
  EXPECT_EQ(open.PeerCommonName(), "v1");

  // A certificate written with the wrong key is not loaded: v2 keeps serving.
  ASSERT_NO_FATAL_FAILURE(publish("v3bad", v3, v2.key_pem));
  const auto end = Clock::now() + seconds(20);
  while (Metric(R"(switchyard_certificate_file_reloads_total{result="failure"})") < 1 &&
         Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Metric(R"(switchyard_certificate_file_reloads_total{result="failure"})"), 1);
  EXPECT_EQ(ServedCommonName(port, "api.test"), "v2");
  EXPECT_NE(proxy().StderrContents().find("certificates[api]"), std::string::npos);
  // Its key arrives: v3 serves.
  ASSERT_NO_FATAL_FAILURE(publish("v3", v3, v3.key_pem));
  EXPECT_TRUE(WaitForServedCommonName(port, "api.test", "v3"));
  EXPECT_EQ(open.Get("api.test"), 200);
}

// OCSP stapling with curl --cert-status, which requires a stapled response, checks its
// signature against the CA and that it says "good". The staple file is watched like the
// certificate's: a new response is picked up; one that would fail a client is not.
TEST_F(TlsTest, AnOcspResponseIsStapledAndFollowsItsFile) {
  const std::string staple = dir_ + "/api.ocsp.der";
  ASSERT_TRUE(certs::WriteFile(staple, certs::OcspResponse(api_, ca_)).ok());
  ASSERT_TRUE(certs::WriteFile(dir_ + "/api.pem", api_.chain_pem).ok());
  ASSERT_TRUE(certs::WriteFile(dir_ + "/api.key", api_.key_pem).ok());
  ASSERT_NO_FATAL_FAILURE(Start("- {name: api, domains: [api.test], cert_file: " + dir_ +
                                "/api.pem, key_file: " + dir_ + "/api.key, ocsp_staple_file: " +
                                staple + "}\n" + CertificateYaml("shop", {"*.shop.test"}, shop_)));
  const CommandResult stapled = Curl("api.test", {"--cert-status"});
  EXPECT_EQ(stapled.exit_code, 0) << stapled.output;
  EXPECT_EQ(stapled.output, "proto=https|2 200");
  // A certificate without a staple: a client that insists on one fails.
  const CommandResult unstapled = Curl("www.shop.test", {"--cert-status", "-o", "/dev/null"});
  EXPECT_NE(unstapled.exit_code, 0) << unstapled.output;

  // A revoked status written over the file is refused; the good one keeps being stapled.
  ASSERT_TRUE(
      certs::WriteFile(
          staple, certs::OcspResponse(api_, ca_, {.status = certs::OcspOptions::Status::kRevoked}))
          .ok());
  EXPECT_TRUE(PollUntil(
      [&] { return Metric(R"(switchyard_certificate_file_reloads_total{result="failure"})") == 1; },
      seconds(20)));
  EXPECT_NE(proxy().StderrContents().find("certificates[api].ocsp_staple_file: says the "
                                          "certificate is revoked"),
            std::string::npos);
  EXPECT_EQ(Curl("api.test", {"--cert-status"}).exit_code, 0);
  // A fresh good response is taken.
  ASSERT_TRUE(certs::WriteFile(staple, certs::OcspResponse(api_, ca_)).ok());
  EXPECT_TRUE(PollUntil(
      [&] { return Metric(R"(switchyard_certificate_file_reloads_total{result="success"})") == 1; },
      seconds(20)));
  EXPECT_EQ(Curl("api.test", {"--cert-status"}).exit_code, 0);
}

// mTLS towards clients with curl's --cert: "api" requires a certificate from the test CA
// (read from ca_file) and forwards the identity; "shop" asks for one (CA inline) and
// forwards nothing. Identity headers a client sends never reach the backend.
TEST_F(TlsTest, ClientCertificatesAreVerifiedAndTheIdentityGoesUpstream) {
  const certs::TestCertificate partner = certs::IssueCertificate({.common_name = "partner",
                                                                  .dns_names = {"p.test"},
                                                                  .uris = {"spiffe://test/p"},
                                                                  .client = true},
                                                                 ca_);
  const certs::TestCertificate stranger = certs::IssueCertificate(
      {.common_name = "stranger", .client = true}, certs::CertificateAuthority("other CA"));
  for (const auto& [name, cert] : {std::pair{"partner", &partner}, {"stranger", &stranger}}) {
    ASSERT_TRUE(certs::WriteFile(dir_ + "/" + name + ".pem", cert->cert_pem).ok());
    ASSERT_TRUE(certs::WriteFile(dir_ + "/" + name + ".key", cert->key_pem).ok());
  }
  const std::string certificates =
      CertificateYaml("api", {"api.test"}, api_) +
      "  client_certificates: {mode: REQUIRED, ca_file: " + dir_ +
      "/ca.pem, forward_identity: true}\n" + CertificateYaml("shop", {"*.shop.test"}, shop_) +
      "  client_certificates:\n    mode: OPTIONAL\n    ca_pem: " + YamlBlock(ca_.cert_pem, 6);
  ASSERT_NO_FATAL_FAILURE(Start(certificates, {}, [](BackendExchange& ex) {
    const auto& h = ex.request().headers;
    ex.Reply(200, "subject=" + h.Joined("x-switchyard-client-cert-subject") +
                      " dns=" + h.Joined("x-switchyard-client-cert-dns") +
                      " uri=" + h.Joined("x-switchyard-client-cert-uri") + " sha256=" +
                      std::to_string(h.Joined("x-switchyard-client-cert-sha256").size()));
  }));
  const auto as = [&](const std::string& name) {
    return std::vector<std::string>{"--cert", dir_ + "/" + name + ".pem", "--key",
                                    dir_ + "/" + name + ".key"};
  };
  const std::string spoof = "x-switchyard-client-cert-subject: CN=admin";
  for (const char* version : {"--http1.1", "--http2"}) {
    std::vector<std::string> args = as("partner");
    args.insert(args.end(), {version, "-H", spoof});
    const CommandResult r = Curl("api.test", args);
    ASSERT_EQ(r.exit_code, 0) << r.DebugString();
    EXPECT_EQ(r.stdout_text.substr(0, r.stdout_text.find('|')),
              "subject=CN=partner dns=p.test uri=spiffe://test/p sha256=64")
        << version;
  }
  const CommandResult anonymous = Curl("api.test", {"-o", "/dev/null"});
  EXPECT_NE(anonymous.exit_code, 0) << anonymous.DebugString();
  const CommandResult strange = Curl("api.test", as("stranger"));
  EXPECT_NE(strange.exit_code, 0) << strange.DebugString();
  EXPECT_EQ(backend_->request_count(), 2);
  EXPECT_EQ(
      Metric(R"(switchyard_downstream_tls_handshakes_total{result="client_certificate_refused"})"),
      2);

  // Optional: served without a certificate; with one, verified but not forwarded. The
  // spoofed header is removed either way.
  const CommandResult shop = Curl("www.shop.test", {"-H", spoof});
  ASSERT_EQ(shop.exit_code, 0) << shop.DebugString();
  EXPECT_EQ(shop.stdout_text, "subject= dns= uri= sha256=0|2 200");
  std::vector<std::string> args = as("partner");
  args.insert(args.end(), {"-H", spoof});
  const CommandResult known = Curl("www.shop.test", args);
  ASSERT_EQ(known.exit_code, 0) << known.DebugString();
  EXPECT_EQ(known.stdout_text, "subject= dns= uri= sha256=0|2 200");
  EXPECT_NE(Curl("www.shop.test", as("stranger")).exit_code, 0);
  // A plaintext client cannot claim one either.
  RawClient plain(proxy().port());
  EXPECT_EQ(plain
                .RoundTrip(BuildRequest(
                    "GET", "/",
                    {{"Host", "example.com"}, {"X-Switchyard-Client-Cert-Subject", "CN=admin"}}))
                .body,
            "subject= dns= uri= sha256=0");
}

// A verified client certificate as the credential of an auth policy (docs/auth.md): it
// names a consumer by its subject, and rules can match the subject itself.
TEST_F(TlsTest, AClientCertificateIsACredentialOfAnAuthPolicy) {
  const certs::TestCertificate partner =
      certs::IssueCertificate({.common_name = "partner", .client = true}, ca_);
  const certs::TestCertificate other =
      certs::IssueCertificate({.common_name = "other", .client = true}, ca_);
  for (const auto& [name, cert] : {std::pair{"partner", &partner}, {"other", &other}}) {
    ASSERT_TRUE(certs::WriteFile(dir_ + "/" + name + ".pem", cert->cert_pem).ok());
    ASSERT_TRUE(certs::WriteFile(dir_ + "/" + name + ".key", cert->key_pem).ok());
  }
  backend_ = &AddBackend("b", [](BackendExchange& ex) {
    ex.Reply(200, "consumer=" + ex.request().headers.Joined("x-switchyard-consumer"));
  });
  const std::string config = absl::StrCat(
      R"(
consumers:
  - {name: partner-co, groups: [partners], certificate_subjects: ["CN=partner"]}
auth_policies:
  - name: mtls
    client_certificate: {require_consumer: true}
    rules: [{allow: {groups: [partners]}}]
  - name: by-subject
    client_certificate: {}
    rules: [{allow: {client_cert_subjects: ["CN=other"]}}]
virtual_hosts:
  - name: api
    domains: ["*"]
    routes:
      - {name: subject, match: {prefix: /subject}, route: {cluster: b}, auth_policy: by-subject}
      - {name: all, match: {prefix: /}, route: {cluster: b}, auth_policy: mtls}
clusters:
  - {name: b, endpoints: [{address: 127.0.0.1, port: )",
      backend_->port(), "}]}\ncertificates:\n", CertificateYaml("api", {"api.test"}, api_),
      "  client_certificates:\n    mode: OPTIONAL\n    ca_pem: ", YamlBlock(ca_.cert_pem, 6));
  ASSERT_TRUE(StartProxy(config, {"--admin=127.0.0.1:0", "--listen_tls=127.0.0.1:0"}));
  const auto as = [&](const std::string& name) {
    return std::vector<std::string>{"--cert", dir_ + "/" + name + ".pem", "--key",
                                    dir_ + "/" + name + ".key"};
  };
  const auto status_of = [](const CommandResult& r) {
    return r.stdout_text.substr(r.stdout_text.rfind(' ') + 1);
  };
  EXPECT_EQ(status_of(Curl("api.test", {"-o", "/dev/null"})), "401");
  const CommandResult ok = Curl("api.test", as("partner"));
  ASSERT_EQ(ok.exit_code, 0) << ok.DebugString();
  EXPECT_EQ(ok.stdout_text, "consumer=partner-co|2 200");
  // Verified, but no consumer lists it: this policy wants one.
  const CommandResult unknown = Curl("api.test", as("other"));
  EXPECT_EQ(status_of(unknown), "401") << unknown.DebugString();
  EXPECT_NE(unknown.stdout_text.find("unknown_client_certificate"), std::string::npos);
  // By subject, consumer or not.
  EXPECT_EQ(Curl("api.test", as("other"), "/subject").stdout_text, "consumer=|2 200");
  EXPECT_EQ(status_of(Curl("api.test", as("partner"), "/subject")), "403");
  EXPECT_EQ(status_of(Curl("api.test", {"-o", "/dev/null"}, "/subject")), "401");
}

TEST_F(TlsTest, TheExpiryOfEachCertificateIsExported) {
  ASSERT_NO_FATAL_FAILURE(StartWithBothCertificates());
  const int64_t expiry =
      Metric(R"(switchyard_certificate_expiry_timestamp_seconds{certificate="api"})");
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  // IssueCertificate: valid for a day from now.
  EXPECT_GT(expiry, now + int64_t{23} * 3600);
  EXPECT_LT(expiry, now + int64_t{25} * 3600);
}

}  // namespace
}  // namespace switchyard::testing
