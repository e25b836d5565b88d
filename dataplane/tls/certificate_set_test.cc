#include "dataplane/tls/certificate_set.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "dataplane/tls/client_identity.h"
#include "dataplane/tls/testing/memory_handshake.h"
#include "dataplane/tls/testing/test_certificates.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace switchyard::tls {
namespace {

using testing::Handshake;
using testing::HandshakeResult;
using ::testing::HasSubstr;
using testing::TestCertificate;

v1::Certificate Inline(const std::string& name, const TestCertificate& cert,
                       std::vector<std::string> domains) {
  v1::Certificate out;
  out.set_name(name);
  for (std::string& d : domains) out.add_domains(std::move(d));
  out.set_cert_pem(cert.chain_pem);
  out.set_key_pem(cert.key_pem);
  return out;
}

class CertificateSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    *certificates_.Add() =
        Inline("api", testing::SelfSignedFor({"api.example.com"}), {"api.example.com"});
    *certificates_.Add() =
        Inline("wild", testing::SelfSignedFor({"*.example.com"}), {"*.example.com", "Other.Test"});
    *certificates_.Add() =
        Inline("deep", testing::SelfSignedFor({"*.b.example.com"}), {"*.b.example.com"});
    v1::Certificate fallback =
        Inline("fallback", testing::SelfSignedFor({"fallback.test"}), {"fallback.test"});
    fallback.set_default_certificate(true);
    *certificates_.Add() = fallback;
    auto set = CertificateSet::Build(certificates_);
    ASSERT_TRUE(set.ok()) << set.status();
    set_ = *set;
  }

  // The certificate a client asking for `server_name` gets, checked on both sides: the
  // server's choice and the leaf the client received.
  std::string Served(const std::string& server_name) {
    HandshakeResult result = Handshake(set_->NewSsl(), {.server_name = server_name});
    EXPECT_TRUE(result.ok) << result.client_error << " / " << result.server_error;
    if (!result.ok) return "<failed>";
    const ServedCertificate* chosen = CertificateSet::Chosen(result.server.get());
    if (chosen == nullptr) return "<none>";
    EXPECT_EQ(X509_cmp(chosen->leaf.get(), result.peer_certificate.get()), 0)
        << "the client got another certificate than the server chose";
    return chosen->name;
  }

  google::protobuf::RepeatedPtrField<v1::Certificate> certificates_;
  std::shared_ptr<const CertificateSet> set_;
};

TEST_F(CertificateSetTest, SniPicksTheExactDomainFirst) {
  EXPECT_EQ(Served("api.example.com"), "api");
  EXPECT_EQ(Served("API.Example.COM"), "api");
  EXPECT_EQ(Served("other.test"), "wild");
}

TEST_F(CertificateSetTest, SniPicksTheLongestWildcard) {
  EXPECT_EQ(Served("www.example.com"), "wild");
  EXPECT_EQ(Served("x.y.example.com"), "wild");
  EXPECT_EQ(Served("a.b.example.com"), "deep");
  EXPECT_EQ(Served("c.a.b.example.com"), "deep");
}

TEST_F(CertificateSetTest, UnknownOrAbsentSniGetsTheDefault) {
  EXPECT_EQ(Served("unknown.org"), "fallback");
  EXPECT_EQ(Served("example.com"), "fallback");  // a wildcard needs a label before it
  EXPECT_EQ(Served(""), "fallback");             // no SNI at all
  EXPECT_EQ(set_->default_certificate()->name, "fallback");
}

TEST_F(CertificateSetTest, WithoutAMarkedDefaultTheFirstIsTheDefault) {
  certificates_.Mutable(3)->set_default_certificate(false);
  auto set = CertificateSet::Build(certificates_);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ((*set)->default_certificate()->name, "api");
  EXPECT_EQ((*set)->Find("nobody.org")->name, "api");
}

TEST_F(CertificateSetTest, AlpnPrefersH2) {
  HandshakeResult both = Handshake(set_->NewSsl(), {.alpn = {"http/1.1", "h2"}});
  ASSERT_TRUE(both.ok) << both.server_error;
  EXPECT_EQ(both.alpn, "h2");
  HandshakeResult http11 = Handshake(set_->NewSsl(), {.alpn = {"http/1.1"}});
  ASSERT_TRUE(http11.ok) << http11.server_error;
  EXPECT_EQ(http11.alpn, "http/1.1");
}

