// AdminService (admin.proto) on gRPC's callback API. Each call is handed to a WorkQueue,
// because ConfigManager blocks on store I/O and may validate or encode a large snapshot;
// gRPC's callback threads also serve the discovery streams and must not wait on that.
// When the queue is full a call fails at once with RESOURCE_EXHAUSTED.
//
// Every call is authenticated (Authenticator) and authorized by the role its method needs
// (viewer: Get, Validate, Diff, History, Status; operator: Apply, Rollback; admin: the
// token methods), and written to the audit log, refusals included. The author of a stored
// version is the authenticated caller; a request's `author` is kept only on an insecure
// control plane, marked as an unverified claim.
#ifndef SWITCHYARD_CONTROLPLANE_ADMIN_ADMIN_SERVICE_H_
#define SWITCHYARD_CONTROLPLANE_ADMIN_ADMIN_SERVICE_H_

#include <string>

#include "controlplane/admin/audit_log.h"
#include "controlplane/admin/config_manager.h"
#include "controlplane/admin/token_admin.h"
#include "controlplane/auth/authenticator.h"
#include "controlplane/util/work_queue.h"
#include "switchyard/v1/admin.grpc.pb.h"

namespace switchyard::controlplane {

// The arguments must outlive the server this service is registered with; `audit` may be
// null (no audit log).
class AdminService final : public switchyard::v1::AdminService::CallbackService {
 public:
  AdminService(ConfigManager& manager, WorkQueue& queue, const Authenticator& auth,
               TokenAdmin& tokens, AuditLog* audit)
      : manager_(manager), queue_(queue), auth_(auth), tokens_(tokens), audit_(audit) {}

  grpc::ServerUnaryReactor* Apply(grpc::CallbackServerContext* ctx,
                                  const switchyard::v1::ApplyRequest* request,
                                  switchyard::v1::ApplyResponse* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx,
                                const switchyard::v1::GetRequest* request,
                                switchyard::v1::GetResponse* response) override;
  grpc::ServerUnaryReactor* Validate(grpc::CallbackServerContext* ctx,
                                     const switchyard::v1::ValidateRequest* request,
                                     switchyard::v1::ValidateResponse* response) override;
  grpc::ServerUnaryReactor* Diff(grpc::CallbackServerContext* ctx,
                                 const switchyard::v1::DiffRequest* request,
                                 switchyard::v1::DiffResponse* response) override;
  grpc::ServerUnaryReactor* History(grpc::CallbackServerContext* ctx,
                                    const switchyard::v1::HistoryRequest* request,
                                    switchyard::v1::HistoryResponse* response) override;
  grpc::ServerUnaryReactor* Rollback(grpc::CallbackServerContext* ctx,
                                     const switchyard::v1::RollbackRequest* request,
                                     switchyard::v1::ApplyResponse* response) override;
  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx,
                                   const switchyard::v1::StatusRequest* request,
                                   switchyard::v1::StatusResponse* response) override;
  grpc::ServerUnaryReactor* CreateToken(grpc::CallbackServerContext* ctx,
                                        const switchyard::v1::CreateTokenRequest* request,
                                        switchyard::v1::CreateTokenResponse* response) override;
  grpc::ServerUnaryReactor* ListTokens(grpc::CallbackServerContext* ctx,
                                       const switchyard::v1::ListTokensRequest* request,
                                       switchyard::v1::ListTokensResponse* response) override;
  grpc::ServerUnaryReactor* RevokeToken(grpc::CallbackServerContext* ctx,
                                        const switchyard::v1::RevokeTokenRequest* request,
                                        switchyard::v1::RevokeTokenResponse* response) override;

 private:
  // What a call is, for authorization and the audit log.
  struct CallInfo {
    const char* method;  // "Apply"
    Role needed;
    const char* action;  // "apply a snapshot", for PERMISSION_DENIED
    std::string detail;  // AuditRecord::detail
  };

  // Authenticates and authorizes the caller, then runs `work(caller)` (returning
  // absl::StatusOr<Response>) on the queue, audits, and finishes the call.
  template <typename Response, typename Work>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, CallInfo call, Response* response,
                                Work work);

  ConfigManager& manager_;
  WorkQueue& queue_;
  const Authenticator& auth_;
  TokenAdmin& tokens_;
  AuditLog* const audit_;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_ADMIN_ADMIN_SERVICE_H_
