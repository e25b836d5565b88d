// The control plane's admin API as yardctl uses it (proto/switchyard/v1/admin.proto).
//
// An interface so that commands do not care how the call is made; the real one is
// grpc_admin_client.h. Every method returns the server's answer, or its status with the
// gRPC code kept as the same absl code (the numeric values agree) and the server's
// message unchanged, so ExitCodeForStatus sees what the server said.
//
// One exception: a call that never reached a server (refused, unresolvable, no connection
// within the deadline) is UNAVAILABLE marked by ConnectionFailure(), so that it can be told
// apart from an UNAVAILABLE the server itself sent (its store is down, say).
//
// Not thread-safe: one command uses one client from one thread.
#ifndef SWITCHYARD_TOOLS_YARDCTL_ADMIN_CLIENT_H_
#define SWITCHYARD_TOOLS_YARDCTL_ADMIN_CLIENT_H_

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "switchyard/v1/admin.pb.h"

namespace switchyard::yardctl {

// UNAVAILABLE with `message`, marked as a failure to reach any server.
absl::Status ConnectionFailure(std::string_view message);
// True for statuses made by ConnectionFailure().
bool IsConnectionFailure(const absl::Status& status);

class AdminClient {
 public:
  virtual ~AdminClient() = default;

  virtual absl::StatusOr<switchyard::v1::ApplyResponse> Apply(
      const switchyard::v1::ApplyRequest& request) = 0;
  virtual absl::StatusOr<switchyard::v1::GetResponse> Get(
      const switchyard::v1::GetRequest& request) = 0;
  virtual absl::StatusOr<switchyard::v1::DiffResponse> Diff(
      const switchyard::v1::DiffRequest& request) = 0;
  virtual absl::StatusOr<switchyard::v1::HistoryResponse> History(
      const switchyard::v1::HistoryRequest& request) = 0;
  virtual absl::StatusOr<switchyard::v1::ApplyResponse> Rollback(
      const switchyard::v1::RollbackRequest& request) = 0;
  virtual absl::StatusOr<switchyard::v1::StatusResponse> Status(
      const switchyard::v1::StatusRequest& request) = 0;
  virtual absl::StatusOr<switchyard::v1::CreateTokenResponse> CreateToken(
      const switchyard::v1::CreateTokenRequest& request) = 0;
  virtual absl::StatusOr<switchyard::v1::ListTokensResponse> ListTokens(
      const switchyard::v1::ListTokensRequest& request) = 0;
  virtual absl::StatusOr<switchyard::v1::RevokeTokenResponse> RevokeToken(
      const switchyard::v1::RevokeTokenRequest& request) = 0;
};

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_ADMIN_CLIENT_H_
