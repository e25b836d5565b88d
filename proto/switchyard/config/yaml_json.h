// Conversion between YAML node trees and JSON, guided by a protobuf message type.
//
// Protobuf's JSON parser is strict about JSON types (a string field rejects a number, a
// bool field wants a JSON boolean), while YAML has no types of its own beyond what a plain
// scalar happens to look like. So a YAML scalar is given the JSON type the protobuf field
// it lands in expects: `name: 123` stays the string "123", `port: 8080` becomes a number,
// `present: true` a boolean, `timeout: 1.5s` a string. Quoted scalars are strings unless
// the field wants a number or boolean, where protobuf itself accepts the string form.
// Keys the schema does not know are converted by the plain YAML rules and left for
// protobuf to reject, so the error message comes from one place.
//
// Internal to //proto/switchyard/config; use loader.h.
#ifndef SWITCHYARD_CONFIG_YAML_JSON_H_
#define SWITCHYARD_CONFIG_YAML_JSON_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace switchyard::config {

// Bounds that protect against hostile documents. Aliases let a small YAML text expand
// into an exponentially large tree ("billion laughs"), so expanded nodes are counted.
struct YamlJsonLimits {
  int max_depth = 64;
  size_t max_nodes = 4'000'000;
};

// Converts `node`, which must be a YAML mapping, into a JSON object for message type
// `type`. Errors are INVALID_ARGUMENT and start with "<source_name>:<line>:<column>: ".
// Throws nothing.
absl::StatusOr<nlohmann::json> YamlToJson(const YAML::Node& node,
                                          const google::protobuf::Descriptor& type,
                                          std::string_view source_name,
                                          const YamlJsonLimits& limits = {});

// Renders JSON as block-style YAML (two-space indents, sequences indented under their key),
// keeping the object key order. A string is written plain only when every YAML reader
// reads it back as that same string; otherwise it is double-quoted, with escapes for what
// YAML does not allow raw. The text parses back through YamlToJson to the same values.
std::string JsonToYaml(const nlohmann::ordered_json& json);

}  // namespace switchyard::config

#endif  // SWITCHYARD_CONFIG_YAML_JSON_H_
