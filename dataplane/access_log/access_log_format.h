// The access log's line format: one JSON object per request, fields always in the same
// order and always present (empty strings, and null for a stage not reached), so that log
// pipelines see one schema. docs/operations.md lists the fields.
#ifndef SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_FORMAT_H_
#define SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_FORMAT_H_

#include <string>

#include "dataplane/access_log/access_log_record.h"

namespace switchyard::access_log {

// Appends `record` as one JSON line, newline included.
void AppendJsonLine(const AccessLogRecord& record, std::string& out);

}  // namespace switchyard::access_log

#endif  // SWITCHYARD_DATAPLANE_ACCESS_LOG_ACCESS_LOG_FORMAT_H_
