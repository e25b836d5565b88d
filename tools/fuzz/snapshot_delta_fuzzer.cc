// Fuzz target: applying a SnapshotDelta to a base snapshot (ApplyDelta), as the proxy does
// with every delta the control plane sends.
//
// Input: one byte n, then a serialized Snapshot of n bytes (the base), then a serialized
// SnapshotDelta (the rest). Inputs that do not parse as protobuf are skipped.
//
// Oracle, when ApplyDelta succeeds: the result has the requested version; every resource
// of the delta is in it, equal to the delta's; every removed name is gone; every other
// resource of the base is kept, unchanged and in its order. A failure is
// FAILED_PRECONDITION only. (Checked where names are unique, as validation makes them.)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "google/protobuf/util/message_differencer.h"
#include "switchyard/config/snapshot_delta.h"
#include "tools/fuzz/fuzz_check.h"

namespace {

constexpr uint64_t kVersion = 7777;

// Checks one resource type. `Resource` has name(); the Fields are repeated Resource.
template <typename Fields, typename Names>
void CheckType(const Fields& base, const Fields& changed, const Names& removed,
               const Fields& result) {
  // A base the proxy runs has passed validation, so its names are unique; with duplicates
  // "the resource of that name" has no single meaning.
  std::set<std::string> base_names;
  for (const auto& r : base) {
    if (!base_names.insert(r.name()).second) return;
  }
  std::set<std::string> touched(removed.begin(), removed.end());
  std::set<std::string> changed_names;
  for (const auto& r : changed) {
    // Duplicate names in a delta have no single meaning to check against.
    if (!changed_names.insert(r.name()).second) return;
  }
  for (const auto& name : removed) {
    if (changed_names.count(name) > 0) return;  // removed and changed: ambiguous
  }
  touched.insert(changed_names.begin(), changed_names.end());
  for (const auto& r : changed) {
    int found = 0;
    for (const auto& out : result) {
      if (out.name() == r.name()) {
        ++found;
        FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(out, r));
      }
    }
    FUZZ_CHECK(found >= 1);
  }
  for (const auto& out : result) {
    FUZZ_CHECK(std::find(removed.begin(), removed.end(), out.name()) == removed.end());
  }
  // Untouched base resources: present, equal, same relative order.
  int last = -1;
  for (const auto& b : base) {
    if (touched.count(b.name()) > 0) continue;
    int at = -1;
    for (int i = 0; i < result.size(); ++i) {
      if (result[i].name() == b.name() &&
          google::protobuf::util::MessageDifferencer::Equals(result[i], b)) {
        at = i;
        break;
      }
    }
    FUZZ_CHECK(at >= 0);
    FUZZ_CHECK(at > last);
    last = at;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t base_size = std::min<size_t>(data[0], size - 1);
  switchyard::v1::Snapshot base;
  switchyard::v1::SnapshotDelta delta;
  if (!base.ParseFromArray(data + 1, static_cast<int>(base_size)) ||
      !delta.ParseFromArray(data + 1 + base_size, static_cast<int>(size - 1 - base_size))) {
    return 0;
  }
  absl::StatusOr<switchyard::v1::Snapshot> result =
      switchyard::config::ApplyDelta(base, delta, kVersion);
  if (!result.ok()) {
    FUZZ_CHECK(result.status().code() == absl::StatusCode::kFailedPrecondition);
    return 0;
  }
  FUZZ_CHECK(delta.base_version() == base.version());
  FUZZ_CHECK(result->version() == kVersion);
  CheckType(base.virtual_hosts(), delta.virtual_hosts(), delta.removed_virtual_hosts(),
            result->virtual_hosts());
  CheckType(base.clusters(), delta.clusters(), delta.removed_clusters(), result->clusters());
  return 0;
}
