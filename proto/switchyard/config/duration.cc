#include "switchyard/config/duration.h"

namespace switchyard::config {
namespace {

constexpr int32_t kNanosPerSecond = 1'000'000'000;
constexpr int32_t kNanosPerMilli = 1'000'000;

}  // namespace

bool IsValidDuration(const google::protobuf::Duration& d) {
  if (d.seconds() < -kMaxDurationSeconds || d.seconds() > kMaxDurationSeconds) return false;
  if (d.nanos() <= -kNanosPerSecond || d.nanos() >= kNanosPerSecond) return false;
  return !((d.seconds() > 0 && d.nanos() < 0) || (d.seconds() < 0 && d.nanos() > 0));
}

bool IsNonNegativeDuration(const google::protobuf::Duration& d) {
  return IsValidDuration(d) && d.seconds() >= 0 && d.nanos() >= 0;
}

std::chrono::milliseconds ToMillisRoundedUp(const google::protobuf::Duration& d) {
  if (d.seconds() < 0 || (d.seconds() == 0 && d.nanos() <= 0)) return std::chrono::milliseconds(0);
  if (!IsValidDuration(d)) return std::chrono::seconds(kMaxDurationSeconds);
  return std::chrono::seconds(d.seconds()) +
         std::chrono::milliseconds((d.nanos() + kNanosPerMilli - 1) / kNanosPerMilli);
}

}  // namespace switchyard::config
