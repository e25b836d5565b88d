#include "dataplane/config/discovery_client.h"

#include <random>
#include <utility>

#include "common/log.h"
#include "grpcpp/grpcpp.h"
#include "switchyard/v1/discovery.grpc.pb.h"
#include "switchyard/v1/discovery_status.h"

namespace switchyard::config {
namespace {

// A stream that lasted this long counts as healthy even if it carried no snapshot.
constexpr absl::Duration kHealthyStream = absl::Seconds(10);

// Large enough for the biggest snapshot validation allows.
constexpr int kMaxMessageBytes = 256 << 20;

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& server,
                                           const DiscoveryClient::Options& options) {
  grpc::ChannelArguments args;
  if (!options.server_name.empty()) args.SetSslTargetNameOverride(options.server_name);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // Notice a control plane that vanished without closing the connection.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Reconnection pacing is ours (jittered backoff across addresses), not the channel's.
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1'000);
  return grpc::CreateCustomChannel(
      server,
      options.credentials != nullptr ? options.credentials : grpc::InsecureChannelCredentials(),
      args);
}

}  // namespace

DiscoveryClient::DiscoveryClient(Options options, Installer installer)
    : options_(std::move(options)), handler_(std::move(installer)) {}

DiscoveryClient::~DiscoveryClient() { Stop(); }

void DiscoveryClient::Start(std::optional<v1::Snapshot> running) {
  if (running.has_value()) {
    handler_.SetRunning(std::move(*running));
    sync::MutexLock lock(&mu_);
    stats_.running_version = handler_.running_version();
  }
  thread_ = std::thread([this] { Run(); });
}

void DiscoveryClient::Stop() {
  {
    sync::MutexLock lock(&mu_);
    stopping_ = true;
    stop_.SignalAll();
    if (active_ != nullptr) active_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

DiscoveryClient::Stats DiscoveryClient::stats() const {
  sync::MutexLock lock(&mu_);
  return stats_;
}

void DiscoveryClient::Run() {
  std::mt19937_64 random(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.5, 1.5);
  absl::Duration backoff = options_.initial_backoff;
  for (size_t attempt = 0;; ++attempt) {
    const std::string& server = options_.servers[attempt % options_.servers.size()];
    const StreamEnd end = StreamOnce(server);
    if (end != StreamEnd::kFailed) backoff = options_.initial_backoff;
    // Jitter spreads the reconnects of many proxies after a control-plane restart. A
    // control plane that said it is going away is left at once for the next address (a
    // single address is tried again after the shortest backoff: it may be restarting).
    absl::Duration wait = backoff * jitter(random);
    if (end == StreamEnd::kGoingAway && options_.servers.size() > 1) wait = absl::ZeroDuration();
    if (end != StreamEnd::kGoingAway) backoff = std::min(backoff * 2, options_.max_backoff);
    sync::MutexLock lock(&mu_);
    if (stop_.WaitWithTimeout(&mu_, wait,
                              [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; })) {
      return;
    }
  }
}

DiscoveryClient::StreamEnd DiscoveryClient::StreamOnce(const std::string& server) {
  auto stub = v1::DiscoveryService::NewStub(MakeChannel(server, options_));
  grpc::ClientContext context;
  {
    sync::MutexLock lock(&mu_);
    if (stopping_) return StreamEnd::kFailed;
    active_ = &context;
    stats_.server = server;
  }
  const absl::Time opened = absl::Now();
  auto stream = stub->StreamSnapshots(&context);
  v1::DiscoveryRequest hello;
  *hello.mutable_node() = options_.node;
  hello.set_version(handler_.running_version());
  bool received = false;
  if (stream->Write(hello)) {
    // The stream is up. A control plane with nothing newer than what we run sends nothing,
    // so being connected cannot wait for a response.
    {
      sync::MutexLock lock(&mu_);
      stats_.connected = true;
    }
    LogInfo("discovery stream to %s open (running version %llu)", server.c_str(),
            static_cast<unsigned long long>(hello.version()));
    v1::DiscoveryResponse response;
    while (stream->Read(&response)) {
      received = true;
      const v1::DiscoveryRequest reply = Handle(response);
      if (!stream->Write(reply)) break;
    }
  }
  const grpc::Status status = stream->Finish();
  // A stream that brought a snapshot or stayed up a while was healthy: the next attempt
  // starts from the shortest backoff again.
  const bool progressed = received || absl::Now() - opened >= kHealthyStream;
  const StreamEnd end = status.error_code() == grpc::StatusCode::UNAVAILABLE &&
                                status.error_message() == v1::kControlPlaneGoingAway
                            ? StreamEnd::kGoingAway
                        : progressed ? StreamEnd::kHealthy
                                     : StreamEnd::kFailed;
  {
    sync::MutexLock lock(&mu_);
    active_ = nullptr;
    stats_.connected = false;
    if (stopping_) return end;
  }
  if (end == StreamEnd::kGoingAway) {
    LogInfo(
        "discovery stream to %s ended: the control plane is shutting down; trying the "
        "next address now",
        server.c_str());
    return end;
  }
  LogWarning("discovery stream to %s ended: %s%s", server.c_str(),
             status.ok() ? "closed by the control plane" : status.error_message().c_str(),
             received ? "" : " (no snapshot received)");
  return end;
}

v1::DiscoveryRequest DiscoveryClient::Handle(const v1::DiscoveryResponse& response) {
  ResponseHandler::Outcome outcome = handler_.Handle(response);
  sync::MutexLock lock(&mu_);
  if (outcome.error.empty()) {
    ++stats_.acks;
    stats_.running_version = handler_.running_version();
    LogInfo("installed snapshot version %llu; ACK",
            static_cast<unsigned long long>(stats_.running_version));
  } else {
    ++stats_.nacks;
    stats_.last_nack_error = outcome.error;
    LogWarning("refused snapshot version %llu; NACK: %s",
               static_cast<unsigned long long>(response.version()), outcome.error.c_str());
  }
  return std::move(outcome.reply);
}

}  // namespace switchyard::config
