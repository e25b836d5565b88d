#include "controlplane/admin/admin_service.h"

#include <string>
#include <utility>

namespace switchyard::controlplane {
namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

}  // namespace

template <typename Response, typename Work>
grpc::ServerUnaryReactor* AdminService::Run(grpc::CallbackServerContext* ctx, Response* response,
                                            Work work) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  // The request and response stay valid until Finish, which the task calls.
  const bool queued = queue_.TryPost([reactor, response, work = std::move(work)]() mutable {
    absl::StatusOr<Response> result = work();
    if (result.ok()) *response = std::move(*result);
    reactor->Finish(ToGrpc(result.status()));
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "the control plane is busy with other admin requests; retry "
                                 "in a moment"));
  }
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::Apply(grpc::CallbackServerContext* ctx,
                                              const switchyard::v1::ApplyRequest* request,
                                              switchyard::v1::ApplyResponse* response) {
  return Run(ctx, response,
             [this, request, peer = ctx->peer()] { return manager_.Apply(*request, peer); });
}

grpc::ServerUnaryReactor* AdminService::Get(grpc::CallbackServerContext* ctx,
                                            const switchyard::v1::GetRequest* request,
                                            switchyard::v1::GetResponse* response) {
  return Run(ctx, response, [this, request] { return manager_.Get(*request); });
}

grpc::ServerUnaryReactor* AdminService::Validate(grpc::CallbackServerContext* ctx,
                                                 const switchyard::v1::ValidateRequest* request,
                                                 switchyard::v1::ValidateResponse* response) {
  return Run(ctx, response, [this, request] {
    return absl::StatusOr<switchyard::v1::ValidateResponse>(manager_.Validate(*request));
  });
}

grpc::ServerUnaryReactor* AdminService::Diff(grpc::CallbackServerContext* ctx,
                                             const switchyard::v1::DiffRequest* request,
                                             switchyard::v1::DiffResponse* response) {
  return Run(ctx, response, [this, request] { return manager_.Diff(*request); });
}

grpc::ServerUnaryReactor* AdminService::History(grpc::CallbackServerContext* ctx,
                                                const switchyard::v1::HistoryRequest* request,
                                                switchyard::v1::HistoryResponse* response) {
  return Run(ctx, response, [this, request] { return manager_.History(*request); });
}

grpc::ServerUnaryReactor* AdminService::Rollback(grpc::CallbackServerContext* ctx,
                                                 const switchyard::v1::RollbackRequest* request,
                                                 switchyard::v1::ApplyResponse* response) {
  return Run(ctx, response,
             [this, request, peer = ctx->peer()] { return manager_.Rollback(*request, peer); });
}

grpc::ServerUnaryReactor* AdminService::Status(grpc::CallbackServerContext* ctx,
                                               const switchyard::v1::StatusRequest* /*request*/,
                                               switchyard::v1::StatusResponse* response) {
  return Run(ctx, response,
             [this] { return absl::StatusOr<switchyard::v1::StatusResponse>(manager_.Status()); });
}

}  // namespace switchyard::controlplane
