// gRPC through the gateway end to end, with the real grpc++ client and server (the Echo
// service, tests/support/echo.proto) and a control plane: the four call types, 16 MiB
// messages, a stream of 10,000 messages, cancellation from either side, deadlines, and
// calls that stay open while snapshots swap. The client speaks h2c to the proxy (or h2
// over TLS to --listen_tls, GrpcOverTlsTest), which speaks h2c to the server (cluster
// protocol HTTP2).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "dataplane/tls/testing/test_certificates.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"
#include "support/echo.grpc.pb.h"
#include "tests/e2e/support/e2e_test.h"
#include "tests/support/echo_server.h"
#include "tests/support/poll.h"

namespace switchyard::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::switchyard::testing::EchoReply;
using ::switchyard::testing::EchoRequest;
using ::switchyard::testing::EchoServer;
using ::switchyard::testing::kEchoMaxMessageBytes;
using ::switchyard::testing::PollUntil;
using ::switchyard::testing::Summary;
using Echo = ::switchyard::testing::Echo;

class GrpcTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    server_ = std::make_unique<EchoServer>();
    ASSERT_TRUE(StartControlPlane());
    uint64_t version = 0;
    ASSERT_TRUE(Apply(Config(0), &version));
    std::vector<std::string> flags = {"--workers=1"};
    if (tls_) flags.push_back("--listen_tls=127.0.0.1:0");
    ASSERT_TRUE(StartProxies(1, flags));
    ASSERT_TRUE(WaitForVersion(version, seconds(10)));
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kEchoMaxMessageBytes);
    args.SetMaxSendMessageSize(kEchoMaxMessageBytes);
    if (!tls_) {
      stub_ =
          Echo::NewStub(grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(proxy(0).port()),
                                                  grpc::InsecureChannelCredentials(), args));
      return;
    }
    // The certificate names grpc.test; the channel connects to 127.0.0.1 and checks that.
    args.SetSslTargetNameOverride("grpc.test");
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ca_.cert_pem;
    stub_ = Echo::NewStub(grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(proxy(0).tls_port()), grpc::SslCredentials(ssl), args));
  }

  // The snapshot: every path to the Echo server over HTTP/2, plus `extra` routes that
  // only make versions differ.
  std::string Config(int extra) {
    std::vector<RouteSpec> routes;
    routes.reserve(extra + 1);
    for (int i = 0; i < extra; ++i) {
      routes.push_back({"r" + std::to_string(i), "path: /unused/" + std::to_string(i), "echo"});
    }
    routes.push_back({"all", "prefix: /", "echo"});
    std::string yaml =
        SnapshotYaml(routes, {{.name = "echo", .ports = {server_->port()}, .protocol = "HTTP2"}});
    if (tls_) {
      yaml += "certificates:\n- name: grpc\n  domains: [grpc.test]\n  cert_pem: |\n" +
              IndentLines(cert_.chain_pem, 4) + "  key_pem: |\n" + IndentLines(cert_.key_pem, 4);
    }
    return yaml;
  }

  static void Deadline(grpc::ClientContext& context, std::chrono::milliseconds in) {
    context.set_deadline(std::chrono::system_clock::now() + in);
  }

  // Exercises unary, server-streaming, client-streaming and bidirectional calls.
  void AllFourCallTypes();

  bool tls_ = false;
  tls::testing::TestCertificate ca_ = tls::testing::CertificateAuthority();
  tls::testing::TestCertificate cert_ =
      tls::testing::IssueCertificate({.common_name = "grpc.test", .dns_names = {"grpc.test"}}, ca_);
  std::unique_ptr<EchoServer> server_;
  std::unique_ptr<Echo::Stub> stub_;
};

class GrpcOverTlsTest : public GrpcTest {
 protected:
  void SetUp() override {
    tls_ = true;
    GrpcTest::SetUp();
  }
};

TEST_F(GrpcTest, AllFourCallTypes) { AllFourCallTypes(); }

// ALPN h2 on --listen_tls, the certificate from the snapshot, the backend still h2c.
TEST_F(GrpcOverTlsTest, AllFourCallTypes) { AllFourCallTypes(); }

