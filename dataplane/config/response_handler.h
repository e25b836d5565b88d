// What a proxy does with each DiscoveryResponse, apart from the stream: rebuild the full
// snapshot it describes (a delta is applied to the snapshot the proxy runs), install it,
// and answer with an ACK or a NACK carrying the error. No I/O and no threads, so that any
// sequence of responses, however malformed, can be played through it (the
// discovery_response fuzzer, tools/fuzz).
//
// Contract: the reply always carries the response's nonce; after an ACK the running
// snapshot is the one installed, at the response's version; after a NACK the running
// snapshot is unchanged, and the reply's version is still its version.
#ifndef SWITCHYARD_DATAPLANE_CONFIG_RESPONSE_HANDLER_H_
#define SWITCHYARD_DATAPLANE_CONFIG_RESPONSE_HANDLER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "switchyard/v1/discovery.pb.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::config {

class ResponseHandler {
 public:
  // Installs a complete snapshot; an error becomes the NACK's message.
  using Installer = std::function<absl::Status(const v1::Snapshot&)>;

  explicit ResponseHandler(Installer installer) : installer_(std::move(installer)) {}

  // The snapshot the proxy already serves (booted from its cache).
  void SetRunning(v1::Snapshot running);
  bool has_running() const { return has_running_; }
  // 0 while nothing runs.
  uint64_t running_version() const { return has_running_ ? running_.version() : 0; }

  struct Outcome {
    v1::DiscoveryRequest reply;
    // Empty for an ACK; the NACK's error otherwise.
    std::string error;
  };
  Outcome Handle(const v1::DiscoveryResponse& response);

 private:
  const Installer installer_;
  v1::Snapshot running_;
  bool has_running_ = false;
};

}  // namespace switchyard::config

#endif  // SWITCHYARD_DATAPLANE_CONFIG_RESPONSE_HANDLER_H_
