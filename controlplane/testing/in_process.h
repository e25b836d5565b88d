// Test-only helpers for running the control plane in the test process: a real SQLite file
// under $TEST_TMPDIR, a real gRPC server on 127.0.0.1 port 0, real client stubs, and a
// scripted proxy on a real discovery stream.
#ifndef SWITCHYARD_CONTROLPLANE_TESTING_IN_PROCESS_H_
#define SWITCHYARD_CONTROLPLANE_TESTING_IN_PROCESS_H_

#include <memory>
#include <optional>
#include <string>

#include "controlplane/server/control_plane.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/credentials.h"
#include "switchyard/v1/admin.grpc.pb.h"
#include "switchyard/v1/discovery.grpc.pb.h"
#include "tests/support/poll.h"

namespace switchyard::controlplane::testing {

// A path under $TEST_TMPDIR (or /tmp) not used before by this process.
std::string UniqueTempPath(const std::string& stem);

// A valid snapshot: virtual host "api" routing to "c0", and clusters c0..c{n-1} (n >= 1)
// whose endpoint ports start at `port_base`.
switchyard::v1::Snapshot MakeSnapshot(int clusters, uint32_t port_base = 8000);

// ControlPlaneOptions for tests: 127.0.0.1:0, no store polling.
ControlPlaneOptions TestOptions();

// How a test client reaches a TLS control plane: credentials from files (ca, and cert/key
// when given), and a bearer token sent with every admin call when not empty.
struct TestClientAuth {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  std::string bearer_token;
};

// A channel to `target` ("127.0.0.1:PORT") trusting `ca`, presenting cert/key if given.
std::shared_ptr<grpc::Channel> TlsChannel(const std::string& target, const std::string& ca,
                                          const std::string& cert = "",
                                          const std::string& key = "");

// A ControlPlane on its own database file, with an admin stub.
class TestControlPlane {
 public:
  // `client`: how the admin stub connects; plaintext when its credentials are null.
  explicit TestControlPlane(ControlPlaneOptions options = TestOptions(),
                            std::string db_path = UniqueTempPath("cp.db"),
                            TestClientAuth client = {});
  ~TestControlPlane();

  bool ok() const { return cp_ != nullptr; }
  const std::string& error() const { return error_; }
  ControlPlane& cp() { return *cp_; }
  const std::string& db_path() const { return db_path_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(cp_->port()); }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  switchyard::v1::AdminService::Stub& admin() { return *admin_; }

  // A context with a 30 s deadline and the bearer token, for calls on admin().
  std::unique_ptr<grpc::ClientContext> AdminContext() const;
  // Applies `snapshot` and returns the version (0 on failure, recorded with ADD_FAILURE).
  uint64_t Apply(const switchyard::v1::Snapshot& snapshot, const std::string& message = "test");
  // Status via the admin API; empty response on failure (recorded with ADD_FAILURE).
  switchyard::v1::StatusResponse Status();
  // The proxy's entry in Status, if present.
  std::optional<switchyard::v1::ProxyStatus> ProxyStatusOf(const std::string& node_id);

 private:
  std::string db_path_;
  std::string error_;
  TestClientAuth client_;
  std::unique_ptr<ControlPlane> cp_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<switchyard::v1::AdminService::Stub> admin_;
};

// One scripted proxy on a real discovery stream (blocking client calls, 30 s deadline).
class FakeProxy {
 public:
  // Opens the stream and sends the first request: node `node_id` in group "edge" with
  // label zone=a and build "test-build", running `version`.
  FakeProxy(const std::shared_ptr<grpc::Channel>& channel, const std::string& node_id,
            uint64_t version);
  ~FakeProxy();

  // The next response; nullopt when the stream ended (see Finish()).
  std::optional<switchyard::v1::DiscoveryResponse> Read();
  // ACK: now runs `response.version()`.
  bool Ack(const switchyard::v1::DiscoveryResponse& response);
  // NACK with `error`; still runs `running_version`.
  bool Nack(const switchyard::v1::DiscoveryResponse& response, uint64_t running_version,
            const std::string& error);
  bool Send(const switchyard::v1::DiscoveryRequest& request);
  // Half-closes and returns the stream's status.
  grpc::Status Finish();

 private:
  grpc::ClientContext context_;
  std::unique_ptr<switchyard::v1::DiscoveryService::Stub> stub_;
  std::unique_ptr<
      grpc::ClientReaderWriter<switchyard::v1::DiscoveryRequest, switchyard::v1::DiscoveryResponse>>
      stream_;
  bool finished_ = false;
};

// The tests built on these helpers wait with tests/support's PollUntil.
using ::switchyard::testing::PollUntil;

}  // namespace switchyard::controlplane::testing

#endif  // SWITCHYARD_CONTROLPLANE_TESTING_IN_PROCESS_H_
