#include "tests/support/poll.h"

#include <thread>

namespace switchyard::testing {

bool PollUntil(const std::function<bool()>& done, std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace switchyard::testing
