// The access log's line format: one JSON object per request, fields always in the same
// order and always present (empty strings, and null for a stage not reached), so that log
// pipelines see one schema. docs/operations.md lists the fields.
#ifndef SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_FORMAT_H_
#define SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_FORMAT_H_

#include <chrono>
#include <string>

#include "dataplane/access_log/access_log_record.h"

namespace switchyard::access_log {

// Appends `record` as one JSON line, newline included. `steady_to_unix` is the Unix time
// at the steady clock's epoch (system_clock::now() - steady_clock::now()), to print the
// record's start as wall-clock time.
void AppendJsonLine(const AccessLogRecord& record, std::chrono::microseconds steady_to_unix,
                    std::string& out);

}  // namespace switchyard::access_log

#endif  // SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_FORMAT_H_
