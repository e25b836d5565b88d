// Text and JSON renderings of the admin API's answers for `yardctl diff`, `history` and
// `status`. JSON output uses the proto field names with numbers as JSON numbers and
// times in RFC 3339, so `jq '.versions[0].version'` works as one expects.
#ifndef SWITCHYARD_TOOLS_YARDCTL_ADMIN_VIEW_H_
#define SWITCHYARD_TOOLS_YARDCTL_ADMIN_VIEW_H_

#include <string>

#include "absl/time/time.h"
#include "switchyard/v1/admin.pb.h"

namespace switchyard::yardctl {

// One line per change ("+ cluster  shop", "~", "-") and a count, or a line saying
// there are none.
std::string DiffText(const switchyard::v1::DiffResponse& diff);

// VERSION CREATED AUTHOR MESSAGE, newest first as the server sends them.
std::string HistoryTable(const switchyard::v1::HistoryResponse& history);
std::string HistoryJson(const switchyard::v1::HistoryResponse& history);

// The current version, one row per proxy (ages relative to `now`), the last rejection
// of each proxy that has one, and how many proxies are behind.
std::string StatusText(const switchyard::v1::StatusResponse& status, absl::Time now);
// As the proto, plus "behind": true/false on each proxy.
std::string StatusJson(const switchyard::v1::StatusResponse& status);

// A proxy runs an older version than the control plane's current one (or none yet).
bool IsBehind(const switchyard::v1::ProxyStatus& proxy, uint64_t current_version);

}  // namespace switchyard::yardctl

#endif  // SWITCHYARD_TOOLS_YARDCTL_ADMIN_VIEW_H_
