// Reading and writing snapshots as YAML or JSON (the declarative files yardctl applies,
// the proxy's static bootstrap snapshot, config dumps).
//
// Input is YAML 1.2, and JSON is read as the YAML it is. Field names are the proto names
// ("virtual_hosts") or protobuf's JSON names ("virtualHosts"); durations are strings such
// as "1.5s"; 64-bit integers may be numbers or strings. Unknown fields are errors, never
// silently dropped: a misspelt "prefx" must not turn a route into a catch-all.
//
// Loading only checks the document against the schema. Whether the snapshot makes sense
// (clusters exist, regexes compile, ...) is validate.h's job.
//
// All functions are thread-safe and throw nothing.
#ifndef SWITCHYARD_CONFIG_LOADER_H_
#define SWITCHYARD_CONFIG_LOADER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "switchyard/v1/snapshot.pb.h"

namespace switchyard::config {

// Larger inputs are refused before parsing; a snapshot with 100,000 routes is about 10 MiB.
inline constexpr size_t kMaxSnapshotBytes = 64 << 20;

// Parses one YAML (or JSON) document holding a Snapshot. `source_name` (a file name, or
// "<stdin>") starts every error message. Errors are INVALID_ARGUMENT:
//   "<source>:<line>:<column>: <what>" for YAML syntax errors, duplicate keys, and a
//       document that is not a single mapping;
//   "<source>: <protobuf's message>" for unknown fields and values of the wrong type.
// An empty document (or one holding only comments) is an error, not an empty snapshot:
// a truncated file must not remove every route.
absl::StatusOr<switchyard::v1::Snapshot> ParseSnapshot(std::string_view text,
                                                       std::string_view source_name);

// Reads `path` and parses it with the path as the source name. Besides the errors of
// ParseSnapshot: NOT_FOUND, PERMISSION_DENIED (or another errno-derived code) when the
// file cannot be read, INVALID_ARGUMENT when it is not a regular file or is larger than
// kMaxSnapshotBytes.
absl::StatusOr<switchyard::v1::Snapshot> LoadSnapshotFile(const std::string& path);

// Renders a snapshot as block-style YAML with proto field names, in schema order;
// ParseSnapshot reads it back to an equal message. Fields at their default are omitted.
// Returns "" only if protobuf cannot express the message as JSON, which needs a
// Duration outside protobuf's range (ValidateSnapshot rejects those).
std::string SnapshotToYaml(const switchyard::v1::Snapshot& snapshot);

// Renders a snapshot as indented JSON with proto field names (protobuf's
// MessageToJsonString). Same failure rule as SnapshotToYaml.
std::string SnapshotToJson(const switchyard::v1::Snapshot& snapshot);

}  // namespace switchyard::config

#endif  // SWITCHYARD_CONFIG_LOADER_H_
