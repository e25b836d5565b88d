// google.protobuf.Duration as Switchyard's configuration uses it: one range check and one
// conversion to milliseconds, shared by validation and every consumer of a snapshot.
#ifndef SWITCHYARD_CONFIG_DURATION_H_
#define SWITCHYARD_CONFIG_DURATION_H_

#include <chrono>
#include <cstdint>

#include "google/protobuf/duration.pb.h"

namespace switchyard::config {

// google.protobuf.Duration's own range (about 10,000 years).
inline constexpr int64_t kMaxDurationSeconds = 315'576'000'000;

// True when `d` is within protobuf's range, its nanos within one second, and seconds and
// nanos do not have opposite signs.
bool IsValidDuration(const google::protobuf::Duration& d);

// True when IsValidDuration(d) and d >= 0.
bool IsNonNegativeDuration(const google::protobuf::Duration& d);

// `d` in whole milliseconds, rounded up: a positive duration never becomes 0 ms, which
// means "no timeout" to a route and "give up at once" to a connect. So 0.0005s is 1 ms and
// 1.0000001s is 1001 ms. Meant for durations with IsNonNegativeDuration (ValidateSnapshot
// rejects the rest); others are clamped to 0 ms or to kMaxDurationSeconds, so the result
// never overflows.
std::chrono::milliseconds ToMillisRoundedUp(const google::protobuf::Duration& d);

}  // namespace switchyard::config

#endif  // SWITCHYARD_CONFIG_DURATION_H_
