// W3C Trace Context (www.w3.org/TR/trace-context) at the gateway. The gateway records no
// spans of its own, so it passes a valid `traceparent` on unchanged (a parent id of ours
// would point tracing backends at a span that does not exist), with its `tracestate`.
// A request without one, or with one that breaks the format, starts a new trace: a
// random trace id and parent id, flags 00 (not sampled: the backend's own sampler
// decides), and any `tracestate` is dropped, as the specification requires. The trace id
// goes into the access log, so log lines of the gateway and the backends can be joined.
#ifndef SWITCHYARD_DATAPLANE_HTTP_TRACE_CONTEXT_H_
#define SWITCHYARD_DATAPLANE_HTTP_TRACE_CONTEXT_H_

#include <random>
#include <string>
#include <string_view>

#include "dataplane/http/header_map.h"

namespace switchyard::http {

struct TraceParent {
  std::string_view version;    // 2 lowercase hex digits, not "ff"
  std::string_view trace_id;   // 32 lowercase hex digits, not all zero
  std::string_view parent_id;  // 16 lowercase hex digits, not all zero
  std::string_view flags;      // 2 lowercase hex digits
};

// Parses a traceparent value by the specification's rules: version 00 is exactly 55
// characters; a later version may carry more after a '-' at position 55. The views point
// into `value`. False when it is not valid.
bool ParseTraceParent(std::string_view value, TraceParent& out);

// Keeps the request's trace context or starts a new one (see the file comment); sets
// `trace_id` to the trace id in force. Returns true when it started a new trace.
bool ContinueOrStartTrace(HeaderMap& headers, std::mt19937_64& random, std::string& trace_id);

}  // namespace switchyard::http

#endif  // SWITCHYARD_DATAPLANE_HTTP_TRACE_CONTEXT_H_
