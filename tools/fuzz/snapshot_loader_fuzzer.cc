// Fuzz target: the snapshot loader and validator, as the control plane, the proxy (static
// mode and its snapshot cache) and yardctl all run them on files and requests.
//
// Input: a YAML or JSON document (JSON is read by the same parser).
//
// Oracle: besides "no crash, no sanitizer report": a snapshot that parses must render to
// YAML and to JSON that parse back to an equal message (what `yardctl get -o yaml` then
// `yardctl apply` relies on), and validation must give the same verdict on the copy.
// ValidationErrors and ValidateSnapshot must agree.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "google/protobuf/util/message_differencer.h"
#include "switchyard/config/loader.h"
#include "switchyard/config/validate.h"
#include "tools/fuzz/fuzz_check.h"

namespace {

using switchyard::config::ParseSnapshot;

void CheckRoundTrip(const switchyard::v1::Snapshot& snapshot, const std::string& rendered,
                    bool valid) {
  // Empty: protobuf cannot render a Duration out of its range, which validation refuses.
  if (rendered.empty()) {
    FUZZ_CHECK(!valid);
    return;
  }
  absl::StatusOr<switchyard::v1::Snapshot> again = ParseSnapshot(rendered, "<rendered>");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(*again, snapshot));
  FUZZ_CHECK(switchyard::config::ValidateSnapshot(*again).ok() == valid);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<switchyard::v1::Snapshot> snapshot = ParseSnapshot(text, "<fuzz>");
  if (!snapshot.ok()) {
    FUZZ_CHECK(snapshot.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const bool valid = switchyard::config::ValidateSnapshot(*snapshot).ok();
  FUZZ_CHECK(switchyard::config::ValidationErrors(*snapshot).empty() == valid);
  CheckRoundTrip(*snapshot, switchyard::config::SnapshotToYaml(*snapshot), valid);
  CheckRoundTrip(*snapshot, switchyard::config::SnapshotToJson(*snapshot), valid);
  return 0;
}
