// Where a stream waits for a phase that returned kPending (phase.h): a resume handle for
// the phase and an Asio timer used as an event, so the wait blocks no thread.
#ifndef SWITCHYARD_DATAPLANE_PROXY_PENDING_PHASE_H_
#define SWITCHYARD_DATAPLANE_PROXY_PENDING_PHASE_H_

#include <memory>
#include <optional>

#include "dataplane/io/io_types.h"
#include "dataplane/proxy/phase.h"
#include "dataplane/time/clock.h"

namespace switchyard::proxy {

class PendingPhase final : public PhaseWaiter {
 public:
  explicit PendingPhase(const io::Executor& executor) : event_(executor) {}
  ~PendingPhase() { Abort(); }
  PendingPhase(const PendingPhase&) = delete;
  PendingPhase& operator=(const PendingPhase&) = delete;

  std::shared_ptr<ResumeHandle> Suspend() override {
    Abort();
    result_.reset();
    handle_ = std::make_shared<ResumeHandle>(this);
    return handle_;
  }
  void OnPhaseResumed(PhaseStatus status) override {
    result_ = status == PhaseStatus::kContinue ? PhaseStatus::kContinue : PhaseStatus::kStop;
    handle_.reset();
    event_.cancel();
  }

  // Waits until the phase resumes. Returns its status, or nullopt when Abort() ended the
  // wait first (a deadline passed, the request is gone).
  io::Awaitable<std::optional<PhaseStatus>> Wait() {
    if (!result_.has_value() && handle_ != nullptr) {
      event_.expires_at(time::MonotonicTime::max());
      boost::system::error_code ignored;
      co_await event_.async_wait(io::AwaitInto(ignored));
    }
    std::optional<PhaseStatus> result = result_;
    result_.reset();
    co_return result;
  }

  // Lets a phase's own deadline (ResumeHandle::SetCancel) pass; the stream's sweep.
  void Sweep(time::MonotonicTime now) {
    if (handle_ != nullptr) handle_->Expire(now);
  }

  // Ends a wait without a result; a later Resume from the phase does nothing.
  void Abort() {
    if (handle_ != nullptr) {
      handle_->Detach();
      handle_.reset();
    }
    event_.cancel();
  }

 private:
  io::SteadyTimer event_;
  std::shared_ptr<ResumeHandle> handle_;
  std::optional<PhaseStatus> result_;
};

}  // namespace switchyard::proxy

#endif  // SWITCHYARD_DATAPLANE_PROXY_PENDING_PHASE_H_
