// The steps of a graceful shutdown as a function of time and of the connections still
// open, apart from threads and signals so that its deadlines are tested on a simulated
// clock. A server drives it from its main thread (see docs/operations.md, "Draining"):
//
//   kAnnouncing   from Begin: /ready answers 503 and responses carry "Connection: close",
//                 but listeners still accept, for `grace_period`, so that load balancers
//                 see the replica leave before it stops taking connections.
//   kClosing      listeners closed; requests in flight finish; idle connections close.
//   kDone         every connection closed, or `timeout` after kClosing began (the rest
//                 are cut).
#ifndef SWITCHYARD_COMMON_DRAIN_SEQUENCE_H_
#define SWITCHYARD_COMMON_DRAIN_SEQUENCE_H_

#include <chrono>
#include <cstddef>

namespace switchyard {

class DrainSequence {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    // Not ready but still accepting; 0 closes listeners at once.
    std::chrono::milliseconds grace_period{5'000};
    // From closing the listeners to cutting the connections left.
    std::chrono::milliseconds timeout{20'000};
  };

  enum class Step { kAnnouncing, kClosing, kDone };

  // What the caller must do after an Advance.
  struct Action {
    bool close_listeners = false;  // once, on entering kClosing
    bool finished = false;         // once, on entering kDone
  };

  DrainSequence(Options options, Clock::time_point begin);

  // Moves to the step due at `now` with `open_connections` still open, and says what to do.
  Action Advance(Clock::time_point now, size_t open_connections);

  Step step() const { return step_; }
  // True when kDone came by the deadline with connections still open.
  bool cut_connections() const { return cut_connections_; }
  // When the next step falls due by time alone.
  Clock::time_point next_deadline() const;

 private:
  const Options options_;
  const Clock::time_point begin_;
  Clock::time_point closing_since_{};
  Step step_ = Step::kAnnouncing;
  bool cut_connections_ = false;
};

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_DRAIN_SEQUENCE_H_
