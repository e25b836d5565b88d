#include "common/grpc_tls/tls_files.h"

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_pki.h"

namespace switchyard {
namespace {

using ::switchyard::testing::TestPki;
using ::testing::HasSubstr;

class TlsFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(pki_.Make({"--proxy", "edge-1"}, &error)) << error;
  }

  TlsFiles Files() const {
    TlsFiles files;
    files.ca = pki_.Path("ca.pem");
    files.cert = pki_.Path("control-plane.pem");
    files.key = pki_.Path("control-plane-key.pem");
    files.ca_flag = "tls_ca";
    files.cert_flag = "tls_cert";
    files.key_flag = "tls_key";
    return files;
  }

  TestPki pki_;
};

TEST_F(TlsFilesTest, FilesFromTheScriptPass) {
  EXPECT_TRUE(CheckTlsFiles(Files(), /*require_identity=*/true, absl::Now()).ok());
  TlsFiles ca_only = Files();
  ca_only.cert.clear();
  ca_only.key.clear();
  EXPECT_TRUE(CheckTlsFiles(ca_only, /*require_identity=*/false, absl::Now()).ok());
}

TEST_F(TlsFilesTest, MissingPiecesNameTheFlag) {
  TlsFiles files = Files();
  files.ca.clear();
  EXPECT_THAT(CheckTlsFiles(files, true, absl::Now()).message(), HasSubstr("--tls_ca is required"));
  files = Files();
  files.key.clear();
  EXPECT_THAT(CheckTlsFiles(files, false, absl::Now()).message(),
              HasSubstr("--tls_cert and --tls_key go together"));
  files.cert.clear();
  EXPECT_THAT(CheckTlsFiles(files, true, absl::Now()).message(), HasSubstr("are required"));
  files = Files();
  files.ca = pki_.Path("no-such.pem");
  EXPECT_THAT(CheckTlsFiles(files, true, absl::Now()).message(),
              HasSubstr("--tls_ca=" + files.ca + ": cannot be read"));
}

TEST_F(TlsFilesTest, AKeyOfAnotherCertificateIsRefused) {
  TlsFiles files = Files();
  files.key = pki_.Path("proxy-edge-1-key.pem");
  EXPECT_THAT(CheckTlsFiles(files, true, absl::Now()).message(),
              HasSubstr("is not the private key of --tls_cert="));
}

TEST_F(TlsFilesTest, FilesThatAreNotPemAreRefused) {
  TlsFiles files = Files();
  files.ca = files.key;  // a key, not a certificate
  EXPECT_THAT(CheckTlsFiles(files, true, absl::Now()).message(),
              HasSubstr("holds no PEM certificate"));
  files = Files();
  files.key = files.cert;
  EXPECT_THAT(CheckTlsFiles(files, true, absl::Now()).message(),
              HasSubstr("holds no unencrypted PEM private key"));
}

TEST_F(TlsFilesTest, ACertificateOutsideItsValidityIsRefused) {
  EXPECT_THAT(CheckTlsFiles(Files(), true, absl::Now() + absl::Hours(24 * 400)).message(),
              HasSubstr("the certificate has expired"));
  EXPECT_THAT(CheckTlsFiles(Files(), true, absl::Now() - absl::Hours(24)).message(),
              HasSubstr("the certificate is not valid yet"));
}

}  // namespace
}  // namespace switchyard
