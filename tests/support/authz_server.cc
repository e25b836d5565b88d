#include "tests/support/authz_server.h"

#include <chrono>
#include <string>

#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace switchyard::testing {

AuthzServer::AuthzServer(Handler handler) : handler_(std::move(handler)) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
}

AuthzServer::~AuthzServer() { Stop(); }

void AuthzServer::Stop() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  server_.reset();
}

std::vector<AuthzServer::CheckRequest> AuthzServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

grpc::Status AuthzServer::Service::Check(grpc::ServerContext* context, const CheckRequest* request,
                                         CheckResponse* response) {
  {
    std::lock_guard<std::mutex> lock(owner_->mu_);
    owner_->requests_.push_back(*request);
  }
  if (owner_->handler_ == nullptr) {
    *response = AllowResponse();
    return grpc::Status::OK;
  }
  return owner_->handler_(context, *request, response);
}

AuthzServer::CheckResponse AllowResponse() {
  AuthzServer::CheckResponse response;
  response.mutable_status()->set_code(0);
  response.mutable_ok_response();
  return response;
}

AuthzServer::CheckResponse DenyResponse(int status, const std::string& body) {
  AuthzServer::CheckResponse response;
  response.mutable_status()->set_code(7);
  response.mutable_denied_response()->mutable_status()->set_code(
      static_cast<::envoy::type::v3::StatusCode>(status));
  response.mutable_denied_response()->set_body(body);
  return response;
}

}  // namespace switchyard::testing
