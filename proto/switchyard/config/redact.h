// The one redaction rule for configuration shown to people: every string or bytes field
// marked [(switchyard.v1.secret) = true] (proto/switchyard/v1/options.proto) is replaced by
// kRedacted, at any depth. Used by the admin API's Get (hence yardctl get), the proxy's
// /config_dump, and anything that logs a snapshot.
//
// The way back: an apply whose secret field holds kRedacted keeps the value stored for the
// same field of the same resource, so `yardctl get -o yaml | yardctl apply -f -` changes
// nothing. Resources in repeated fields are matched by their `name` (map entries by key);
// messages without a name, by position.
#ifndef SWITCHYARD_PROTO_SWITCHYARD_CONFIG_REDACT_H_
#define SWITCHYARD_PROTO_SWITCHYARD_CONFIG_REDACT_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace switchyard::config {

inline constexpr char kRedacted[] = "[redacted]";

// Replaces every non-empty secret value in `message` with kRedacted; returns how many.
int RedactSecrets(google::protobuf::Message& message);

// Replaces every kRedacted secret value in `incoming` with the value of the matching field
// in `stored` (of the same type). INVALID_ARGUMENT naming the field
// ("holders[a].keys[k].private_key") when `stored` has no value there to keep.
absl::Status RestoreRedacted(google::protobuf::Message& incoming,
                             const google::protobuf::Message& stored);

}  // namespace switchyard::config

#endif  // SWITCHYARD_PROTO_SWITCHYARD_CONFIG_REDACT_H_
