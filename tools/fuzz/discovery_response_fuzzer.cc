// Fuzz target: the proxy's handling of a sequence of discovery responses
// (dataplane/config/response_handler.h), whatever a control plane, or something posing as
// one, sends: full snapshots, deltas against versions the proxy does or does not run,
// invalid snapshots, repeated or out-of-order versions.
//
// Input: a sequence of chunks, each a two-byte big-endian length and that many bytes of
// a serialized DiscoveryResponse; chunks that do not parse are skipped. The installer is
// the proxy's own check (ValidateSnapshot).
//
// Oracle (the handler's contract): every reply carries its response's nonce; after an
// ACK the proxy runs exactly the snapshot the response describes (the snapshot, or the
// delta applied to what ran before), at the response's version, and it validates; after a
// NACK it runs what it ran before and the reply says so; the reply's version is always the
// running version.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "dataplane/config/response_handler.h"
#include "google/protobuf/util/message_differencer.h"
#include "switchyard/config/snapshot_delta.h"
#include "switchyard/config/validate.h"
#include "tools/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::optional<switchyard::v1::Snapshot> installed;
  switchyard::config::ResponseHandler handler([&](const switchyard::v1::Snapshot& snapshot) {
    absl::Status valid = switchyard::config::ValidateSnapshot(snapshot);
    if (valid.ok()) installed = snapshot;
    return valid;
  });
  std::optional<switchyard::v1::Snapshot> running;
  size_t at = 0;
  while (at + 2 <= size) {
    const size_t length = (size_t{data[at]} << 8) | data[at + 1];
    at += 2;
    const size_t take = std::min(length, size - at);
    switchyard::v1::DiscoveryResponse response;
    const bool parsed = response.ParseFromArray(data + at, static_cast<int>(take));
    at += take;
    if (!parsed) continue;

    // What the response describes, computed independently of the handler.
    std::optional<switchyard::v1::Snapshot> expected;
    if (!response.has_delta()) {
      expected = response.snapshot();
      expected->set_version(response.version());
    } else if (running.has_value()) {
      absl::StatusOr<switchyard::v1::Snapshot> applied =
          switchyard::config::ApplyDelta(*running, response.delta(), response.version());
      if (applied.ok()) expected = *applied;
    }
    installed.reset();
    const switchyard::config::ResponseHandler::Outcome outcome = handler.Handle(response);
    FUZZ_CHECK(outcome.reply.response_nonce() == response.nonce());
    if (outcome.error.empty()) {
      FUZZ_CHECK(!outcome.reply.has_error_detail());
      FUZZ_CHECK(expected.has_value() && installed.has_value());
      FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(*installed, *expected));
      running = *installed;
    } else {
      FUZZ_CHECK(outcome.reply.error_detail().message() == outcome.error);
      FUZZ_CHECK(!installed.has_value());
    }
    FUZZ_CHECK(handler.has_running() == running.has_value());
    FUZZ_CHECK(outcome.reply.version() == (running.has_value() ? running->version() : 0));
    FUZZ_CHECK(handler.running_version() == outcome.reply.version());
  }
  return 0;
}
