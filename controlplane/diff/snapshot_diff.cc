#include "controlplane/diff/snapshot_diff.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace switchyard::controlplane {
namespace {

using google::protobuf::RepeatedPtrField;

std::string Encode(const google::protobuf::MessageLite& m) {
  std::string out;
  out.reserve(m.ByteSizeLong());  // also caches the sizes SerializeWithCachedSizes needs
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    // Deterministic, so equal messages encode equally (map fields are ordered).
    coded.SetSerializationDeterministic(true);
    m.SerializeWithCachedSizes(&coded);
  }  // the streams trim `out` to the bytes written when they go
  return out;
}

bool SameBytes(const google::protobuf::MessageLite& a, const google::protobuf::MessageLite& b) {
  return Encode(a) == Encode(b);
}

// First resource of each name.
template <typename Resource>
absl::flat_hash_map<std::string, const Resource*> ByName(const RepeatedPtrField<Resource>& list) {
  absl::flat_hash_map<std::string, const Resource*> out;
  out.reserve(list.size());
  for (const Resource& r : list) out.emplace(r.name(), &r);
  return out;
}

template <typename Resource>
ResourceChanges Compare(const RepeatedPtrField<Resource>& from,
                        const RepeatedPtrField<Resource>& to) {
  const auto old_by_name = ByName(from);
  const auto new_by_name = ByName(to);
  ResourceChanges changes;
  for (const auto& [name, resource] : new_by_name) {
    auto it = old_by_name.find(name);
    if (it == old_by_name.end()) {
      changes.added.push_back(name);
    } else if (!SameBytes(*it->second, *resource)) {
      changes.changed.push_back(name);
    }
  }
  for (const auto& [name, resource] : old_by_name) {
    if (!new_by_name.contains(name)) changes.removed.push_back(name);
  }
  for (auto* list : {&changes.added, &changes.removed, &changes.changed}) {
    std::sort(list->begin(), list->end());
  }
  return changes;
}

// Fills one kind of resource of a delta; false when the proxy's merge rule would not
// reproduce `target`'s order.
template <typename Resource>
bool FillDelta(const RepeatedPtrField<Resource>& base, const RepeatedPtrField<Resource>& target,
               RepeatedPtrField<Resource>& upserts, RepeatedPtrField<std::string>& removed) {
  const auto base_by_name = ByName(base);
  const auto target_by_name = ByName(target);
  // Survivors of the base keep their relative order and come first; additions follow.
  int next = 0;
  for (const Resource& r : base) {
    auto it = target_by_name.find(r.name());
    if (it == target_by_name.end()) {
      *removed.Add() = r.name();
      continue;
    }
    if (next >= target.size() || target[next].name() != r.name()) return false;
    ++next;
    if (!SameBytes(r, *it->second)) *upserts.Add() = *it->second;
  }
  for (; next < target.size(); ++next) {
    if (base_by_name.contains(target[next].name())) return false;
    *upserts.Add() = target[next];
  }
  return true;
}

}  // namespace

template <typename Resource>
bool SameList(const google::protobuf::RepeatedPtrField<Resource>& a,
              const google::protobuf::RepeatedPtrField<Resource>& b) {
  if (a.size() != b.size()) return false;
  for (int i = 0; i < a.size(); ++i) {
    if (!SameBytes(a[i], b[i])) return false;
  }
  return true;
}

bool SameContent(const switchyard::v1::Snapshot& a, const switchyard::v1::Snapshot& b) {
  return SameList(a.virtual_hosts(), b.virtual_hosts()) && SameList(a.clusters(), b.clusters()) &&
         SameList(a.certificates(), b.certificates()) && SameList(a.consumers(), b.consumers()) &&
         SameList(a.auth_policies(), b.auth_policies());
}

SnapshotDiff DiffSnapshots(const switchyard::v1::Snapshot& from,
                           const switchyard::v1::Snapshot& to) {
  return {.virtual_hosts = Compare(from.virtual_hosts(), to.virtual_hosts()),
          .clusters = Compare(from.clusters(), to.clusters()),
          .certificates = Compare(from.certificates(), to.certificates()),
          .consumers = Compare(from.consumers(), to.consumers()),
          .auth_policies = Compare(from.auth_policies(), to.auth_policies())};
}

std::optional<switchyard::v1::SnapshotDelta> MakeDelta(const switchyard::v1::Snapshot& base,
                                                       const switchyard::v1::Snapshot& target) {
  switchyard::v1::SnapshotDelta delta;
  delta.set_base_version(base.version());
  if (!FillDelta(base.virtual_hosts(), target.virtual_hosts(), *delta.mutable_virtual_hosts(),
                 *delta.mutable_removed_virtual_hosts()) ||
      !FillDelta(base.clusters(), target.clusters(), *delta.mutable_clusters(),
                 *delta.mutable_removed_clusters()) ||
      !FillDelta(base.certificates(), target.certificates(), *delta.mutable_certificates(),
                 *delta.mutable_removed_certificates()) ||
      !FillDelta(base.consumers(), target.consumers(), *delta.mutable_consumers(),
                 *delta.mutable_removed_consumers()) ||
      !FillDelta(base.auth_policies(), target.auth_policies(), *delta.mutable_auth_policies(),
                 *delta.mutable_removed_auth_policies())) {
    return std::nullopt;
  }
  return delta;
}

}  // namespace switchyard::controlplane
