// The admin API of a TLS control plane, attacked as a user on the network would: no
// credentials, a viewer's token, a forged author, a revoked token, an empty snapshot over
// raw gRPC; and the audit log of a scripted session.
#include <fstream>
#include <string>
#include <vector>

#include "controlplane/auth/authenticator.h"
#include "controlplane/testing/in_process.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/test_pki.h"

namespace switchyard::controlplane {
namespace {

using ::switchyard::testing::TestPki;
using ::testing::HasSubstr;
using testing::TestControlPlane;
using testing::TlsChannel;

class SecureAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(
        pki_.Make({"--operator", "alice", "--operator", "mallory", "--proxy", "edge-1"}, &error))
        << error;
    ControlPlaneOptions options = testing::TestOptions();
    TlsSettings tls;
    tls.files = {.ca = pki_.Path("ca.pem"),
                 .cert = pki_.Path("control-plane.pem"),
                 .key = pki_.Path("control-plane-key.pem")};
    options.tls = tls;
    options.auth.bootstrap_tokens = {{.sha256_hex = TokenHash(pki_.AdminToken()), .name = "admin"}};
    options.auth.cert_roles = {{"alice", Role::kOperator}};
    audit_path_ = testing::UniqueTempPath("audit.log");
    options.audit_log = audit_path_;
    cp_ = std::make_unique<TestControlPlane>(options, testing::UniqueTempPath("cp.db"),
                                             testing::TestClientAuth{.credentials = nullptr});
    ASSERT_TRUE(cp_->ok()) << cp_->error();
    anonymous_ = v1::AdminService::NewStub(TlsChannel(cp_->target(), pki_.Path("ca.pem")));
  }

  // A call's context carrying `token` (none when empty).
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  grpc::Status Apply(v1::AdminService::Stub& stub, const std::string& token,
                     const v1::Snapshot& snapshot, v1::ApplyResponse* response,
                     const std::string& claimed_author = "") {
    v1::ApplyRequest request;
    *request.mutable_snapshot() = snapshot;
    request.set_author(claimed_author);
    request.set_message("test");
    return stub.Apply(Ctx(token).get(), request, response);
  }

