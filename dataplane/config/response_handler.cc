#include "dataplane/config/response_handler.h"

#include <utility>

#include "switchyard/config/snapshot_delta.h"

namespace switchyard::config {

void ResponseHandler::SetRunning(v1::Snapshot running) {
  running_ = std::move(running);
  has_running_ = true;
}

ResponseHandler::Outcome ResponseHandler::Handle(const v1::DiscoveryResponse& response) {
  absl::StatusOr<v1::Snapshot> snapshot;
  if (response.has_delta()) {
    snapshot =
        has_running_
            ? ApplyDelta(running_, response.delta(), response.version())
            : absl::FailedPreconditionError("received a delta but this proxy runs no snapshot");
  } else {
    snapshot = response.snapshot();
    snapshot->set_version(response.version());
  }
  const absl::Status installed = snapshot.ok() ? installer_(*snapshot) : snapshot.status();

  Outcome outcome;
  outcome.reply.set_response_nonce(response.nonce());
  if (installed.ok()) {
    SetRunning(*std::move(snapshot));
  } else {
    outcome.error = std::string(installed.message());
    outcome.reply.mutable_error_detail()->set_message(outcome.error);
  }
  outcome.reply.set_version(running_version());
  return outcome;
}

}  // namespace switchyard::config
