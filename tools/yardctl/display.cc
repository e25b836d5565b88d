#include "tools/yardctl/display.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace switchyard::yardctl {

std::string FormatDuration(const google::protobuf::Duration& duration) {
  return absl::FormatDuration(absl::Seconds(duration.seconds()) +
                              absl::Nanoseconds(duration.nanos()));
}

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) return absl::InfinitePast();
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

std::string FormatTimeForTable(const google::protobuf::Timestamp& timestamp) {
  const absl::Time time = ToTime(timestamp);
  if (time == absl::InfinitePast()) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ", time, absl::UTCTimeZone());
}

std::string FormatTimeRfc3339(const google::protobuf::Timestamp& timestamp) {
  const absl::Time time = ToTime(timestamp);
  if (time == absl::InfinitePast()) return "";
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", time, absl::UTCTimeZone());
}

std::string FormatAge(const google::protobuf::Timestamp& then, absl::Time now) {
  const absl::Time time = ToTime(then);
  if (time == absl::InfinitePast()) return "-";
  const int64_t total = now > time ? absl::ToInt64Seconds(now - time) : 0;
  constexpr int64_t kMinute = 60, kHour = 60 * kMinute, kDay = 24 * kHour;
  // Two units at most: "2h7m" is as precise as an operator needs, "2h7m12s" is noise.
  auto two_units = [total](int64_t big, const char* big_name, int64_t small,
                           const char* small_name) {
    std::string out = absl::StrCat(total / big, big_name);
    if (const int64_t rest = (total % big) / small; rest > 0) {
      absl::StrAppend(&out, rest, small_name);
    }
    return out;
  };
  if (total < kMinute) return absl::StrCat(total, "s");
  if (total < kHour) return two_units(kMinute, "m", 1, "s");
  if (total < kDay) return two_units(kHour, "h", kMinute, "m");
  return two_units(kDay, "d", kHour, "h");
}

std::string FormatEndpoint(const v1::Endpoint& endpoint) {
  const bool ipv6 = endpoint.address().find(':') != std::string::npos;
  std::string out = ipv6 ? absl::StrCat("[", endpoint.address(), "]:", endpoint.port())
                         : absl::StrCat(endpoint.address(), ":", endpoint.port());
  if (endpoint.weight() > 1) absl::StrAppend(&out, "*", endpoint.weight());
  return out;
}

}  // namespace switchyard::yardctl
