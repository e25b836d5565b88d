#include "common/drain_sequence.h"

namespace switchyard {

DrainSequence::DrainSequence(Options options, Clock::time_point begin)
    : options_(options), begin_(begin) {}

DrainSequence::Action DrainSequence::Advance(Clock::time_point now, size_t open_connections) {
  Action action;
  if (step_ == Step::kAnnouncing && now - begin_ >= options_.grace_period) {
    step_ = Step::kClosing;
    closing_since_ = now;
    action.close_listeners = true;
    // The listeners close now; connections counted before that are not the last word.
    return action;
  }
  if (step_ == Step::kClosing) {
    const bool late = now - closing_since_ >= options_.timeout;
    if (open_connections == 0 || late) {
      step_ = Step::kDone;
      cut_connections_ = open_connections > 0;
      action.finished = true;
    }
  }
  return action;
}

DrainSequence::Clock::time_point DrainSequence::next_deadline() const {
  switch (step_) {
    case Step::kAnnouncing:
      return begin_ + options_.grace_period;
    case Step::kClosing:
      return closing_since_ + options_.timeout;
    case Step::kDone:
      break;
  }
  return Clock::time_point::max();
}

}  // namespace switchyard
