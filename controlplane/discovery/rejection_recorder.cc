#include "controlplane/discovery/rejection_recorder.h"

#include <iterator>
#include <vector>

#include "common/log.h"

namespace switchyard::controlplane {

RejectionRecorder::RejectionRecorder(Options options, VersionStore& store, ProxyRegistry& registry)
    : options_(options), store_(store), registry_(registry) {
  thread_ = std::thread([this] { Run(); });
}

RejectionRecorder::~RejectionRecorder() { Stop(); }

void RejectionRecorder::Record(Rejection rejection) {
  if (rejection.node_id.empty()) return;  // the store would refuse the whole batch
  bool first_drop = false;
  {
    sync::MutexLock lock(&mu_);
    if (stopping_) return;
    writes_.push_back(std::move(rejection));
    const size_t dropped_before = dropped_;
    TrimLocked();
    first_drop = dropped_before == 0 && dropped_ > 0;
    wake_.SignalAll();
  }
  // Once per outage, not once per NACK: the count is logged when writes work again.
  if (first_drop) {
    LogError("more than %zu rejections are waiting for the store: giving up the oldest",
             options_.max_pending);
  }
}

void RejectionRecorder::Load(std::string node_id, std::function<void()> done) {
  sync::MutexLock lock(&mu_);
  if (stopping_) return;
  loads_.push_back({std::move(node_id), std::move(done)});
  wake_.SignalAll();
}

void RejectionRecorder::Stop() {
  {
    sync::MutexLock lock(&mu_);
    stopping_ = true;
    wake_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void RejectionRecorder::TrimLocked() {
  while (writes_.size() > options_.max_pending) {
    writes_.pop_front();
    ++dropped_;
  }
}

bool RejectionRecorder::HasWorkLocked() const {
  return stopping_ || !loads_.empty() || !writes_.empty();
}

bool RejectionRecorder::HasUrgentWorkLocked() const { return stopping_ || !loads_.empty(); }

void RejectionRecorder::Run() {
  bool failing = false;  // log the start and end of a store outage, not every retry
  for (;;) {
    std::vector<Rejection> writes;
    std::deque<PendingLoad> loads;
    bool stopping = false;
    {
      sync::MutexLock lock(&mu_);
      // Reads are served at once; writes wait out retry_at_ after a failure.
      for (;;) {
        if (stopping_ || !loads_.empty()) break;
        if (writes_.empty()) {
          wake_.Wait(&mu_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return HasWorkLocked(); });
          continue;
        }
        if (absl::Now() >= retry_at_) break;
        wake_.WaitWithDeadline(&mu_, retry_at_, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return HasUrgentWorkLocked();
        });
      }
      stopping = stopping_;
      if (stopping || absl::Now() >= retry_at_) {
        writes.assign(std::make_move_iterator(writes_.begin()),
                      std::make_move_iterator(writes_.end()));
        writes_.clear();
      }
      // When stopping, the reads are dropped unrun (outside the lock, below): they hold
      // streams, whose destruction must not happen under mu_.
      loads.swap(loads_);
    }

    if (!writes.empty()) {
      const absl::Status written = store_.RecordRejections(writes);
      size_t given_up = 0;
      if (written.ok()) {
        if (failing) LogInfo("rejections are being stored again");
        failing = false;
        sync::MutexLock lock(&mu_);
        retry_at_ = absl::InfinitePast();
        given_up = std::exchange(dropped_, 0);
      } else if (stopping || written.code() == absl::StatusCode::kInvalidArgument) {
        // Last chance, or a batch that can never be written: retrying would not help.
        LogError("%zu rejections could not be stored and are lost: %s", writes.size(),
                 std::string(written.message()).c_str());
      } else {
        if (!failing) {
          LogWarning("cannot store rejections (retrying every %s): %s",
                     absl::FormatDuration(options_.retry_delay).c_str(),
                     std::string(written.message()).c_str());
        }
        failing = true;
        sync::MutexLock lock(&mu_);
        // Back in front of those queued since, to keep the order they were recorded in.
        writes_.insert(writes_.begin(), std::make_move_iterator(writes.begin()),
                       std::make_move_iterator(writes.end()));
        TrimLocked();
        retry_at_ = absl::Now() + options_.retry_delay;
      }
      if (given_up > 0) {
        LogError("%zu rejections were given up while the store was failing", given_up);
      }
    }
    if (stopping) return;

    for (PendingLoad& load : loads) {
      absl::StatusOr<std::vector<Rejection>> stored = store_.Rejections(load.node_id);
      if (stored.ok()) {
        registry_.RestoreRejections(load.node_id, *stored);
      } else {
        LogWarning(
            "cannot read the stored rejections of proxy %s; serving it with what this "
            "control plane knows: %s",
            load.node_id.c_str(), std::string(stored.status().message()).c_str());
      }
      load.done();
    }
  }
}

}  // namespace switchyard::controlplane
