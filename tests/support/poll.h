// Waiting for a condition that another thread or process brings about, in every kind of
// test: proxy integration suites, e2e suites, control-plane tests.
#ifndef SWITCHYARD_TESTS_SUPPORT_POLL_H_
#define SWITCHYARD_TESTS_SUPPORT_POLL_H_

#include <chrono>
#include <functional>

namespace switchyard::testing {

// Polls `done` every 5 ms; true once it holds, false after `timeout`.
bool PollUntil(const std::function<bool()>& done,
               std::chrono::steady_clock::duration timeout = std::chrono::seconds(10));

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_POLL_H_
