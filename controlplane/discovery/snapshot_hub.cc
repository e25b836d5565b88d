#include "controlplane/discovery/snapshot_hub.h"

#include <vector>

namespace switchyard::controlplane {

absl::Status SnapshotHub::Publish(std::shared_ptr<const switchyard::v1::Snapshot> snapshot) {
  std::vector<std::shared_ptr<const switchyard::v1::Snapshot>> versions;
  versions.push_back(std::move(snapshot));
  return Publish(std::move(versions));
}

absl::Status SnapshotHub::Publish(
    std::vector<std::shared_ptr<const switchyard::v1::Snapshot>> versions) {
  if (versions.empty()) return absl::OkStatus();
  sync::MutexLock publishing(&publish_mu_);
  std::shared_ptr<const switchyard::v1::Snapshot> snapshot = std::move(versions.back());
  versions.pop_back();
  // Delta bases after this publish: the recent ones, the current one, then the older
  // `versions`, oldest first, each newer than the last.
  std::vector<std::shared_ptr<const switchyard::v1::Snapshot>> bases;
  {
    sync::MutexLock lock(&mu_);
    if (current_ != nullptr && current_->version() >= snapshot->version()) {
      return absl::OkStatus();
    }
    bases.assign(recent_.begin(), recent_.end());
    if (current_ != nullptr) bases.push_back(current_->snapshot());
  }
  for (auto& v : versions) {
    if ((bases.empty() || v->version() > bases.back()->version()) &&
        v->version() < snapshot->version()) {
      bases.push_back(std::move(v));
    }
  }
  if (bases.size() > options_.delta_bases) {
    bases.erase(bases.begin(), bases.end() - static_cast<ptrdiff_t>(options_.delta_bases));
  }
  // Encoding a large snapshot takes a while; streams keep reading the old current_.
  auto built =
      PublishedVersion::Build(std::move(snapshot), bases, options_.delta_min_resources, counters_);
  if (!built.ok()) return built.status();

  std::vector<std::weak_ptr<Subscriber>> to_tell;
  {
    sync::MutexLock lock(&mu_);
    recent_.assign(bases.begin(), bases.end());
    current_ = std::move(*built);
    to_tell.reserve(subscribers_.size());
    for (const auto& [key, weak] : subscribers_) to_tell.push_back(weak);
  }
  // Outside the lock: a subscriber may start a write, whose completion can run inline and
  // read Current().
  for (const auto& weak : to_tell) {
    if (std::shared_ptr<Subscriber> s = weak.lock()) s->OnPublished();
  }
  return absl::OkStatus();
}

std::shared_ptr<const PublishedVersion> SnapshotHub::Current() const {
  sync::MutexLock lock(&mu_);
  return current_;
}

uint64_t SnapshotHub::CurrentVersion() const {
  sync::MutexLock lock(&mu_);
  return current_ == nullptr ? 0 : current_->version();
}

void SnapshotHub::Subscribe(const std::shared_ptr<Subscriber>& subscriber) {
  sync::MutexLock lock(&mu_);
  subscribers_[subscriber.get()] = subscriber;
}

void SnapshotHub::Unsubscribe(const Subscriber* subscriber) {
  sync::MutexLock lock(&mu_);
  subscribers_.erase(subscriber);
}

}  // namespace switchyard::controlplane
