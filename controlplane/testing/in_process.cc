#include "controlplane/testing/in_process.h"

#include <atomic>
#include <chrono>
#include <cstdlib>

#include "controlplane/store/sqlite_token_store.h"
#include "controlplane/store/sqlite_version_store.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

namespace switchyard::controlplane::testing {

std::string UniqueTempPath(const std::string& stem) {
  static std::atomic<int> counter{0};
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/" +
         std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + stem;
}

switchyard::v1::Snapshot MakeSnapshot(int clusters, uint32_t port_base) {
  switchyard::v1::Snapshot s;
  auto* vh = s.add_virtual_hosts();
  vh->set_name("api");
  vh->add_domains("api.example.com");
  auto* route = vh->add_routes();
  route->set_name("all");
  route->mutable_match()->set_prefix("/");
  route->mutable_route()->set_cluster("c0");
  for (int i = 0; i < clusters; ++i) {
    auto* c = s.add_clusters();
    c->set_name("c" + std::to_string(i));
    auto* e = c->add_endpoints();
    e->set_address("10.0.0.1");
    e->set_port(port_base + static_cast<uint32_t>(i));
  }
  return s;
}

ControlPlaneOptions TestOptions() {
  ControlPlaneOptions options;
  options.listen = "127.0.0.1:0";
  options.store_poll_interval = absl::ZeroDuration();
  return options;
}

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& target, const std::string& ca,
                                          const std::string& cert, const std::string& key) {
  TlsSettings settings;
  settings.files.ca = ca;
  settings.files.cert = cert;
  settings.files.key = key;
  settings.reload_interval = absl::Seconds(1);
  // A channel of its own (not shared by target), so each test client has its own TLS
  // session with its own certificate.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(target, ChannelTlsCredentials(settings), args);
}

TestControlPlane::TestControlPlane(ControlPlaneOptions options, std::string db_path,
                                   TestClientAuth client)
    : db_path_(std::move(db_path)), client_(std::move(client)) {
  auto store = SqliteVersionStore::Open(db_path_);
  if (!store.ok()) {
    error_ = std::string(store.status().message());
    return;
  }
  std::unique_ptr<TokenStore> tokens;
  if (options.tls.has_value()) {
    auto token_store = SqliteTokenStore::Open(db_path_);
    if (!token_store.ok()) {
      error_ = std::string(token_store.status().message());
      return;
    }
    tokens = std::move(*token_store);
  }
  auto cp = ControlPlane::Start(std::move(options), std::move(*store), std::move(tokens));
  if (!cp.ok()) {
    error_ = std::string(cp.status().message());
    return;
  }
  cp_ = std::move(*cp);
  channel_ = grpc::CreateChannel(target(), client_.credentials != nullptr
                                               ? client_.credentials
                                               : grpc::InsecureChannelCredentials());
  admin_ = switchyard::v1::AdminService::NewStub(channel_);
}

TestControlPlane::~TestControlPlane() {
  if (cp_ != nullptr) cp_->Shutdown(absl::Seconds(1));
}

std::unique_ptr<grpc::ClientContext> TestControlPlane::AdminContext() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!client_.bearer_token.empty()) {
    ctx->AddMetadata("authorization", "Bearer " + client_.bearer_token);
  }
  return ctx;
}

uint64_t TestControlPlane::Apply(const switchyard::v1::Snapshot& snapshot,
                                 const std::string& message) {
  std::unique_ptr<grpc::ClientContext> ctx = AdminContext();
  switchyard::v1::ApplyRequest request;
  *request.mutable_snapshot() = snapshot;
  request.set_author("tester");
  request.set_message(message);
  switchyard::v1::ApplyResponse response;
  const grpc::Status status = admin_->Apply(ctx.get(), request, &response);
  if (!status.ok()) {
    ADD_FAILURE() << "Apply failed: " << status.error_message();
    return 0;
  }
  return response.version();
}

switchyard::v1::StatusResponse TestControlPlane::Status() {
  std::unique_ptr<grpc::ClientContext> ctx = AdminContext();
  switchyard::v1::StatusResponse response;
  const grpc::Status status = admin_->Status(ctx.get(), {}, &response);
  if (!status.ok()) ADD_FAILURE() << "Status failed: " << status.error_message();
  return response;
}

std::optional<switchyard::v1::ProxyStatus> TestControlPlane::ProxyStatusOf(
    const std::string& node_id) {
  const switchyard::v1::StatusResponse status = Status();
  for (const auto& p : status.proxies()) {
    if (p.node_id() == node_id) return p;
  }
  return std::nullopt;
}

FakeProxy::FakeProxy(const std::shared_ptr<grpc::Channel>& channel, const std::string& node_id,
                     uint64_t version)
    : stub_(switchyard::v1::DiscoveryService::NewStub(channel)) {
  context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  stream_ = stub_->StreamSnapshots(&context_);
  switchyard::v1::DiscoveryRequest hello;
  hello.mutable_node()->set_id(node_id);
  hello.mutable_node()->set_group("edge");
  (*hello.mutable_node()->mutable_labels())["zone"] = "a";
  hello.mutable_node()->set_build_version("test-build");
  hello.set_version(version);
  Send(hello);
}

FakeProxy::~FakeProxy() {
  if (!finished_) {
    context_.TryCancel();
    stream_->Finish();
  }
}

std::optional<switchyard::v1::DiscoveryResponse> FakeProxy::Read() {
  switchyard::v1::DiscoveryResponse response;
  if (!stream_->Read(&response)) return std::nullopt;
  return response;
}

bool FakeProxy::Send(const switchyard::v1::DiscoveryRequest& request) {
  return stream_->Write(request);
}

bool FakeProxy::Ack(const switchyard::v1::DiscoveryResponse& response) {
  switchyard::v1::DiscoveryRequest ack;
  ack.set_version(response.version());
  ack.set_response_nonce(response.nonce());
  return Send(ack);
}

bool FakeProxy::Nack(const switchyard::v1::DiscoveryResponse& response, uint64_t running_version,
                     const std::string& error) {
  switchyard::v1::DiscoveryRequest nack;
  nack.set_version(running_version);
  nack.set_response_nonce(response.nonce());
  nack.mutable_error_detail()->set_message(error);
  return Send(nack);
}

grpc::Status FakeProxy::Finish() {
  stream_->WritesDone();
  finished_ = true;
  return stream_->Finish();
}

}  // namespace switchyard::controlplane::testing
