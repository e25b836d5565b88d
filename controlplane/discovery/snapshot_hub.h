// The version every proxy should run, and the streams waiting to hear about a new one.
//
// Publishers (the admin API after an apply, the store watcher, start-up) hand it stored
// snapshots; it encodes each once (PublishedVersion), keeps the last few as delta bases,
// and tells every subscribed stream. Streams read Current() from any thread.
#ifndef SWITCHYARD_CONTROLPLANE_DISCOVERY_SNAPSHOT_HUB_H_
#define SWITCHYARD_CONTROLPLANE_DISCOVERY_SNAPSHOT_HUB_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "common/sync/mutex.h"
#include "controlplane/discovery/published_version.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::controlplane {

class SnapshotHub {
 public:
  struct Options {
    // Snapshots with at least this many virtual hosts plus clusters go to proxies as
    // deltas when the proxy runs one of the recent versions.
    size_t delta_min_resources = 256;
    // How many recent versions are kept in memory as delta bases. A proxy further
    // behind gets the whole snapshot.
    size_t delta_bases = 8;
  };

  // Told when a new version became current. Called on the publisher's thread with no hub
  // lock held; must not block.
  class Subscriber {
   public:
    virtual ~Subscriber() = default;
    virtual void OnPublished() = 0;
  };

  explicit SnapshotHub(Options options) : options_(options) {}
  SnapshotHub(const SnapshotHub&) = delete;
  SnapshotHub& operator=(const SnapshotHub&) = delete;

  // Makes `snapshot` (version field set) current if it is newer than the current one;
  // an older or equal version is ignored (two applies may publish out of order).
  // Encoding happens here, under a publisher lock, so call it from a worker thread, never
  // from a gRPC reaction. INVALID_ARGUMENT if the snapshot cannot be encoded.
  absl::Status Publish(std::shared_ptr<const switchyard::v1::Snapshot> snapshot)
      ABSL_LOCKS_EXCLUDED(publish_mu_, mu_);
  // The same for the last of `versions` (oldest first); the others newer than the current
  // version become delta bases without being encoded themselves. For start-up, when the
  // store already holds a history.
  absl::Status Publish(std::vector<std::shared_ptr<const switchyard::v1::Snapshot>> versions)
      ABSL_LOCKS_EXCLUDED(publish_mu_, mu_);

  // The current version, or null before the first Publish. Cheap; never blocks for long.
  std::shared_ptr<const PublishedVersion> Current() const ABSL_LOCKS_EXCLUDED(mu_);
  uint64_t CurrentVersion() const ABSL_LOCKS_EXCLUDED(mu_);

  // The hub keeps only a weak reference; a subscriber must Unsubscribe before it dies
  // and tolerate OnPublished until then (and, from a publish already under way, briefly
  // after, which the weak reference makes safe).
  void Subscribe(const std::shared_ptr<Subscriber>& subscriber) ABSL_LOCKS_EXCLUDED(mu_);
  void Unsubscribe(const Subscriber* subscriber) ABSL_LOCKS_EXCLUDED(mu_);

  const EncodeCounters& encode_counters() const { return counters_; }

 private:
  const Options options_;
  EncodeCounters counters_;
  // Serializes publishers so each version is encoded once, and in order.
  sync::Mutex publish_mu_;
  mutable sync::Mutex mu_ ABSL_ACQUIRED_AFTER(publish_mu_);
  std::shared_ptr<const PublishedVersion> current_ ABSL_GUARDED_BY(mu_);
  // The newest delta_bases versions before current_, oldest first.
  std::deque<std::shared_ptr<const switchyard::v1::Snapshot>> recent_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<const Subscriber*, std::weak_ptr<Subscriber>> subscribers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_DISCOVERY_SNAPSHOT_HUB_H_
