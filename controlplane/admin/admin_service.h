// AdminService (admin.proto) on gRPC's callback API. Each call is handed to a WorkQueue,
// because ConfigManager blocks on store I/O and may validate or encode a large snapshot;
// gRPC's callback threads also serve the discovery streams and must not wait on that.
// When the queue is full a call fails at once with RESOURCE_EXHAUSTED.
#ifndef SWITCHYARD_CONTROLPLANE_ADMIN_ADMIN_SERVICE_H_
#define SWITCHYARD_CONTROLPLANE_ADMIN_ADMIN_SERVICE_H_

#include "controlplane/admin/config_manager.h"
#include "controlplane/util/work_queue.h"
#include "switchyard/v1/admin.grpc.pb.h"

namespace switchyard::controlplane {

// `manager` and `queue` must outlive the server this service is registered with.
class AdminService final : public switchyard::v1::AdminService::CallbackService {
 public:
  AdminService(ConfigManager& manager, WorkQueue& queue) : manager_(manager), queue_(queue) {}

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

 private:
  // Runs `work` (returning absl::StatusOr<Response>) on the queue and finishes the call
  // with its result.
  template <typename Response, typename Work>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, Response* response, Work work);

  ConfigManager& manager_;
  WorkQueue& queue_;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_ADMIN_ADMIN_SERVICE_H_