TEST_F(CertificateSetTest, NoCommonAlpnProceedsWithoutAlpn) {
  HandshakeResult none = Handshake(set_->NewSsl(), {});
  ASSERT_TRUE(none.ok) << none.server_error;
  EXPECT_EQ(none.alpn, "");
  HandshakeResult other = Handshake(set_->NewSsl(), {.alpn = {"spdy/3", "h3"}});
  ASSERT_TRUE(other.ok) << other.server_error;
  EXPECT_EQ(other.alpn, "");
}

TEST_F(CertificateSetTest, Tls12And13OnlyTls11IsRefused) {
  HandshakeResult modern = Handshake(set_->NewSsl(), {});
  ASSERT_TRUE(modern.ok) << modern.server_error;
  EXPECT_EQ(modern.version, TLS1_3_VERSION);
  HandshakeResult tls12 = Handshake(set_->NewSsl(), {.max_version = TLS1_2_VERSION});
  ASSERT_TRUE(tls12.ok) << tls12.server_error;
  EXPECT_EQ(tls12.version, TLS1_2_VERSION);
  HandshakeResult old =
      Handshake(set_->NewSsl(), {.min_version = TLS1_1_VERSION, .max_version = TLS1_1_VERSION});
  EXPECT_FALSE(old.ok);
  // Refused by the server, not given up by the client before sending anything.
  EXPECT_THAT(old.server_error, HasSubstr("unsupported protocol"));
}

TEST_F(CertificateSetTest, CoversFollowsTheVirtualHostRules) {
  const ServedCertificate& api = *set_->certificates()[0];
  const ServedCertificate& wild = *set_->certificates()[1];
  EXPECT_TRUE(api.Covers("API.example.com"));
  EXPECT_TRUE(api.Covers("api.example.com."));
  EXPECT_FALSE(api.Covers("www.example.com"));
  EXPECT_TRUE(wild.Covers("a.example.com"));
  EXPECT_TRUE(wild.Covers("a.b.example.com"));
  EXPECT_FALSE(wild.Covers("example.com"));
  EXPECT_FALSE(wild.Covers(".example.com"));
  EXPECT_TRUE(wild.Covers("OTHER.test"));

  EXPECT_TRUE(set_->AnyCovers("x.b.example.com"));
  EXPECT_TRUE(set_->AnyCovers("fallback.test"));
  EXPECT_FALSE(set_->AnyCovers("example.com"));
  EXPECT_FALSE(set_->AnyCovers("unknown.org"));
}

TEST_F(CertificateSetTest, AStarDomainCoversEverything) {
  google::protobuf::RepeatedPtrField<v1::Certificate> certificates;
  *certificates.Add() = Inline("exact", testing::SelfSignedFor({"a.test"}), {"a.test"});
  *certificates.Add() = Inline("any", testing::SelfSignedFor({"any"}), {"*"});
  auto set = CertificateSet::Build(certificates);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE((*set)->AnyCovers("whatever.org"));
  EXPECT_EQ((*set)->Find("whatever.org")->name, "any");
  EXPECT_EQ((*set)->Find("a.test")->name, "exact");
  EXPECT_TRUE((*set)->certificates()[1]->Covers("x"));
}

TEST_F(CertificateSetTest, AnSslKeepsItsSetAlive) {
  SSL* ssl = set_->NewSsl();
  ASSERT_NE(ssl, nullptr);
  std::weak_ptr<const CertificateSet> weak = set_;
  set_.reset();
  EXPECT_FALSE(weak.expired());
  HandshakeResult result = Handshake(ssl, {.server_name = "api.example.com"});
  ASSERT_TRUE(result.ok) << result.server_error;
  EXPECT_EQ(CertificateSet::Chosen(result.server.get())->name, "api");
  result.server.reset();
  EXPECT_TRUE(weak.expired());
}

