#include "common/stop_signals.h"

#include <pthread.h>
#include <signal.h>

namespace switchyard {
namespace {

sigset_t StopSignalSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockStopSignals() {
  const sigset_t set = StopSignalSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int WaitForStopSignal() {
  const sigset_t set = StopSignalSet();
  int signal_number = 0;
  // sigwait fails only for an invalid set; retry anyway rather than report a stop that
  // never came.
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

}  // namespace switchyard
