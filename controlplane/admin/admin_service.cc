#include "controlplane/admin/admin_service.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace switchyard::controlplane {
namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

std::optional<std::string> AuthorizationHeader(const grpc::CallbackServerContext& ctx) {
  const auto& metadata = ctx.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

// The version an Apply or Rollback stored, for the audit log.
uint64_t AuditedVersion(const switchyard::v1::ApplyResponse& r) {
  return r.changed() ? r.version() : 0;
}
template <typename Response>
uint64_t AuditedVersion(const Response& /*response*/) {
  return 0;
}

// Who a version is recorded as made by: the authenticated caller, or on an insecure
// control plane the client's claim, marked as such.
std::string AuthorOf(const Caller& caller, const std::string& claimed, const std::string& peer) {
  if (caller.via != "insecure") return caller.name;
  return claimed.empty() ? absl::StrCat("unauthenticated (", peer, ")")
                         : absl::StrCat(claimed, " (unverified, ", peer, ")");
}

}  // namespace

template <typename Response, typename Work>
grpc::ServerUnaryReactor* AdminService::Run(grpc::CallbackServerContext* ctx, CallInfo call,
                                            Response* response, Work work) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  // Read here: the context's metadata and auth context are the gRPC thread's business.
  std::optional<std::string> authorization = AuthorizationHeader(*ctx);
  std::optional<PeerCertificate> cert = VerifiedPeerCertificate(ctx->auth_context().get());
  const AuditRecord started{.peer = ctx->peer(), .method = call.method, .detail = call.detail};
  // The request and response stay valid until Finish, which the task calls.
  const bool queued = queue_.TryPost([this, reactor, response, call, started,
                                      authorization = std::move(authorization),
                                      cert = std::move(cert), work = std::move(work)]() mutable {
    AuditRecord audit = started;
    audit.time = absl::Now();
    const std::string& peer = audit.peer;
    absl::StatusOr<Caller> caller = auth_.Authenticate(authorization, cert, audit.time);
    absl::Status status = caller.status();
    if (caller.ok()) {
      audit.caller = caller->name;
      audit.via = caller->via;
      audit.role = std::string(RoleName(caller->role));
      status = Authorize(*caller, call.needed, call.action);
    }
    if (status.ok()) {
      absl::StatusOr<Response> result = work(*caller, peer);
      status = result.status();
      if (result.ok()) {
        *response = std::move(*result);
        audit.version = AuditedVersion(*response);
      }
    } else {
      LogWarning("refused %s from %s (%s): %s", call.method, peer.c_str(),
                 audit.caller.empty() ? "no identity" : audit.caller.c_str(),
                 std::string(status.message()).c_str());
    }
    audit.result = status;
    if (audit_ != nullptr) audit_->Write(audit);
    reactor->Finish(ToGrpc(status));
  });
  if (!queued) {
    const absl::Status busy = absl::ResourceExhaustedError(
        "the control plane is busy with other admin requests; retry in a moment");
    // Not authenticated (that would need the queue): the record names no caller.
    if (audit_ != nullptr) {
      AuditRecord audit = started;
      audit.time = absl::Now();
      audit.result = busy;
      audit_->Write(audit);
    }
    reactor->Finish(ToGrpc(busy));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::Apply(grpc::CallbackServerContext* ctx,
                                              const switchyard::v1::ApplyRequest* request,
                                              switchyard::v1::ApplyResponse* response) {
  std::string detail =
      absl::StrCat(request->dry_run() ? "dry run; " : "", "message: ", request->message());
  return Run(ctx, {"Apply", Role::kOperator, "apply a snapshot", std::move(detail)}, response,
             [this, request](const Caller& caller, const std::string& peer) {
               return manager_.Apply(*request, AuthorOf(caller, request->author(), peer));
             });
}

grpc::ServerUnaryReactor* AdminService::Get(grpc::CallbackServerContext* ctx,
                                            const switchyard::v1::GetRequest* request,
                                            switchyard::v1::GetResponse* response) {
  return Run(ctx,
             {"Get", Role::kViewer, "read versions", absl::StrCat("version ", request->version())},
             response,
             [this, request](const Caller&, const std::string&) { return manager_.Get(*request); });
}

grpc::ServerUnaryReactor* AdminService::Validate(grpc::CallbackServerContext* ctx,
                                                 const switchyard::v1::ValidateRequest* request,
                                                 switchyard::v1::ValidateResponse* response) {
  return Run(ctx, {"Validate", Role::kViewer, "validate snapshots", ""}, response,
             [this, request](const Caller&, const std::string&) {
               return absl::StatusOr<switchyard::v1::ValidateResponse>(manager_.Validate(*request));
             });
}

grpc::ServerUnaryReactor* AdminService::Diff(grpc::CallbackServerContext* ctx,
                                             const switchyard::v1::DiffRequest* request,
                                             switchyard::v1::DiffResponse* response) {
  return Run(
      ctx, {"Diff", Role::kViewer, "diff snapshots", ""}, response,
      [this, request](const Caller&, const std::string&) { return manager_.Diff(*request); });
}

grpc::ServerUnaryReactor* AdminService::History(grpc::CallbackServerContext* ctx,
                                                const switchyard::v1::HistoryRequest* request,
                                                switchyard::v1::HistoryResponse* response) {
  return Run(
      ctx, {"History", Role::kViewer, "read the history", ""}, response,
      [this, request](const Caller&, const std::string&) { return manager_.History(*request); });
}

grpc::ServerUnaryReactor* AdminService::Rollback(grpc::CallbackServerContext* ctx,
                                                 const switchyard::v1::RollbackRequest* request,
                                                 switchyard::v1::ApplyResponse* response) {
  std::string detail =
      absl::StrCat("to version ", request->version(), "; message: ", request->message());
  return Run(ctx, {"Rollback", Role::kOperator, "roll back", std::move(detail)}, response,
             [this, request](const Caller& caller, const std::string& peer) {
               return manager_.Rollback(*request, AuthorOf(caller, request->author(), peer));
             });
}

grpc::ServerUnaryReactor* AdminService::Status(grpc::CallbackServerContext* ctx,
                                               const switchyard::v1::StatusRequest* /*request*/,
                                               switchyard::v1::StatusResponse* response) {
  return Run(ctx, {"Status", Role::kViewer, "read proxy status", ""}, response,
             [this](const Caller&, const std::string&) {
               return absl::StatusOr<switchyard::v1::StatusResponse>(manager_.Status());
             });
}

grpc::ServerUnaryReactor* AdminService::CreateToken(
    grpc::CallbackServerContext* ctx, const switchyard::v1::CreateTokenRequest* request,
    switchyard::v1::CreateTokenResponse* response) {
  std::string detail = absl::StrCat("token ", request->name(), " role ", request->role());
  return Run(ctx, {"CreateToken", Role::kAdmin, "manage tokens", std::move(detail)}, response,
             [this, request](const Caller& caller, const std::string&) {
               return tokens_.Create(*request, caller.name, absl::Now());
             });
}

grpc::ServerUnaryReactor* AdminService::ListTokens(
    grpc::CallbackServerContext* ctx, const switchyard::v1::ListTokensRequest* /*request*/,
    switchyard::v1::ListTokensResponse* response) {
  return Run(ctx, {"ListTokens", Role::kAdmin, "manage tokens", ""}, response,
             [this](const Caller&, const std::string&) { return tokens_.List(); });
}

grpc::ServerUnaryReactor* AdminService::RevokeToken(
    grpc::CallbackServerContext* ctx, const switchyard::v1::RevokeTokenRequest* request,
    switchyard::v1::RevokeTokenResponse* response) {
  return Run(
      ctx, {"RevokeToken", Role::kAdmin, "manage tokens", absl::StrCat("token ", request->name())},
      response,
      [this, request](const Caller&, const std::string&) { return tokens_.Revoke(*request); });
}

}  // namespace switchyard::controlplane
