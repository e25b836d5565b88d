#include "switchyard/config/snapshot_delta.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace switchyard::config {
namespace {

// Merges `changed` into `resources` by name and drops `removed`. Works for any repeated
// message field whose elements have a `name()`.
template <typename Resource>
absl::Status Merge(const char* kind, google::protobuf::RepeatedPtrField<Resource>& resources,
                   const google::protobuf::RepeatedPtrField<Resource>& changed,
                   const google::protobuf::RepeatedPtrField<std::string>& removed) {
  absl::flat_hash_set<std::string> to_remove(removed.begin(), removed.end());
  absl::flat_hash_map<std::string, const Resource*> replacement;
  for (const Resource& r : changed) replacement[r.name()] = &r;

  google::protobuf::RepeatedPtrField<Resource> merged;
  size_t removed_found = 0;
  for (Resource& r : resources) {
    if (to_remove.contains(r.name())) {
      ++removed_found;
      continue;
    }
    if (auto it = replacement.find(r.name()); it != replacement.end()) {
      *merged.Add() = *it->second;
      replacement.erase(it);
    } else {
      *merged.Add() = std::move(r);
    }
  }
  if (removed_found != to_remove.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("delta removes a ", kind, " this proxy does not have"));
  }
  for (const Resource& r : changed) {  // additions, in the delta's order
    if (replacement.contains(r.name())) *merged.Add() = r;
  }
  resources.Swap(&merged);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Snapshot> ApplyDelta(const v1::Snapshot& base, const v1::SnapshotDelta& delta,
                                        uint64_t version) {
  if (delta.base_version() != base.version()) {
    return absl::FailedPreconditionError(absl::StrCat("delta is against version ",
                                                      delta.base_version(), " but this proxy runs ",
                                                      base.version()));
  }
  v1::Snapshot result = base;
  if (absl::Status s = Merge("virtual host", *result.mutable_virtual_hosts(), delta.virtual_hosts(),
                             delta.removed_virtual_hosts());
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          Merge("cluster", *result.mutable_clusters(), delta.clusters(), delta.removed_clusters());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Merge("certificate", *result.mutable_certificates(), delta.certificates(),
                             delta.removed_certificates());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Merge("consumer", *result.mutable_consumers(), delta.consumers(),
                             delta.removed_consumers());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Merge("auth policy", *result.mutable_auth_policies(), delta.auth_policies(),
                             delta.removed_auth_policies());
      !s.ok()) {
    return s;
  }
  result.set_version(version);
  return result;
}

}  // namespace switchyard::config
