#include "common/stop_signals.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>

namespace switchyard {
namespace {

sigset_t StopSignalSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void BlockServerSignals() {
  const sigset_t set = StopSignalSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int WaitForSignal() {
  const sigset_t set = StopSignalSet();
  int signal_number = 0;
  // sigwait fails only for an invalid set; retry anyway rather than report a stop that
  // never came.
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

int WaitForSignalFor(std::chrono::milliseconds timeout) {
  const sigset_t set = StopSignalSet();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::max(std::chrono::nanoseconds(0), deadline - std::chrono::steady_clock::now());
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
    const timespec wait = {
        .tv_sec = static_cast<time_t>(seconds.count()),
        .tv_nsec = static_cast<decltype(timespec::tv_nsec)>((left - seconds).count())};
    const int signal_number = sigtimedwait(&set, nullptr, &wait);
    if (signal_number > 0) return signal_number;
    if (errno == EAGAIN) return 0;
    // EINTR: another signal's handler ran; wait out the rest.
  }
}

bool IsStopSignal(int signal_number) { return signal_number == SIGINT || signal_number == SIGTERM; }

}  // namespace switchyard
