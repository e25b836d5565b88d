// What each proxy (by node id) runs, rejected and when it was seen: the data behind
// `yardctl status`, and the memory of rejected versions that keeps the control plane from
// sending a proxy a version it already refused.
//
// Rejections are also kept in the store (RejectionRecorder writes them and, when a node
// connects, hands its stored ones to RestoreRejections), so they survive a restart and are
// shared by control planes on one store.
//
// Thread-safe. Calls nothing outside itself, so callers may hold their own locks.
// Bounded: connected proxies are bounded by the stream limit; disconnected ones are kept
// for `retention` and at most `max_disconnected` of them (the oldest go first). A proxy
// forgotten this way also forgets its rejections here; they come back from the store when
// it connects again.
#ifndef SWITCHYARD_CONTROLPLANE_DISCOVERY_PROXY_REGISTRY_H_
#define SWITCHYARD_CONTROLPLANE_DISCOVERY_PROXY_REGISTRY_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/sync/mutex.h"
#include "controlplane/store/version_store.h"
#include "switchyard/v1/admin.pb.h"
#include "switchyard/v1/discovery.pb.h"

namespace switchyard::controlplane {

class ProxyRegistry {
 public:
  struct Options {
    absl::Duration retention = absl::Hours(1);
    size_t max_disconnected = 10'000;
    // Rejected versions remembered per proxy. Only the newest matter: the control plane
    // only ever offers its current version, and versions only grow.
    size_t max_rejections = 16;
    // For tests; absl::Now when empty.
    std::function<absl::Time()> clock;
  };

  explicit ProxyRegistry(Options options);
  ProxyRegistry(const ProxyRegistry&) = delete;
  ProxyRegistry& operator=(const ProxyRegistry&) = delete;

  // A stream opened by `node`, which runs `running_version`. A node may have several
  // streams (a reconnect can overlap the old stream's end); it is connected while it has
  // any. Group, labels and build are replaced by the newest stream's.
  void Connected(const switchyard::v1::Node& node, uint64_t running_version);
  void Disconnected(const std::string& node_id);
  void Acked(const std::string& node_id, uint64_t version);
  void Nacked(const std::string& node_id, uint64_t rejected_version, uint64_t running_version,
              const std::string& error);

  // Adds rejections of `node_id` read from the store (oldest first) to what is known here,
  // keeping the newest max_rejections of both by time; the newest of all is the node's last
  // rejection in List(). Does nothing for a node not known here: call it after Connected.
  void RestoreRejections(const std::string& node_id, const std::vector<Rejection>& stored);

  bool HasRejected(const std::string& node_id, uint64_t version) const;

  // Every known proxy, sorted by node id. A connected proxy was last seen now: its stream
  // is open, and gRPC keepalive ends a stream whose peer stops answering, so an idle stream
  // is a live proxy. A disconnected one was last seen when its last stream ended.
  std::vector<switchyard::v1::ProxyStatus> List();

 private:
  struct RejectedVersion {
    uint64_t version = 0;
    absl::Time at;
  };
  struct Entry {
    switchyard::v1::ProxyStatus status;  // timestamps filled in by List()
    int streams = 0;
    absl::Time connected_since;
    // When the last stream ended; meaningful only while disconnected.
    absl::Time last_seen;
    // Oldest first. Its last one is status.last_rejected_*.
    std::deque<RejectedVersion> rejected;
  };

  absl::Time Now() const { return options_.clock ? options_.clock() : absl::Now(); }
  // Drops expired disconnected entries, then the oldest while over the limit.
  void PruneLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable sync::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> nodes_ ABSL_GUARDED_BY(mu_);
  size_t disconnected_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_prune_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_DISCOVERY_PROXY_REGISTRY_H_