void GrpcTest::AllFourCallTypes() {
  {
    grpc::ClientContext context;
    Deadline(context, seconds(10));
    EchoRequest request;
    request.set_payload("hello");
    EchoReply reply;
    const grpc::Status status = stub_->Unary(&context, request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reply.payload(), "hello");
  }
  {
    grpc::ClientContext context;
    Deadline(context, seconds(10));
    EchoRequest request;
    request.set_payload("s");
    request.set_replies(100);
    auto reader = stub_->ServerStream(&context, request);
    EchoReply reply;
    int n = 0;
    while (reader->Read(&reply)) EXPECT_EQ(reply.index(), n++);
    EXPECT_EQ(n, 100);
    const grpc::Status status = reader->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  {
    grpc::ClientContext context;
    Deadline(context, seconds(10));
    Summary summary;
    auto writer = stub_->ClientStream(&context, &summary);
    EchoRequest request;
    request.set_payload("0123456789");
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(writer->Write(request));
    ASSERT_TRUE(writer->WritesDone());
    const grpc::Status status = writer->Finish();
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(summary.messages(), 100);
    EXPECT_EQ(summary.bytes(), 1000);
  }
  {
    grpc::ClientContext context;
    Deadline(context, seconds(10));
    auto stream = stub_->Bidi(&context);
    for (int i = 0; i < 100; ++i) {
      EchoRequest request;
      request.set_payload("m" + std::to_string(i));
      ASSERT_TRUE(stream->Write(request));
      EchoReply reply;
      ASSERT_TRUE(stream->Read(&reply));
      EXPECT_EQ(reply.payload(), "m" + std::to_string(i));
    }
    ASSERT_TRUE(stream->WritesDone());
    const grpc::Status status = stream->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
}

TEST_F(GrpcTest, ServerStatusesAndMessagesComeThrough) {
  grpc::ClientContext context;
  Deadline(context, seconds(10));
  EchoRequest request;
  request.set_payload("no entry for you");
  request.set_fail_code(grpc::StatusCode::PERMISSION_DENIED);
  EchoReply reply;
  const grpc::Status status = stub_->Unary(&context, request, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "no entry for you");

  // After replies: the status comes in the trailers that follow the data.
  grpc::ClientContext stream_context;
  Deadline(stream_context, seconds(10));
  request.set_payload("later");
  request.set_fail_code(grpc::StatusCode::RESOURCE_EXHAUSTED);
  request.set_replies(3);
  auto reader = stub_->ServerStream(&stream_context, request);
  int n = 0;
  while (reader->Read(&reply)) ++n;
  EXPECT_EQ(n, 3);
  const grpc::Status stream_status = reader->Finish();
  EXPECT_EQ(stream_status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(stream_status.error_message(), "later");
}

TEST_F(GrpcTest, SixteenMebibyteMessagesBothWays) {
  grpc::ClientContext context;
  Deadline(context, seconds(60));
  EchoRequest request;
  std::string payload(size_t{16} * 1024 * 1024, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 31 + i / 4099);
  request.set_payload(payload);
  EchoReply reply;
  const grpc::Status status = stub_->Unary(&context, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(reply.payload() == payload);
}

TEST_F(GrpcTest, AStreamOfTenThousandMessages) {
  grpc::ClientContext context;
  Deadline(context, seconds(60));
  auto stream = stub_->Bidi(&context);
  // The client writes while a second thread reads: both directions busy at once.
  std::atomic<int> received{0};
  std::thread reader([&] {
    EchoReply reply;
    while (stream->Read(&reply)) {
      if (reply.index() != received.load()) break;
      ++received;
    }
  });
  EchoRequest request;
  request.set_payload(std::string(100, 'x'));
  for (int i = 0; i < 10000; ++i) {
    if (!stream->Write(request)) break;
  }
  stream->WritesDone();
  reader.join();
  EXPECT_EQ(received.load(), 10000);
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(GrpcTest, AClientCancellationReachesTheServer) {
  grpc::ClientContext context;
  Deadline(context, seconds(30));
  auto stream = stub_->Bidi(&context);
  EchoRequest request;
  request.set_payload("first");
  ASSERT_TRUE(stream->Write(request));
  EchoReply reply;
  ASSERT_TRUE(stream->Read(&reply));
  context.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The gateway reset the upstream stream: the server's handler saw it.
  EXPECT_TRUE(PollUntil([&] { return server_->cancelled_calls() == 1; }, seconds(10)));
}

TEST_F(GrpcTest, TheServerCancellingReachesTheClient) {
  grpc::ClientContext context;
  Deadline(context, seconds(30));
  auto stream = stub_->Bidi(&context);
  EchoRequest request;
  request.set_payload("going");
  ASSERT_TRUE(stream->Write(request));
  EchoReply reply;
  ASSERT_TRUE(stream->Read(&reply));
  request.set_payload("the server ends the call");
  request.set_fail_code(grpc::StatusCode::ABORTED);
  ASSERT_TRUE(stream->Write(request));
  EXPECT_FALSE(stream->Read(&reply));
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(status.error_message(), "the server ends the call");
}

TEST_F(GrpcTest, ADeadlineEndsTheCallOnBothSides) {
  grpc::ClientContext context;
  Deadline(context, milliseconds(500));
  EchoRequest request;
  request.set_delay_ms(5000);
  EchoReply reply;
  const auto start = std::chrono::steady_clock::now();
  const grpc::Status status = stub_->Unary(&context, request, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(4));
  // grpc-timeout went upstream as the time left, and the gateway reset the stream at the
  // deadline: the server gave up long before its 5 s.
  EXPECT_TRUE(PollUntil([&] { return server_->cancelled_calls() == 1; }, seconds(3)));
}

TEST_F(GrpcTest, OpenCallsOutliveSnapshotSwaps) {
  grpc::ClientContext context;
  Deadline(context, seconds(60));
  auto stream = stub_->Bidi(&context);
  for (int version = 1; version <= 5; ++version) {
    uint64_t applied = 0;
    ASSERT_TRUE(Apply(Config(version), &applied));
    ASSERT_TRUE(WaitForVersion(applied, seconds(10)));
    for (int i = 0; i < 20; ++i) {
      EchoRequest request;
      request.set_payload("v" + std::to_string(version) + "." + std::to_string(i));
      ASSERT_TRUE(stream->Write(request));
      EchoReply reply;
      ASSERT_TRUE(stream->Read(&reply));
      EXPECT_EQ(reply.payload(), request.payload());
    }
    // New calls, meanwhile, are served by the new version.
    grpc::ClientContext unary_context;
    Deadline(unary_context, seconds(10));
    EchoRequest unary;
    unary.set_payload("new call");
    EchoReply unary_reply;
    EXPECT_TRUE(stub_->Unary(&unary_context, unary, &unary_reply).ok());
  }
  ASSERT_TRUE(stream->WritesDone());
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace switchyard::e2e
