// How a Switchyard server waits to be told to stop: the main thread waits in sigwait for
// SIGINT or SIGTERM, and no other thread ever receives them.
#ifndef SWITCHYARD_COMMON_STOP_SIGNALS_H_
#define SWITCHYARD_COMMON_STOP_SIGNALS_H_

#include <chrono>

namespace switchyard {

// Blocks SIGINT and SIGTERM in the calling thread and ignores SIGPIPE process-wide. Call
// from main() before any thread starts: threads inherit the mask, so the signals stay
// pending for WaitForStopSignal instead of interrupting a worker. SIGPIPE is ignored so
// that writing to a socket the peer closed is an EPIPE error code, not the process's end.
void BlockStopSignals();

// Waits until SIGINT or SIGTERM arrives (or is already pending) and returns its number.
// Requires BlockStopSignals in this thread first.
int WaitForStopSignal();

// As WaitForStopSignal, but gives up after `timeout` and returns 0. A draining server polls
// with it, so that a second SIGTERM or SIGINT cuts the drain short.
int WaitForStopSignalFor(std::chrono::milliseconds timeout);

}  // namespace switchyard

#endif  // SWITCHYARD_COMMON_STOP_SIGNALS_H_