TEST(CertificateSetBuildTest, EmptySetMakesNoSsl) {
  auto set = CertificateSet::Build({});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE((*set)->empty());
  EXPECT_EQ((*set)->NewSsl(), nullptr);
  EXPECT_EQ((*set)->default_certificate(), nullptr);
}

TEST(CertificateSetBuildTest, LoadsFilesAndAChain) {
  const std::string dir = testing::MakeTempDir();
  const TestCertificate ca = testing::CertificateAuthority();
  const TestCertificate leaf = testing::IssueCertificate({.dns_names = {"files.test"}}, ca);
  ASSERT_TRUE(testing::WriteFile(dir + "/cert.pem", leaf.chain_pem).ok());
  ASSERT_TRUE(testing::WriteFile(dir + "/key.pem", leaf.key_pem).ok());
  google::protobuf::RepeatedPtrField<v1::Certificate> certificates;
  v1::Certificate* c = certificates.Add();
  c->set_name("files");
  c->add_domains("files.test");
  c->set_cert_file(dir + "/cert.pem");
  c->set_key_file(dir + "/key.pem");
  auto set = CertificateSet::Build(certificates);
  ASSERT_TRUE(set.ok()) << set.status();
  HandshakeResult result = Handshake((*set)->NewSsl(), {.server_name = "files.test"});
  ASSERT_TRUE(result.ok) << result.server_error;
  EXPECT_EQ(CertificateSet::Chosen(result.server.get())->name, "files");
  STACK_OF(X509)* chain = nullptr;
  ASSERT_EQ(SSL_get0_chain_certs(result.server.get(), &chain), 1);
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(sk_X509_num(chain), 1);  // the CA after the leaf
}

TEST(CertificateSetBuildTest, AnUnreadableFileNamesTheField) {
  google::protobuf::RepeatedPtrField<v1::Certificate> certificates;
  v1::Certificate* c = certificates.Add();
  c->set_name("api");
  c->add_domains("api.test");
  c->set_cert_file("/nonexistent/cert.pem");
  c->set_key_file("/nonexistent/key.pem");
  auto set = CertificateSet::Build(certificates);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(set.status().message(),
              HasSubstr("certificates[api].cert_file: cannot read /nonexistent/cert.pem"));
}

TEST(CertificateSetBuildTest, AMismatchedFilePairNamesTheFields) {
  const std::string dir = testing::MakeTempDir();
  const TestCertificate one = testing::SelfSignedFor({"a.test"});
  const TestCertificate two = testing::SelfSignedFor({"a.test"});
  ASSERT_TRUE(testing::WriteFile(dir + "/cert.pem", one.cert_pem).ok());
  ASSERT_TRUE(testing::WriteFile(dir + "/key.pem", two.key_pem).ok());
  google::protobuf::RepeatedPtrField<v1::Certificate> certificates;
  v1::Certificate* c = certificates.Add();
  c->set_name("api");
  c->add_domains("a.test");
  c->set_cert_file(dir + "/cert.pem");
  c->set_key_file(dir + "/key.pem");
  auto set = CertificateSet::Build(certificates);
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.status().message(),
              HasSubstr("certificates[api].key_file: does not match the certificate's public key "
                        "(cert_file " +
                        dir + "/cert.pem)"));
}

// OCSP stapling: a CA-issued leaf in files, with a response for it beside them.
class OcspStapleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = testing::CertificateAuthority();
    leaf_ = testing::IssueCertificate({.dns_names = {"ocsp.test"}}, ca_);
    ASSERT_TRUE(testing::WriteFile(dir_ + "/cert.pem", leaf_.chain_pem).ok());
    ASSERT_TRUE(testing::WriteFile(dir_ + "/key.pem", leaf_.key_pem).ok());
  }
  // The set with `response` as the staple file's contents.
  absl::StatusOr<std::shared_ptr<const CertificateSet>> Build(const std::string& response) {
    EXPECT_TRUE(testing::WriteFile(dir_ + "/ocsp.der", response).ok());
    google::protobuf::RepeatedPtrField<v1::Certificate> certificates;
    v1::Certificate* c = certificates.Add();
    c->set_name("api");
    c->add_domains("ocsp.test");
    c->set_cert_file(dir_ + "/cert.pem");
    c->set_key_file(dir_ + "/key.pem");
    c->set_ocsp_staple_file(dir_ + "/ocsp.der");
    return CertificateSet::Build(certificates);
  }
  std::string RefusalOf(const std::string& response) {
    auto set = Build(response);
    EXPECT_FALSE(set.ok());
    return set.ok() ? "" : std::string(set.status().message());
  }

  const std::string dir_ = testing::MakeTempDir();
  TestCertificate ca_;
  TestCertificate leaf_;
};

