// A one-waiter event for coroutines on one worker thread: Wait() suspends until Notify()
// (or returns at once if a Notify came first). A timer that never expires does the
// suspending; Notify cancels it. For codecs whose streams wait on each other (HTTP/2:
// a stream waiting for request data the connection's reader delivers).
#ifndef SWITCHYARD_DATAPLANE_IO_WAKEUP_H_
#define SWITCHYARD_DATAPLANE_IO_WAKEUP_H_

#include <chrono>

#include "dataplane/io/io_types.h"

namespace switchyard::io {

class Wakeup {
 public:
  explicit Wakeup(const Executor& executor) : timer_(executor) {}

  // Resumes the waiter, or makes the next Wait return at once.
  void Notify() {
    notified_ = true;
    timer_.cancel();
  }
  Awaitable<void> Wait() {
    if (!notified_) {
      timer_.expires_at(std::chrono::steady_clock::time_point::max());
      boost::system::error_code ignored;
      co_await timer_.async_wait(AwaitInto(ignored));
    }
    notified_ = false;
  }

 private:
  SteadyTimer timer_;
  bool notified_ = false;
};

}  // namespace switchyard::io

#endif  // SWITCHYARD_DATAPLANE_IO_WAKEUP_H_
