#include "tools/yardctl/testing/fake_admin_server.h"

#include <chrono>
#include <utility>

namespace switchyard::yardctl::testing {
namespace {

// One method's script and record.
template <typename Request, typename Response>
struct Method {
  Handler<Request, Response> handler;
  std::vector<Request> requests;
};

}  // namespace

class FakeAdminServer::Service final : public v1::AdminService::Service {
 public:
  grpc::Status Apply(grpc::ServerContext*, const v1::ApplyRequest* request,
                     v1::ApplyResponse* response) override {
    return Handle(apply, *request, response);
  }
  grpc::Status Get(grpc::ServerContext*, const v1::GetRequest* request,
                   v1::GetResponse* response) override {
    return Handle(get, *request, response);
  }
  grpc::Status Validate(grpc::ServerContext*, const v1::ValidateRequest* request,
                        v1::ValidateResponse* response) override {
    return Handle(validate, *request, response);
  }
  grpc::Status Diff(grpc::ServerContext*, const v1::DiffRequest* request,
                    v1::DiffResponse* response) override {
    return Handle(diff, *request, response);
  }
  grpc::Status History(grpc::ServerContext*, const v1::HistoryRequest* request,
                       v1::HistoryResponse* response) override {
    return Handle(history, *request, response);
  }
  grpc::Status Rollback(grpc::ServerContext*, const v1::RollbackRequest* request,
                        v1::ApplyResponse* response) override {
    return Handle(rollback, *request, response);
  }
  grpc::Status Status(grpc::ServerContext*, const v1::StatusRequest* request,
                      v1::StatusResponse* response) override {
    return Handle(status, *request, response);
  }

  template <typename Request, typename Response>
  grpc::Status Handle(Method<Request, Response>& method, const Request& request,
                      Response* response) {
    Handler<Request, Response> handler;
    {
      std::lock_guard<std::mutex> lock(mu);
      method.requests.push_back(request);
      ++calls;
      handler = method.handler;
    }
    // Outside the lock: a handler may sleep to play a slow server.
    if (!handler) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "not scripted by the test");
    return handler(request, response);
  }

  mutable std::mutex mu;
  int calls = 0;
  Method<v1::ApplyRequest, v1::ApplyResponse> apply;
  Method<v1::GetRequest, v1::GetResponse> get;
  Method<v1::ValidateRequest, v1::ValidateResponse> validate;
  Method<v1::DiffRequest, v1::DiffResponse> diff;
  Method<v1::HistoryRequest, v1::HistoryResponse> history;
  Method<v1::RollbackRequest, v1::ApplyResponse> rollback;
  Method<v1::StatusRequest, v1::StatusResponse> status;
};

FakeAdminServer::FakeAdminServer() : service_(std::make_unique<Service>()) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) port_ = 0;
}

FakeAdminServer::~FakeAdminServer() {
  // A deadline, so a handler still sleeping (a slow-server test) is cancelled rather
  // than waited for.
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  }
}

std::string FakeAdminServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

#define SWITCHYARD_FAKE_METHOD(Setter, Getter, field, Request, Response)     \
  void FakeAdminServer::Setter(Handler<v1::Request, v1::Response> handler) { \
    std::lock_guard<std::mutex> lock(service_->mu);                          \
    service_->field.handler = std::move(handler);                            \
  }                                                                          \
  std::vector<v1::Request> FakeAdminServer::Getter() const {                 \
    std::lock_guard<std::mutex> lock(service_->mu);                          \
    return service_->field.requests;                                         \
  }

SWITCHYARD_FAKE_METHOD(OnApply, apply_requests, apply, ApplyRequest, ApplyResponse)
SWITCHYARD_FAKE_METHOD(OnGet, get_requests, get, GetRequest, GetResponse)
SWITCHYARD_FAKE_METHOD(OnDiff, diff_requests, diff, DiffRequest, DiffResponse)
SWITCHYARD_FAKE_METHOD(OnHistory, history_requests, history, HistoryRequest, HistoryResponse)
SWITCHYARD_FAKE_METHOD(OnRollback, rollback_requests, rollback, RollbackRequest, ApplyResponse)
#undef SWITCHYARD_FAKE_METHOD

void FakeAdminServer::OnStatus(Handler<v1::StatusRequest, v1::StatusResponse> handler) {
  std::lock_guard<std::mutex> lock(service_->mu);
  service_->status.handler = std::move(handler);
}

int FakeAdminServer::status_calls() const {
  std::lock_guard<std::mutex> lock(service_->mu);
  return static_cast<int>(service_->status.requests.size());
}

int FakeAdminServer::total_calls() const {
  std::lock_guard<std::mutex> lock(service_->mu);
  return service_->calls;
}

}  // namespace switchyard::yardctl::testing