TEST_F(OcspStapleTest, AGoodResponseIsStapledToClientsThatAsk) {
  const std::string response = testing::OcspResponse(leaf_, ca_);
  auto set = Build(response);
  ASSERT_TRUE(set.ok()) << set.status();
  HandshakeResult asking =
      Handshake((*set)->NewSsl(), {.server_name = "ocsp.test", .request_ocsp = true});
  ASSERT_TRUE(asking.ok) << asking.server_error;
  EXPECT_EQ(asking.ocsp_response, response);
  HandshakeResult not_asking = Handshake((*set)->NewSsl(), {.server_name = "ocsp.test"});
  ASSERT_TRUE(not_asking.ok);
  EXPECT_EQ(not_asking.ocsp_response, "");
}

TEST_F(OcspStapleTest, AResponseThatGoesStaleIsNoLongerStapled) {
  auto set = Build(testing::OcspResponse(leaf_, ca_, {.next_update = absl::Seconds(2)}));
  ASSERT_TRUE(set.ok()) << set.status();
  absl::SleepFor(absl::Milliseconds(2100));
  HandshakeResult result =
      Handshake((*set)->NewSsl(), {.server_name = "ocsp.test", .request_ocsp = true});
  ASSERT_TRUE(result.ok) << result.server_error;
  EXPECT_EQ(result.ocsp_response, "");
}

TEST_F(OcspStapleTest, AResponseAClientWouldRefuseIsRefusedNamingTheField) {
  const std::string field = "certificates[api].ocsp_staple_file: ";
  EXPECT_THAT(RefusalOf("not DER"), HasSubstr(field + "is not a DER OCSP response"));
  const TestCertificate other = testing::IssueCertificate({.dns_names = {"ocsp.test"}}, ca_);
  EXPECT_THAT(RefusalOf(testing::OcspResponse(other, ca_)),
              HasSubstr(field + "has no status for this certificate"));
  EXPECT_THAT(RefusalOf(testing::OcspResponse(leaf_, ca_,
                                              {.status = testing::OcspOptions::Status::kRevoked})),
              HasSubstr(field + "says the certificate is revoked, not good"));
  EXPECT_THAT(RefusalOf(testing::OcspResponse(
                  leaf_, ca_, {.this_update = absl::Hours(-3), .next_update = absl::Hours(-1)})),
              HasSubstr(field + "is stale (nextUpdate "));
  EXPECT_THAT(RefusalOf(testing::OcspResponse(
                  leaf_, ca_, {.this_update = absl::Hours(1), .next_update = absl::Hours(2)})),
              HasSubstr(field + "is not valid yet"));
}

TEST_F(OcspStapleTest, ALeafWithoutItsIssuerInTheChainCannotBeMatched) {
  ASSERT_TRUE(testing::WriteFile(dir_ + "/cert.pem", leaf_.cert_pem).ok());
  EXPECT_THAT(RefusalOf(testing::OcspResponse(leaf_, ca_)),
              HasSubstr("needs the issuer's certificate after the leaf in the chain"));
}

TEST(CertificateSetBuildTest, AnExpiredCertificateIsRefusedUnlessAlreadyApplied) {
  google::protobuf::RepeatedPtrField<v1::Certificate> certificates;
  *certificates.Add() = Inline("old", testing::Expired({"old.test"}), {"old.test"});
  auto refused = CertificateSet::Build(certificates);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(),
              HasSubstr("certificates[old].cert_pem: the certificate expired at "));

  // Applied while it was valid (an hour ago), then the snapshot changes elsewhere.
  auto applied = CertificateSet::Build(certificates, {.now = absl::Now() - absl::Hours(2)});
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_LT((*applied)->certificates()[0]->not_after, absl::Now());
  *certificates.Add() = Inline("new", testing::SelfSignedFor({"new.test"}), {"new.test"});
  auto next = CertificateSet::Build(certificates, {.previous = applied->get()});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ((*next)->certificates().size(), 2u);

  // The same name with another expired certificate is a change: refused.
  google::protobuf::RepeatedPtrField<v1::Certificate> changed;
  *changed.Add() = Inline("old", testing::Expired({"old.test"}), {"old.test"});
  EXPECT_FALSE(CertificateSet::Build(changed, {.previous = applied->get()}).ok());
}

