// How yardctl shows single values (durations, times, ages, addresses) in tables and JSON.
#ifndef SWITCHYARD_TOOLS_YARDCTL_DISPLAY_H_
#define SWITCHYARD_TOOLS_YARDCTL_DISPLAY_H_

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::yardctl {

// "1.5s", "250ms", "1m30s", "0s" (absl's shortest form).
std::string FormatDuration(const google::protobuf::Duration& duration);

// A Timestamp as absl::Time; absl::InfinitePast() when unset (all zero), so callers can
// tell "never" from the epoch.
absl::Time ToTime(const google::protobuf::Timestamp& timestamp);

// For tables: "2026-11-26 07:01:02Z" (UTC, seconds), or "-" when unset.
std::string FormatTimeForTable(const google::protobuf::Timestamp& timestamp);

// For JSON: RFC 3339 in UTC, e.g. "2026-11-26T07:01:02.5Z", or "" when unset.
std::string FormatTimeRfc3339(const google::protobuf::Timestamp& timestamp);

// How long ago `then` was, seen at `now`, in at most two units: "12s", "5m3s", "2h7m",
// "3d4h". A time in the future (clock skew between hosts) shows as "0s". "-" when unset.
std::string FormatAge(const google::protobuf::Timestamp& then, absl::Time now);

// "10.0.0.5:8080", "[fd00::5]:8080", with "*3" appended for a weight other than 1.
std::string FormatEndpoint(const switchyard::v1::Endpoint& endpoint);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_DISPLAY_H_
