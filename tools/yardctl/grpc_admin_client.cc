#include "tools/yardctl/grpc_admin_client.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_tls/credentials.h"
#include "grpcpp/grpcpp.h"
#include "switchyard/config/loader.h"
#include "switchyard/v1/admin.grpc.pb.h"

namespace switchyard::yardctl {
namespace {

class GrpcAdminClient final : public AdminClient {
 public:
  explicit GrpcAdminClient(const GrpcClientOptions& options) : options_(options) {
    grpc::ChannelArguments args;
    // A whole snapshot comes back from Get; gRPC's default 4 MiB limit is far below the
    // largest snapshot the loader accepts.
    args.SetMaxReceiveMessageSize(static_cast<int>(config::kMaxSnapshotBytes) + (1 << 20));
    const ConnectionSecurity& security = options.security;
    if (!security.server_name.empty()) args.SetSslTargetNameOverride(security.server_name);
    channel_ = grpc::CreateCustomChannel(options.target,
                                         security.insecure
                                             ? grpc::InsecureChannelCredentials()
                                             : ChannelTlsCredentials({.files = security.tls}),
                                         args);
    stub_ = v1::AdminService::NewStub(channel_);
  }

  absl::StatusOr<v1::ApplyResponse> Apply(const v1::ApplyRequest& request) override {
    return Call(&v1::AdminService::Stub::Apply, request);
  }
  absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request) override {
    return Call(&v1::AdminService::Stub::Get, request);
  }
  absl::StatusOr<v1::DiffResponse> Diff(const v1::DiffRequest& request) override {
    return Call(&v1::AdminService::Stub::Diff, request);
  }
  absl::StatusOr<v1::HistoryResponse> History(const v1::HistoryRequest& request) override {
    return Call(&v1::AdminService::Stub::History, request);
  }
  absl::StatusOr<v1::ApplyResponse> Rollback(const v1::RollbackRequest& request) override {
    return Call(&v1::AdminService::Stub::Rollback, request);
  }
  absl::StatusOr<v1::StatusResponse> Status(const v1::StatusRequest& request) override {
    return Call(&v1::AdminService::Stub::Status, request);
  }
  absl::StatusOr<v1::CreateTokenResponse> CreateToken(
      const v1::CreateTokenRequest& request) override {
    return Call(&v1::AdminService::Stub::CreateToken, request);
  }
  absl::StatusOr<v1::ListTokensResponse> ListTokens(const v1::ListTokensRequest& request) override {
    return Call(&v1::AdminService::Stub::ListTokens, request);
  }
  absl::StatusOr<v1::RevokeTokenResponse> RevokeToken(
      const v1::RevokeTokenRequest& request) override {
    return Call(&v1::AdminService::Stub::RevokeToken, request);
  }

 private:
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (v1::AdminService::Stub::*method)(grpc::ClientContext*,
                                                                               const Request&,
                                                                               Response*),
                                const Request& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(options_.timeout));
    if (!options_.security.insecure && !options_.security.bearer_token.empty()) {
      context.AddMetadata("authorization", "Bearer " + options_.security.bearer_token);
    }
    Response response;
    const grpc::Status status = ((*stub_).*method)(&context, request, &response);
    if (status.ok()) {
      connected_ = true;
      return response;
    }
    // A call that fails while the channel is not connected never reached a server; one
    // that fails on a connected channel carries the server's own answer.
    const bool channel_ready = channel_->GetState(/*try_to_connect=*/false) == GRPC_CHANNEL_READY;
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && !connected_ &&
        !channel_ready) {
      return ConnectionFailure(
          absl::StrCat("no connection within ", absl::FormatDuration(options_.timeout)));
    }
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE && !channel_ready) {
      return ConnectionFailure(status.error_message());
    }
    connected_ = true;
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  }

  GrpcClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AdminService::Stub> stub_;
  bool connected_ = false;
};

}  // namespace

std::unique_ptr<AdminClient> NewGrpcAdminClient(const GrpcClientOptions& options) {
  return std::make_unique<GrpcAdminClient>(options);
}

}  // namespace switchyard::yardctl
