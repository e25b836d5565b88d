// How a Switchyard server takes its signals: the main thread waits in sigwait for SIGINT
// or SIGTERM (stop) and SIGHUP (reopen log files), and no other thread ever receives them.
#ifndef SWITCHYARD_COMMON_STOP_SIGNALS_H_
#define SWITCHYARD_COMMON_STOP_SIGNALS_H_

#include <chrono>

namespace switchyard {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and ignores SIGPIPE process-wide. Call
// from main() before any thread starts: threads inherit the mask, so the signals stay
// pending for WaitForStopSignal instead of interrupting a worker. SIGPIPE is ignored so
// that writing to a socket the peer closed is an EPIPE error code, not the process's end.
void BlockServerSignals();

// Waits until SIGINT, SIGTERM or SIGHUP arrives (or is already pending) and returns its
// number. Requires BlockServerSignals in this thread first.
int WaitForSignal();

// As WaitForSignal, but gives up after `timeout` and returns 0. A draining server polls
// with it, so that a second SIGTERM or SIGINT cuts the drain short.
int WaitForSignalFor(std::chrono::milliseconds timeout);

// SIGINT or SIGTERM.
bool IsStopSignal(int signal_number);

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_STOP_SIGNALS_H_
