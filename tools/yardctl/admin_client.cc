#include "tools/yardctl/admin_client.h"

#include "absl/strings/cord.h"
#include "common/ascii.h"

namespace switchyard::yardctl {
namespace {

// A status payload rather than a message prefix: messages are for people and may change.
constexpr char kConnectionFailureUrl[] = "type.switchyard.dev/yardctl.ConnectionFailure";

}  // namespace

absl::Status ConnectionFailure(std::string_view message) {
  absl::Status status = absl::UnavailableError(ToAbsl(message));
  status.SetPayload(kConnectionFailureUrl, absl::Cord());
  return status;
}

bool IsConnectionFailure(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable &&
         status.GetPayload(kConnectionFailureUrl).has_value();
}

}  // namespace switchyard::yardctl
