#include "controlplane/store/timed_version_store.h"

namespace switchyard::controlplane {

absl::StatusOr<uint64_t> TimedVersionStore::Append(const switchyard::v1::Snapshot& snapshot,
                                                   const std::string& author,
                                                   const std::string& message,
                                                   std::optional<uint64_t> expected_version,
                                                   uint64_t rolled_back_from) {
  return Timed("append", [&] {
    return store_->Append(snapshot, author, message, expected_version, rolled_back_from);
  });
}

absl::StatusOr<StoredVersion> TimedVersionStore::Get(uint64_t version) {
  return Timed("get", [&] { return store_->Get(version); });
}

absl::StatusOr<uint64_t> TimedVersionStore::CurrentVersion() {
  return Timed("current_version", [&] { return store_->CurrentVersion(); });
}

absl::StatusOr<std::vector<VersionRecord>> TimedVersionStore::History(size_t limit) {
  return Timed("history", [&] { return store_->History(limit); });
}

absl::Status TimedVersionStore::RecordRejections(const std::vector<Rejection>& rejections) {
  return Timed("record_rejections", [&] { return store_->RecordRejections(rejections); });
}

absl::StatusOr<std::vector<Rejection>> TimedVersionStore::Rejections(const std::string& node_id) {
  return Timed("rejections", [&] { return store_->Rejections(node_id); });
}

}  // namespace switchyard::controlplane
