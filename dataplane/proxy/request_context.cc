#include "dataplane/proxy/request_context.h"

namespace switchyard::proxy {

std::string_view StreamEndName(StreamEnd end) {
  switch (end) {
    case StreamEnd::kNone:
      return "none";
    case StreamEnd::kCompleted:
      return "completed";
    case StreamEnd::kLocalReply:
      return "local_reply";
    case StreamEnd::kClientGone:
      return "client_gone";
    case StreamEnd::kUpstreamFailed:
      return "upstream_failed";
    case StreamEnd::kCutByPhase:
      return "cut_by_phase";
    case StreamEnd::kDeadlineExceeded:
      return "deadline_exceeded";
  }
  return "unknown";
}

}  // namespace switchyard::proxy
