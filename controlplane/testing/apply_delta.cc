#include "controlplane/testing/apply_delta.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"

namespace switchyard::controlplane::testing {
namespace {

template <typename Resource>
absl::Status Merge(google::protobuf::RepeatedPtrField<Resource>& resources,
                   const google::protobuf::RepeatedPtrField<Resource>& upserts,
                   const google::protobuf::RepeatedPtrField<std::string>& removed) {
  std::set<std::string> to_remove(removed.begin(), removed.end());
  google::protobuf::RepeatedPtrField<Resource> out;
  std::set<std::string> replaced;
  for (const Resource& r : resources) {
    if (to_remove.erase(r.name()) > 0) continue;
    const Resource* replacement = &r;
    for (const Resource& u : upserts) {
      if (u.name() == r.name()) replacement = &u;
    }
    if (replacement != &r) replaced.insert(r.name());
    *out.Add() = *replacement;
  }
  if (!to_remove.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("delta removes '", *to_remove.begin(), "', which the base lacks"));
  }
  for (const Resource& u : upserts) {
    if (!replaced.contains(u.name())) *out.Add() = u;
  }
  resources.Swap(&out);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<switchyard::v1::Snapshot> ApplyDelta(const switchyard::v1::Snapshot& base,
                                                    const switchyard::v1::SnapshotDelta& delta,
                                                    uint64_t version) {
  if (delta.base_version() != base.version()) {
    return absl::FailedPreconditionError(
        absl::StrCat("delta is against ", delta.base_version(), ", base is ", base.version()));
  }
  switchyard::v1::Snapshot out = base;
  absl::Status s =
      Merge(*out.mutable_virtual_hosts(), delta.virtual_hosts(), delta.removed_virtual_hosts());
  if (s.ok()) s = Merge(*out.mutable_clusters(), delta.clusters(), delta.removed_clusters());
  if (!s.ok()) return s;
  out.set_version(version);
  return out;
}

}  // namespace switchyard::controlplane::testing