TEST(CertificateSetBuildTest, ReportsEveryBadCertificate) {
  google::protobuf::RepeatedPtrField<v1::Certificate> certificates;
  v1::Certificate bad = Inline("bad", testing::SelfSignedFor({"a.test"}), {"a.test"});
  bad.set_cert_pem("not pem");
  *certificates.Add() = bad;
  v1::Certificate mismatch = Inline("mismatch", testing::SelfSignedFor({"b.test"}), {"b.test"});
  mismatch.set_key_pem(testing::SelfSignedFor({"b.test"}).key_pem);
  *certificates.Add() = mismatch;
  auto set = CertificateSet::Build(certificates);
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.status().message(), HasSubstr("certificates[bad].cert_pem: holds no PEM"));
  EXPECT_THAT(set.status().message(),
              HasSubstr("certificates[mismatch].key_pem: does not match the certificate's "
                        "public key"));
}

// mTLS towards clients: "public" (the default) asks for nothing, "partners" requires a
// certificate from the partners' CA, "optional" asks for one.
class ClientCertificatesTest : public ::testing::Test {
 protected:
  static const TestCertificate& PartnersCa() {
    static const auto* ca = new TestCertificate(testing::CertificateAuthority("partners CA"));
    return *ca;
  }
  static const TestCertificate& Partner() {
    static const auto* cert =
        new TestCertificate(testing::IssueCertificate({.common_name = "svc-a",
                                                       .dns_names = {"svc-a.partners.test"},
                                                       .uris = {"spiffe://partners.test/svc-a"},
                                                       .client = true},
                                                      PartnersCa()));
    return *cert;
  }
  static const TestCertificate& Stranger() {
    static const auto* cert = new TestCertificate(testing::IssueCertificate(
        {.common_name = "stranger", .client = true}, testing::CertificateAuthority("other CA")));
    return *cert;
  }

  static v1::Certificate WithClients(v1::Certificate certificate,
                                     v1::ClientCertificates::Mode mode) {
    v1::ClientCertificates* client = certificate.mutable_client_certificates();
    client->set_mode(mode);
    client->set_ca_pem(PartnersCa().cert_pem);
    client->set_forward_identity(true);
    return certificate;
  }

  void SetUp() override {
    v1::Certificate open =
        Inline("public", testing::SelfSignedFor({"public.test"}), {"public.test"});
    open.set_default_certificate(true);
    *certificates_.Add() = open;
    *certificates_.Add() = WithClients(
        Inline("partners", testing::SelfSignedFor({"partners.test"}), {"partners.test"}),
        v1::ClientCertificates::REQUIRED);
    *certificates_.Add() = WithClients(
        Inline("optional", testing::SelfSignedFor({"optional.test"}), {"optional.test"}),
        v1::ClientCertificates::OPTIONAL);
    auto set = CertificateSet::Build(certificates_);
    ASSERT_TRUE(set.ok()) << set.status();
    set_ = *set;
  }

  HandshakeResult Connect(const std::string& server_name, const TestCertificate* client,
                          SSL_SESSION* session = nullptr) {
    testing::ClientOptions options{.server_name = server_name, .session = session};
    if (client != nullptr) {
      options.client_cert_pem = client->cert_pem;
      options.client_key_pem = client->key_pem;
    }
    return Handshake(set_->NewSsl(), options);
  }

  google::protobuf::RepeatedPtrField<v1::Certificate> certificates_;
  std::shared_ptr<const CertificateSet> set_;
};

// SNI leads from the default context, which asks for nothing, to one that requires a
// certificate: the connection must take over that context's verify mode.
TEST_F(ClientCertificatesTest, RequiredRefusesAClientWithoutACertificate) {
  const HandshakeResult result = Connect("partners.test", nullptr);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.server_error, HasSubstr("peer did not return a certificate"));
}

