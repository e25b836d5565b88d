#include "dataplane/overload/overload.h"

#include <malloc.h>

#include <utility>

#include "absl/time/time.h"
#include "common/log.h"

namespace switchyard::overload {
namespace {

// Per mille of the limit: where each level is entered, and where it is left.
constexpr uint64_t kPauseEnter = 850;
constexpr uint64_t kPauseLeave = 800;
constexpr uint64_t kShedEnter = 950;
constexpr uint64_t kShedLeave = 900;

const char* LevelName(OverloadLevel level) {
  switch (level) {
    case OverloadLevel::kNormal:
      return "normal";
    case OverloadLevel::kPauseAccept:
      return "not accepting, keep-alive off";
    case OverloadLevel::kShed:
      return "shedding new requests with 503";
  }
  return "?";
}

}  // namespace

OverloadLevel NextOverloadLevel(OverloadLevel current, uint64_t used, uint64_t limit) {
  if (limit == 0) return OverloadLevel::kNormal;
  // Per mille; 128 bits so that no size overflows.
  const auto share = static_cast<uint64_t>(static_cast<unsigned __int128>(used) * 1000 / limit);
  const bool was_shedding = current == OverloadLevel::kShed;
  const bool was_paused = current != OverloadLevel::kNormal;
  if (share >= kShedEnter || (was_shedding && share >= kShedLeave)) return OverloadLevel::kShed;
  if (share >= kPauseEnter || (was_paused && share >= kPauseLeave)) {
    return OverloadLevel::kPauseAccept;
  }
  return OverloadLevel::kNormal;
}

uint64_t AllocatedBytes() {
  const struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

OverloadMonitor::OverloadMonitor(uint64_t limit_bytes, std::function<uint64_t()> sample,
                                 std::chrono::milliseconds interval)
    : limit_(limit_bytes), sample_(std::move(sample)), interval_(interval) {}

OverloadMonitor::~OverloadMonitor() {
  {
    sync::MutexLock lock(&mu_);
    stopping_ = true;
    stop_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void OverloadMonitor::Start() {
  thread_ = std::thread([this] { Run(); });
}

void OverloadMonitor::Run() {
  for (;;) {
    Sample();
    sync::MutexLock lock(&mu_);
    if (stop_.WaitWithTimeout(&mu_, absl::FromChrono(interval_),
                              [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; })) {
      return;
    }
  }
}

void OverloadMonitor::Sample() {
  const uint64_t used = sample_();
  allocated_.store(used, std::memory_order_relaxed);
  const OverloadLevel before = level();
  const OverloadLevel after = NextOverloadLevel(before, used, limit_);
  if (after == before) return;
  level_.store(static_cast<int>(after), std::memory_order_relaxed);
  if (after > before) {
    auto& entered = after == OverloadLevel::kShed ? shed_entered_ : pause_accept_entered_;
    entered.store(entered.load() + 1, std::memory_order_relaxed);
    if (before == OverloadLevel::kNormal && after == OverloadLevel::kShed) {
      pause_accept_entered_.store(pause_accept_entered_.load() + 1, std::memory_order_relaxed);
    }
  }
  LogWarning("overload: %llu of %llu bytes in use (%.0f%%): %s",
             static_cast<unsigned long long>(used), static_cast<unsigned long long>(limit_),
             100.0 * static_cast<double>(used) / static_cast<double>(limit_), LevelName(after));
}

OverloadMonitor::Stats OverloadMonitor::stats() const {
  return {.level = level(),
          .allocated_bytes = allocated_.load(std::memory_order_relaxed),
          .limit_bytes = limit_,
          .pause_accept_entered = pause_accept_entered_.load(std::memory_order_relaxed),
          .shed_entered = shed_entered_.load(std::memory_order_relaxed)};
}

}  // namespace switchyard::overload
