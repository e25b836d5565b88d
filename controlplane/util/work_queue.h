// A fixed pool of threads running posted tasks in order, with a bounded queue. Admin RPCs
// run here rather than on gRPC's callback threads, which also poll the network: SQLite
// I/O and validating or encoding a large snapshot must not stall every discovery stream.
#ifndef SWITCHYARD_CONTROLPLANE_UTIL_WORK_QUEUE_H_
#define SWITCHYARD_CONTROLPLANE_UTIL_WORK_QUEUE_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/sync/mutex.h"

namespace switchyard::controlplane {

// Thread-safe. The destructor runs what is queued, then joins the threads.
class WorkQueue {
 public:
  WorkQueue(int threads, size_t max_queued);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `task`; false (and `task` is dropped unrun) when the queue is full or stopping.
  bool TryPost(std::function<void()> task) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  const size_t max_queued_;
  sync::Mutex mu_;
  sync::CondVar wake_;  // signalled when a task is queued or stopping_ is set
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace switchyard::controlplane

#endif  // SWITCHYARD_CONTROLPLANE_UTIL_WORK_QUEUE_H_
