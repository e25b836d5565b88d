// The Echo service (tests/support/echo.proto) served by the real grpc++ server on
// 127.0.0.1:<ephemeral>, plaintext HTTP/2: the gRPC backend of the gateway's gRPC tests.
// Messages up to 32 MiB either way. Counts the calls that ended because the client
// cancelled them (directly, or through the gateway resetting the stream).
#ifndef SWITCHYARD_TESTS_SUPPORT_ECHO_SERVER_H_
#define SWITCHYARD_TESTS_SUPPORT_ECHO_SERVER_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "grpcpp/server.h"
#include "support/echo.grpc.pb.h"

namespace switchyard::testing {

inline constexpr int kEchoMaxMessageBytes = 32 * 1024 * 1024;

class EchoServer {
 public:
  EchoServer();
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  uint16_t port() const { return static_cast<uint16_t>(port_); }
  // Calls that saw their context cancelled.
  int cancelled_calls() const { return service_->cancelled.load(); }

 private:
  class Service final : public Echo::Service {
   public:
    grpc::Status Unary(grpc::ServerContext* context, const EchoRequest* request,
                       EchoReply* reply) override;
    grpc::Status ServerStream(grpc::ServerContext* context, const EchoRequest* request,
                              grpc::ServerWriter<EchoReply>* writer) override;
    grpc::Status ClientStream(grpc::ServerContext* context, grpc::ServerReader<EchoRequest>* reader,
                              Summary* summary) override;
    grpc::Status Bidi(grpc::ServerContext* context,
                      grpc::ServerReaderWriter<EchoReply, EchoRequest>* stream) override;
    std::atomic<int> cancelled{0};
  };

  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_ECHO_SERVER_H_
