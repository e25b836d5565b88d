// Keeps proxies' rejections in the VersionStore, so that the promise "the control plane
// never re-sends a version that a proxy rejected" (docs/architecture.md, "Configuration flow")
// holds across a restart, and across control planes sharing one store: every NACK is
// written, and when a node connects its stored rejections are read into the ProxyRegistry
// before anything is offered to it.
//
// The store is used only on this object's own thread. Its callers are gRPC callback
// threads, which also poll the network, and a write is a durable (fsync'd) transaction:
// waiting for it there would stall every stream. Rejections queued together are written in
// one transaction, so a version that a thousand proxies refuse at once costs one or a few.
//
// Queued writes go to the store before queued reads, so a read sees every rejection
// recorded before it was asked for.
//
// Thread-safe. Calls nothing while holding its lock, so callers may hold theirs.
#ifndef SWITCHYARD_CONTROLPLANE_DISCOVERY_REJECTION_RECORDER_H_
#define SWITCHYARD_CONTROLPLANE_DISCOVERY_REJECTION_RECORDER_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/sync/mutex.h"
#include "controlplane/discovery/proxy_registry.h"
#include "controlplane/store/version_store.h"

namespace switchyard::controlplane {

class RejectionRecorder {
 public:
  struct Options {
    // Rejections waiting to be written. Beyond this (the store has been failing for a
    // while) the oldest are given up, with an error in the log; this process still
    // honours them.
    size_t max_pending = 100'000;
    // Wait before writing again after a failed write.
    absl::Duration retry_delay = absl::Seconds(1);
  };

  // `store` and `registry` must outlive this object.
  RejectionRecorder(Options options, VersionStore& store, ProxyRegistry& registry);
  // Stop().
  ~RejectionRecorder();
  RejectionRecorder(const RejectionRecorder&) = delete;
  RejectionRecorder& operator=(const RejectionRecorder&) = delete;

  // Queues `rejection` to be written. Does nothing after Stop().
  void Record(Rejection rejection) ABSL_LOCKS_EXCLUDED(mu_);

  // Queues a read of `node_id`'s stored rejections into the registry
  // (ProxyRegistry::RestoreRejections), then runs `done` on this object's thread. If the
  // read fails, `done` runs all the same (the failure is logged): the node is then served
  // with what this process knows, rather than not at all while the store is down. After
  // Stop(), `done` is dropped unrun.
  void Load(std::string node_id, std::function<void()> done) ABSL_LOCKS_EXCLUDED(mu_);

  // Writes what is queued (one attempt; what cannot be written is logged as lost), drops
  // queued reads and ends the thread. Call it once nothing records any more (the server
  // has shut down). Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct PendingLoad {
    std::string node_id;
    std::function<void()> done;
  };

  void Run() ABSL_LOCKS_EXCLUDED(mu_);
  // Conditions for the thread to wake: anything to do, or anything not waiting for a retry.
  bool HasWorkLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasUrgentWorkLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the oldest queued writes beyond max_pending.
  void TrimLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  VersionStore& store_;
  ProxyRegistry& registry_;

  sync::Mutex mu_;
  sync::CondVar wake_;  // signalled when work is queued or stopping_ is set
  std::deque<Rejection> writes_ ABSL_GUARDED_BY(mu_);
  std::deque<PendingLoad> loads_ ABSL_GUARDED_BY(mu_);
  // No queued write is attempted before this (a write failed).
  absl::Time retry_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Writes given up since the last log line about it.
  size_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_DISCOVERY_REJECTION_RECORDER_H_
