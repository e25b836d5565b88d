// The proxy's end of the discovery stream (docs/architecture.md, "Configuration flow").
//
// One thread keeps one bidirectional stream open to a control plane, trying the given
// addresses in turn and waiting a jittered, growing backoff between attempts. It opens
// with the node identity and the version the proxy already runs, hands every snapshot
// it receives (deltas applied to the running snapshot first) to the installer, and
// answers ACK when the installer accepts it or NACK with the installer's error. The
// proxy keeps serving whatever it runs while the control plane is away.
#ifndef SWITCHYARD_DATAPLANE_CONFIG_DISCOVERY_CLIENT_H_
#define SWITCHYARD_DATAPLANE_CONFIG_DISCOVERY_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/sync/mutex.h"
#include "dataplane/config/response_handler.h"
#include "grpcpp/security/credentials.h"
#include "switchyard/v1/discovery.pb.h"
#include "switchyard/v1/snapshot.pb.h"

namespace grpc {
class ClientContext;
}

namespace switchyard::config {

class DiscoveryClient {
 public:
  struct Options {
    std::vector<std::string> servers;  // "host:port", tried in turn
    // TLS (ChannelTlsCredentials) towards every server; null: plaintext.
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    // Verify the servers' certificates for this name instead of the host of each address.
    std::string server_name;
    v1::Node node;
    absl::Duration initial_backoff = absl::Milliseconds(250);
    absl::Duration max_backoff = absl::Seconds(10);
  };

  // Installs a complete snapshot; an error becomes a NACK carrying its message. Called on
  // the client's thread, one snapshot at a time.
  using Installer = ResponseHandler::Installer;

  struct Stats {
    bool connected = false;
    std::string server;  // the address of the current or last stream
    uint64_t running_version = 0;
    uint64_t acks = 0;
    uint64_t nacks = 0;
    std::string last_nack_error;
  };

  DiscoveryClient(Options options, Installer installer);
  ~DiscoveryClient();
  DiscoveryClient(const DiscoveryClient&) = delete;
  DiscoveryClient& operator=(const DiscoveryClient&) = delete;

  // Starts the stream thread. `running`: the snapshot the proxy already serves (booted
  // from its disk cache), whose version is announced so the control plane sends nothing
  // it already has.
  void Start(std::optional<v1::Snapshot> running);
  // Cancels the stream and joins the thread. Idempotent.
  void Stop();

  Stats stats() const;

 private:
  void Run();
  enum class StreamEnd {
    kFailed,     // no response and not open for long: back off further
    kHealthy,    // received a response or stayed open a while: back off from the start
    kGoingAway,  // the control plane shut down on purpose: try the next address at once
  };
  // Runs one stream to its end.
  StreamEnd StreamOnce(const std::string& server);
  // ResponseHandler::Handle, plus the stats and the log lines.
  v1::DiscoveryRequest Handle(const v1::DiscoveryResponse& response);

  const Options options_;
  // Owned by the stream thread.
  ResponseHandler handler_;

  mutable sync::Mutex mu_;
  sync::CondVar stop_;  // signalled when stopping_ is set
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace switchyard::config

#endif  // SWITCHYARD_DATAPLANE_CONFIG_DISCOVERY_CLIENT_H_
