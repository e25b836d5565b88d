#include "tests/support/echo_server.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace switchyard::testing {
namespace {

// Waits `ms`, but gives up as soon as the call is cancelled; false then.
bool Delay(grpc::ServerContext* context, int ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < end) {
    if (context->IsCancelled()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return !context->IsCancelled();
}

grpc::Status Failure(const EchoRequest& request) {
  return grpc::Status(static_cast<grpc::StatusCode>(request.fail_code()), request.payload());
}

}  // namespace

grpc::Status EchoServer::Service::Unary(grpc::ServerContext* context, const EchoRequest* request,
                                        EchoReply* reply) {
  if (!Delay(context, request->delay_ms())) {
    ++cancelled;
    return grpc::Status::CANCELLED;
  }
  if (request->fail_code() != 0) return Failure(*request);
  reply->set_payload(request->payload());
  return grpc::Status::OK;
}

grpc::Status EchoServer::Service::ServerStream(grpc::ServerContext* context,
                                               const EchoRequest* request,
                                               grpc::ServerWriter<EchoReply>* writer) {
  EchoReply reply;
  reply.set_payload(request->payload());
  for (int i = 0; i < request->replies(); ++i) {
    reply.set_index(i);
    if (!Delay(context, request->delay_ms()) || !writer->Write(reply)) {
      ++cancelled;
      return grpc::Status::CANCELLED;
    }
  }
  if (request->fail_code() != 0) return Failure(*request);
  return grpc::Status::OK;
}

grpc::Status EchoServer::Service::ClientStream(grpc::ServerContext* context,
                                               grpc::ServerReader<EchoRequest>* reader,
                                               Summary* summary) {
  EchoRequest request;
  while (reader->Read(&request)) {
    summary->set_messages(summary->messages() + 1);
    summary->set_bytes(summary->bytes() + static_cast<int64_t>(request.payload().size()));
  }
  if (context->IsCancelled()) {
    ++cancelled;
    return grpc::Status::CANCELLED;
  }
  return grpc::Status::OK;
}

grpc::Status EchoServer::Service::Bidi(grpc::ServerContext* context,
                                       grpc::ServerReaderWriter<EchoReply, EchoRequest>* stream) {
  EchoRequest request;
  EchoReply reply;
  int index = 0;
  while (stream->Read(&request)) {
    if (request.fail_code() != 0) return Failure(request);
    reply.set_payload(request.payload());
    reply.set_index(index++);
    if (!Delay(context, request.delay_ms()) || !stream->Write(reply)) break;
  }
  if (context->IsCancelled()) {
    ++cancelled;
    return grpc::Status::CANCELLED;
  }
  return grpc::Status::OK;
}

EchoServer::EchoServer() : service_(std::make_unique<Service>()) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(kEchoMaxMessageBytes);
  builder.SetMaxSendMessageSize(kEchoMaxMessageBytes);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    std::fprintf(stderr, "EchoServer: cannot start a grpc++ server on 127.0.0.1\n");
    std::abort();
  }
}

EchoServer::~EchoServer() {
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
}

}  // namespace switchyard::testing