TEST_F(ClientCertificatesTest, RequiredAcceptsAVerifiedCertificateAndExposesItsIdentity) {
  HandshakeResult result = Connect("partners.test", &Partner());
  ASSERT_TRUE(result.ok) << result.client_error << " / " << result.server_error;
  EXPECT_EQ(CertificateSet::Chosen(result.server.get())->client_mode,
            v1::ClientCertificates::REQUIRED);
  const ClientIdentity* identity = VerifiedClientIdentity(result.server.get());
  ASSERT_NE(identity, nullptr);
  EXPECT_EQ(identity->subject, "CN=svc-a");
  EXPECT_THAT(identity->dns_names, ::testing::ElementsAre("svc-a.partners.test"));
  EXPECT_THAT(identity->uris, ::testing::ElementsAre("spiffe://partners.test/svc-a"));
  // The fingerprint is of the certificate the client sent.
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(Partner().cert_pem.data(), static_cast<int>(Partner().cert_pem.size())),
      BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> sent(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  unsigned char digest[32];
  unsigned int length = 0;
  ASSERT_EQ(X509_digest(sent.get(), EVP_sha256(), digest, &length), 1);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += absl::StrFormat("%02x", digest[i]);
  EXPECT_EQ(identity->sha256, hex);
  // Computed once per connection.
  EXPECT_EQ(VerifiedClientIdentity(result.server.get()), identity);
}

TEST_F(ClientCertificatesTest, ACertificateFromAnotherCaIsRefusedEvenWhenOptional) {
  for (const std::string name : {"partners.test", "optional.test"}) {
    const HandshakeResult result = Connect(name, &Stranger());
    EXPECT_FALSE(result.ok) << name;
    EXPECT_THAT(result.server_error, HasSubstr("certificate verify failed")) << name;
  }
}

TEST_F(ClientCertificatesTest, AnExpiredClientCertificateIsRefused) {
  const TestCertificate expired = testing::IssueCertificate({.common_name = "late",
                                                             .valid_from = absl::Hours(-48),
                                                             .valid_until = absl::Hours(-24),
                                                             .client = true},
                                                            PartnersCa());
  const HandshakeResult result = Connect("partners.test", &expired);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.server_error, HasSubstr("certificate verify failed"));
}

TEST_F(ClientCertificatesTest, AServerCertificateIsNotAClientCertificate) {
  const TestCertificate server_only =
      testing::IssueCertificate({.common_name = "server only"}, PartnersCa());
  EXPECT_FALSE(Connect("partners.test", &server_only).ok);
}

TEST_F(ClientCertificatesTest, OptionalServesAClientWithoutACertificate) {
  HandshakeResult anonymous = Connect("optional.test", nullptr);
  ASSERT_TRUE(anonymous.ok) << anonymous.server_error;
  EXPECT_EQ(VerifiedClientIdentity(anonymous.server.get()), nullptr);
  HandshakeResult known = Connect("optional.test", &Partner());
  ASSERT_TRUE(known.ok) << known.server_error;
  ASSERT_NE(VerifiedClientIdentity(known.server.get()), nullptr);
  EXPECT_EQ(VerifiedClientIdentity(known.server.get())->subject, "CN=svc-a");
}

TEST_F(ClientCertificatesTest, ACertificateWithoutClientCertificatesAsksForNone) {
  HandshakeResult result = Connect("public.test", &Partner());
  ASSERT_TRUE(result.ok) << result.server_error;
  EXPECT_EQ(VerifiedClientIdentity(result.server.get()), nullptr);
}