  std::string CreateToken(const std::string& name, const std::string& role) {
    v1::CreateTokenRequest request;
    request.set_name(name);
    request.set_role(role);
    v1::CreateTokenResponse response;
    const grpc::Status status =
        anonymous_->CreateToken(Ctx(pki_.AdminToken()).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.token();
  }

  std::string AuthorOf(uint64_t version) {
    v1::GetRequest request;
    request.set_version(version);
    v1::GetResponse response;
    EXPECT_TRUE(anonymous_->Get(Ctx(pki_.AdminToken()).get(), request, &response).ok());
    return response.info().author();
  }

  std::vector<nlohmann::json> AuditLines() {
    std::ifstream in(audit_path_);
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

  TestPki pki_;
  std::string audit_path_;
  std::unique_ptr<TestControlPlane> cp_;
  std::unique_ptr<v1::AdminService::Stub> anonymous_;
};

TEST_F(SecureAdminTest, UnauthenticatedApplyAndRollbackChangeNothing) {
  v1::ApplyResponse applied;
  grpc::Status status = Apply(*anonymous_, "", testing::MakeSnapshot(1), &applied);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("send a bearer token"));
  v1::RollbackRequest rollback;
  rollback.set_version(1);
  status = anonymous_->Rollback(Ctx("").get(), rollback, &applied);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // A token that looks right but was never issued.
  status = Apply(*anonymous_, NewToken(), testing::MakeSnapshot(1), &applied);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(cp_->cp().hub().CurrentVersion(), 0u);
}

TEST_F(SecureAdminTest, AViewerReadsButCannotApply) {
  const std::string viewer = CreateToken("dashboard", "viewer");
  v1::StatusResponse status_response;
  EXPECT_TRUE(anonymous_->Status(Ctx(viewer).get(), {}, &status_response).ok());
  v1::ApplyResponse applied;
  const grpc::Status status = Apply(*anonymous_, viewer, testing::MakeSnapshot(2), &applied);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "'dashboard' (viewer) may not apply a snapshot: that needs the operator role");
  v1::CreateTokenRequest escalate;
  escalate.set_name("me-too");
  escalate.set_role("admin");
  v1::CreateTokenResponse created;
  EXPECT_EQ(anonymous_->CreateToken(Ctx(viewer).get(), escalate, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SecureAdminTest, TheAuthorIsTheAuthenticatedCallerNeverTheClaim) {
  const std::string ci = CreateToken("ci", "operator");
  v1::ApplyResponse applied;
  ASSERT_TRUE(Apply(*anonymous_, ci, testing::MakeSnapshot(1), &applied, "the-ceo").ok());
  EXPECT_EQ(AuthorOf(applied.version()), "ci");
  // By certificate: alice has the operator role; mallory has a valid certificate but none.
  auto alice = v1::AdminService::NewStub(TlsChannel(cp_->target(), pki_.Path("ca.pem"),
                                                    pki_.Path("operator-alice.pem"),
                                                    pki_.Path("operator-alice-key.pem")));
  ASSERT_TRUE(Apply(*alice, "", testing::MakeSnapshot(2), &applied, "someone-else").ok());
  EXPECT_EQ(AuthorOf(applied.version()), "alice");
  auto mallory = v1::AdminService::NewStub(TlsChannel(cp_->target(), pki_.Path("ca.pem"),
                                                      pki_.Path("operator-mallory.pem"),
                                                      pki_.Path("operator-mallory-key.pem")));
  EXPECT_EQ(Apply(*mallory, "", testing::MakeSnapshot(3), &applied).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A proxy's certificate is no operator's.
  auto proxy = v1::AdminService::NewStub(TlsChannel(cp_->target(), pki_.Path("ca.pem"),
                                                    pki_.Path("proxy-edge-1.pem"),
                                                    pki_.Path("proxy-edge-1-key.pem")));
  EXPECT_EQ(Apply(*proxy, "", testing::MakeSnapshot(3), &applied).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SecureAdminTest, AnEmptyApplyOverRawGrpcIsRefused) {
  const std::string ci = CreateToken("ci", "operator");
  v1::ApplyResponse applied;
  ASSERT_TRUE(Apply(*anonymous_, ci, testing::MakeSnapshot(1), &applied).ok());
  v1::ApplyRequest empty;  // no snapshot at all
  const grpc::Status status = anonymous_->Apply(Ctx(ci).get(), empty, &applied);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(cp_->cp().hub().CurrentVersion(), 1u);
}

TEST_F(SecureAdminTest, RevokedTokensStopWorkingAndTokensAreListedWithoutSecrets) {
  const std::string ci = CreateToken("ci", "operator");
  v1::ListTokensResponse listed;
  ASSERT_TRUE(anonymous_->ListTokens(Ctx(pki_.AdminToken()).get(), {}, &listed).ok());
  ASSERT_EQ(listed.tokens_size(), 1);
  EXPECT_EQ(listed.tokens(0).name(), "ci");
  EXPECT_EQ(listed.tokens(0).created_by(), "admin");
  EXPECT_EQ(listed.DebugString().find(ci.substr(4)), std::string::npos);

  v1::RevokeTokenRequest revoke;
  revoke.set_name("ci");
  v1::RevokeTokenResponse revoked;
  ASSERT_TRUE(anonymous_->RevokeToken(Ctx(pki_.AdminToken()).get(), revoke, &revoked).ok());
  v1::ApplyResponse applied;
  EXPECT_EQ(Apply(*anonymous_, ci, testing::MakeSnapshot(1), &applied).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(anonymous_->RevokeToken(Ctx(pki_.AdminToken()).get(), revoke, &revoked).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(SecureAdminTest, TheAuditLogRecordsEveryCallOfAScriptedSession) {
  v1::ApplyResponse applied;
  Apply(*anonymous_, "", testing::MakeSnapshot(1), &applied);  // refused
  const std::string ci = CreateToken("ci", "operator");
  ASSERT_TRUE(Apply(*anonymous_, ci, testing::MakeSnapshot(1), &applied).ok());
  v1::RollbackRequest rollback;
  rollback.set_version(1);
  anonymous_->Rollback(Ctx(ci).get(), rollback, &applied);  // no change: same content

  std::vector<nlohmann::json> lines = AuditLines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["method"], "Apply");
  EXPECT_EQ(lines[0]["code"], "UNAUTHENTICATED");
  EXPECT_EQ(lines[0]["caller"], "");
  EXPECT_EQ(lines[1]["method"], "CreateToken");
  EXPECT_EQ(lines[1]["caller"], "admin");
  EXPECT_EQ(lines[1]["detail"], "token ci role operator");
  EXPECT_EQ(lines[2]["method"], "Apply");
  EXPECT_EQ(lines[2]["caller"], "ci");
  EXPECT_EQ(lines[2]["role"], "operator");
  EXPECT_EQ(lines[2]["code"], "OK");
  EXPECT_EQ(lines[2]["version"], 1);
  EXPECT_THAT(lines[2]["peer"].get<std::string>(), HasSubstr("127.0.0.1"));
  EXPECT_EQ(lines[3]["method"], "Rollback");
  EXPECT_EQ(lines[3]["detail"], "to version 1; message: ");
  for (const nlohmann::json& line : lines) {
    EXPECT_EQ(line.dump().find(ci.substr(4)), std::string::npos) << "a token in the audit log";
  }
}

}  // namespace
}  // namespace switchyard::controlplane
