// A scripted AdminService on a real gRPC server bound to 127.0.0.1 (port 0), standing in
// for switchyard-control in yardctl's client tests: each test says what every call
// answers, runs yardctl against address(), and then checks the requests it recorded.
// A method without a handler answers UNIMPLEMENTED.
//
// Thread-safe: handlers run on gRPC's threads; setters and getters take a lock.
#ifndef SWITCHYARD_TOOLS_YARDCTL_TESTING_FAKE_ADMIN_SERVER_H_
#define SWITCHYARD_TOOLS_YARDCTL_TESTING_FAKE_ADMIN_SERVER_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "switchyard/v1/admin.grpc.pb.h"

namespace switchyard::yardctl::testing {

template <typename Request, typename Response>
using Handler = std::function<grpc::Status(const Request&, Response*)>;

class FakeAdminServer {
 public:
  // Starts serving; check ok() (a test cannot run without its server).
  FakeAdminServer();
  // Shuts the server down, cancelling calls still in flight.
  ~FakeAdminServer();
  FakeAdminServer(const FakeAdminServer&) = delete;
  FakeAdminServer& operator=(const FakeAdminServer&) = delete;

  bool ok() const { return port_ != 0; }
  // "127.0.0.1:PORT".
  std::string address() const;

  void OnApply(Handler<v1::ApplyRequest, v1::ApplyResponse> handler);
  void OnGet(Handler<v1::GetRequest, v1::GetResponse> handler);
  void OnDiff(Handler<v1::DiffRequest, v1::DiffResponse> handler);
  void OnHistory(Handler<v1::HistoryRequest, v1::HistoryResponse> handler);
  void OnRollback(Handler<v1::RollbackRequest, v1::ApplyResponse> handler);
  void OnStatus(Handler<v1::StatusRequest, v1::StatusResponse> handler);

  // Every request received so far, in order.
  std::vector<v1::ApplyRequest> apply_requests() const;
  std::vector<v1::GetRequest> get_requests() const;
  std::vector<v1::DiffRequest> diff_requests() const;
  std::vector<v1::HistoryRequest> history_requests() const;
  std::vector<v1::RollbackRequest> rollback_requests() const;
  int status_calls() const;
  // Calls of any method, Validate included.
  int total_calls() const;

 private:
  class Service;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

// Shorthands for scripted answers.
template <typename Request, typename Response>
Handler<Request, Response> Reply(Response response) {
  return [response](const Request&, Response* out) {
    *out = response;
    return grpc::Status::OK;
  };
}
template <typename Request, typename Response>
Handler<Request, Response> Refuse(grpc::StatusCode code, std::string message) {
  return [code, message](const Request&, Response*) { return grpc::Status(code, message); };
}

}  // namespace switchyard::yardctl::testing

#endif  // SWITCHYARD_TOOLS_YARDCTL_TESTING_FAKE_ADMIN_SERVER_H_