// The other direction: a connection made on a default that requires certificates, led by
// SNI to one that does not, must not ask.
TEST(ClientCertificatesDefaultTest, SniAwayFromARequiringDefaultAsksForNothing) {
  google::protobuf::RepeatedPtrField<v1::Certificate> certificates;
  v1::Certificate strict =
      Inline("strict", testing::SelfSignedFor({"strict.test"}), {"strict.test"});
  strict.mutable_client_certificates()->set_mode(v1::ClientCertificates::REQUIRED);
  strict.mutable_client_certificates()->set_ca_pem(testing::CertificateAuthority().cert_pem);
  *certificates.Add() = strict;
  *certificates.Add() = Inline("open", testing::SelfSignedFor({"open.test"}), {"open.test"});
  auto set = CertificateSet::Build(certificates);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(Handshake((*set)->NewSsl(), {.server_name = "open.test"}).ok);
  EXPECT_FALSE(Handshake((*set)->NewSsl(), {.server_name = "strict.test"}).ok);
  EXPECT_FALSE(Handshake((*set)->NewSsl(), {}).ok);  // no SNI: the default
}

// A session from a certificate that asks for nothing must not resume on one that requires
// a client certificate (that would skip the client's authentication); one from the same
// certificate resumes and keeps its identity.
TEST_F(ClientCertificatesTest, SessionsResumeOnlyWhereTheyWereAuthenticated) {
  HandshakeResult open = Connect("public.test", nullptr);
  ASSERT_TRUE(open.ok);
  ASSERT_NE(open.session, nullptr);
  HandshakeResult crossed = Connect("partners.test", &Partner(), open.session.get());
  ASSERT_TRUE(crossed.ok) << crossed.server_error;
  EXPECT_FALSE(crossed.resumed);

  HandshakeResult first = Connect("partners.test", &Partner());
  ASSERT_TRUE(first.ok);
  ASSERT_NE(first.session, nullptr);
  HandshakeResult again = Connect("partners.test", &Partner(), first.session.get());
  ASSERT_TRUE(again.ok) << again.server_error;
  EXPECT_TRUE(again.resumed);
  const ClientIdentity* identity = VerifiedClientIdentity(again.server.get());
  ASSERT_NE(identity, nullptr);
  EXPECT_EQ(identity->subject, "CN=svc-a");
}

TEST_F(ClientCertificatesTest, AnUnreadableCaFileNamesTheField) {
  v1::Certificate certificate =
      WithClients(Inline("files", testing::SelfSignedFor({"f.test"}), {"f.test"}),
                  v1::ClientCertificates::REQUIRED);
  certificate.mutable_client_certificates()->clear_ca_pem();
  certificate.mutable_client_certificates()->set_ca_file("/nonexistent/ca.pem");
  google::protobuf::RepeatedPtrField<v1::Certificate> certificates;
  *certificates.Add() = certificate;
  auto set = CertificateSet::Build(certificates);
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.status().message(),
              HasSubstr("certificates[files].client_certificates.ca_file: cannot read "
                        "/nonexistent/ca.pem"));
}

TEST(ClientCertificateHeadersTest, SpoofedHeadersGoAndTheIdentityIsEncoded) {
  http::HeaderMap headers;
  headers.Add("X-Switchyard-Client-Cert-Subject", "CN=admin");
  headers.Add("x-switchyard-client-cert-anything", "x");
  headers.Add("accept", "*/*");
  SetClientCertificateHeaders(nullptr, headers);
  ASSERT_EQ(headers.size(), 1u);
  EXPECT_TRUE(headers.Has("accept"));

  ClientIdentity identity{.subject = "CN=svc\\2C a,O=Example",
                          .dns_names = {"a.test", "b,c.test"},
                          .uris = {"spiffe://x/%y\r\nInjected: 1"},
                          .sha256 = std::string(64, 'a')};
  headers.Add("x-switchyard-client-cert-sha256", "spoofed");
  SetClientCertificateHeaders(&identity, headers);
  EXPECT_EQ(*headers.Get("x-switchyard-client-cert-subject"), "CN=svc\\2C a,O=Example");
  EXPECT_EQ(*headers.Get("x-switchyard-client-cert-sha256"), std::string(64, 'a'));
  EXPECT_EQ(*headers.Get("x-switchyard-client-cert-dns"), "a.test,b%2Cc.test");
  EXPECT_EQ(*headers.Get("x-switchyard-client-cert-uri"), "spiffe://x/%25y%0D%0AInjected:%201");
  EXPECT_EQ(headers.size(), 5u);  // accept and the four; the spoofed sha256 is gone
}

}  // namespace
}  // namespace switchyard::tls
