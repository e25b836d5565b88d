// An external authorization service (Envoy's envoy.service.auth.v3.Authorization, the
// subset in proto/envoy) served by the real grpc++ server on 127.0.0.1:<ephemeral>,
// plaintext HTTP/2, with a per-test handler; it records every CheckRequest it gets. The
// service the gateway's ext-authz tests and benchmark call.
#ifndef SWITCHYARD_TESTS_SUPPORT_AUTHZ_SERVER_H_
#define SWITCHYARD_TESTS_SUPPORT_AUTHZ_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "grpcpp/server.h"

namespace switchyard::testing {

class AuthzServer {
 public:
  using CheckRequest = ::envoy::service::auth::v3::CheckRequest;
  using CheckResponse = ::envoy::service::auth::v3::CheckResponse;
  // Decides one call; runs on one of grpc's threads. A handler that waits should give up
  // when context->IsCancelled().
  using Handler = std::function<grpc::Status(grpc::ServerContext* context,
                                             const CheckRequest& request, CheckResponse* response)>;

  // With no handler every request is allowed (status OK, no changes).
  explicit AuthzServer(Handler handler = nullptr);
  ~AuthzServer();
  AuthzServer(const AuthzServer&) = delete;
  AuthzServer& operator=(const AuthzServer&) = delete;

  uint16_t port() const { return static_cast<uint16_t>(port_); }
  std::vector<CheckRequest> requests() const;
  // Stops serving (calls in progress are cancelled): the service is down.
  void Stop();

 private:
  class Service final : public ::envoy::service::auth::v3::Authorization::Service {
   public:
    explicit Service(AuthzServer* owner) : owner_(owner) {}
    grpc::Status Check(grpc::ServerContext* context, const CheckRequest* request,
                       CheckResponse* response) override;

   private:
    AuthzServer* owner_;
  };

  Handler handler_;
  Service service_{this};
  mutable std::mutex mu_;
  std::vector<CheckRequest> requests_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// An allowing answer (status OK).
AuthzServer::CheckResponse AllowResponse();
// A refusing answer: gRPC code 7 and an HTTP `status` with `body`.
AuthzServer::CheckResponse DenyResponse(int status, const std::string& body);

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_AUTHZ_SERVER_H_
