#include "switchyard/config/yaml_json.h"

#include <charconv>
#include <cstdint>
#include <exception>
#include <string>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/ascii.h"

// GCC 12 reports yaml-cpp's map iterator proxies as maybe-uninitialized where they are
// inlined here; a known false positive in yaml-cpp's headers.
#if defined(__GNUC__) && !defined(__clang__)  // clang (tools/fuzz) has no such warning
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace switchyard::config {
namespace {

namespace pb = google::protobuf;
using nlohmann::json;
using nlohmann::ordered_json;

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. Protobuf and
// JSON both require it, and checking here lets the error carry a line and column.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t min = 0;
    uint32_t code = 0;
    if ((c & 0xE0) == 0xC0) {
      length = 2, min = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, min = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, min = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

// YAML 1.2 core schema booleans. The YAML 1.1 forms (yes/no/on/off) stay strings, the
// classic source of "Norway problem" surprises, except where they land in a bool field:
// there they are passed on as strings and protobuf's JSON parser accepts yes/no itself.
bool ParseYamlBool(const std::string& s, bool* value) {
  if (s == "true" || s == "True" || s == "TRUE") {
    *value = true;
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    *value = false;
    return true;
  }
  return false;
}

// YAML 1.2 core integers in decimal: [-+]?[0-9]+. Fills a JSON number when it fits in 64
// bits (signed or unsigned), which covers every protobuf integer type.
bool ParseYamlInt(const std::string& s, json* out) {
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  const char* end = digits.data() + digits.size();
  if (negative) {
    // Parse with the sign so that INT64_MIN is representable.
    int64_t v = 0;
    const auto r = std::from_chars(digits.data() - 1, end, v);
    if (r.ec != std::errc() || r.ptr != end) return false;
    *out = v;
    return true;
  }
  uint64_t v = 0;
  const auto r = std::from_chars(digits.data(), end, v);
  if (r.ec != std::errc() || r.ptr != end) return false;
  *out = v;
  return true;
}

// YAML 1.2 core floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?. Infinity and
// NaN become protobuf JSON's string spellings, since JSON has no literal for them.
bool ParseYamlFloat(const std::string& s, json* out) {
  std::string_view text = s;
  std::string_view sign;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    sign = text.substr(0, 1);
    text.remove_prefix(1);
  }
  if (text == ".inf" || text == ".Inf" || text == ".INF") {
    *out = sign == "-" ? "-Infinity" : "Infinity";
    return true;
  }
  if (sign.empty() && (text == ".nan" || text == ".NaN" || text == ".NAN")) {
    *out = "NaN";
    return true;
  }
  bool digit_seen = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      digit_seen = true;
    } else if (c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') {
      return false;
    }
  }
  if (!digit_seen) return false;
  double v = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (r.ec != std::errc() || r.ptr != end) return false;
  *out = sign == "-" ? -v : v;
  return true;
}

// Message types whose protobuf JSON form is a single string.
bool IsStringFormWellKnownType(const std::string& full_name) {
  return full_name == "google.protobuf.Duration" || full_name == "google.protobuf.Timestamp" ||
         full_name == "google.protobuf.FieldMask";
}

// google.protobuf.{Double,Float,Int64,UInt64,Int32,UInt32,Bool,String,Bytes}Value: their
// JSON form is the wrapped scalar.
bool IsWrapperType(const pb::Descriptor& type) {
  return type.file()->name() == "google/protobuf/wrappers.proto";
}

// Types whose JSON form is arbitrary JSON: converted by the plain YAML rules.
bool IsFreeFormType(const std::string& full_name) {
  return full_name == "google.protobuf.Struct" || full_name == "google.protobuf.Value" ||
         full_name == "google.protobuf.ListValue" || full_name == "google.protobuf.Any";
}

// Protobuf's JSON parser accepts both the proto field name and its JSON (lowerCamel) name.
const pb::FieldDescriptor* FindField(const pb::Descriptor& type, const std::string& key) {
  if (const pb::FieldDescriptor* f = type.FindFieldByName(key)) return f;
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == key) return type.field(i);
  }
  return nullptr;
}

class Converter {
 public:
  Converter(std::string_view source_name, const YamlJsonLimits& limits)
      : source_name_(source_name), limits_(limits) {}

  absl::Status Message(const YAML::Node& node, const pb::Descriptor& type, int depth, json& out) {
    if (!node.IsMap()) return Generic(node, depth, out);
    out = json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;  // not a reference: it->first dies with the statement
      if (absl::Status s = CheckKey(key); !s.ok()) return s;
      const pb::FieldDescriptor* field = FindField(type, key.Scalar());
      json value;
      absl::Status status = field != nullptr ? Field(it->second, *field, depth + 1, value)
                                             : Node(it->second, nullptr, depth + 1, value);
      if (!status.ok()) return status;
      // Known fields are keyed by their proto name, so that "prefix_rewrite" and
      // "prefixRewrite" in one mapping are caught as the duplicate they are.
      const std::string& name = field != nullptr ? field->name() : key.Scalar();
      if (!out.emplace(name, std::move(value)).second) {
        return Error(key.Mark(), absl::StrCat("duplicate key \"", name, "\""));
      }
    }
    return absl::OkStatus();
  }

 private:
  // A field's value: a list for repeated fields, an object for map fields.
  absl::Status Field(const YAML::Node& node, const pb::FieldDescriptor& field, int depth,
                     json& out) {
    if (field.is_map() && node.IsMap()) {
      const pb::FieldDescriptor& value_field = *field.message_type()->map_value();
      out = json::object();
      for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node key = it->first;  // not a reference: it->first dies with the statement
        if (absl::Status s = CheckKey(key); !s.ok()) return s;
        json value;
        if (absl::Status s = Node(it->second, &value_field, depth + 1, value); !s.ok()) return s;
        if (!out.emplace(key.Scalar(), std::move(value)).second) {
          return Error(key.Mark(), absl::StrCat("duplicate key \"", key.Scalar(), "\""));
        }
      }
      return absl::OkStatus();
    }
    if (field.is_repeated() && node.IsSequence()) {
      out = json::array();
      for (const YAML::Node& element : node) {
        json value;
        if (absl::Status s = Node(element, &field, depth + 1, value); !s.ok()) return s;
        out.push_back(std::move(value));
      }
      return absl::OkStatus();
    }
    // Anything else, including a scalar where a list belongs, is converted as a single
    // value and left for protobuf to judge.
    return Node(node, &field, depth, out);
  }

  // One value of `field`'s element type, or free-form when `field` is null.
  absl::Status Node(const YAML::Node& node, const pb::FieldDescriptor* field, int depth,
                    json& out) {
    if (depth > limits_.max_depth) {
      return Error(node.Mark(), absl::StrCat("nesting deeper than ", limits_.max_depth));
    }
    if (++nodes_ > limits_.max_nodes) {
      return Error(node.Mark(), absl::StrCat("document expands to more than ", limits_.max_nodes,
                                             " nodes (through aliases?)"));
    }
    if (node.IsNull()) {
      out = nullptr;
      return absl::OkStatus();
    }
    if (node.IsScalar() && !IsValidUtf8(node.Scalar())) {
      return Error(node.Mark(), "text is not valid UTF-8");
    }
    if (field == nullptr) return Generic(node, depth, out);
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!node.IsScalar()) return Generic(node, depth, out);
      out = Scalar(node, *field);
      return absl::OkStatus();
    }
    const pb::Descriptor& type = *field->message_type();
    if (IsStringFormWellKnownType(type.full_name())) {
      if (!node.IsScalar()) return Generic(node, depth, out);
      out = node.Scalar();
      return absl::OkStatus();
    }
    if (IsWrapperType(type) && node.IsScalar()) {
      out = Scalar(node, *type.FindFieldByName("value"));
      return absl::OkStatus();
    }
    if (IsFreeFormType(type.full_name())) return Generic(node, depth, out);
    return Message(node, type, depth, out);
  }

  // Plain YAML typing, for values the schema says nothing about.
  absl::Status Generic(const YAML::Node& node, int depth, json& out) {
    switch (node.Type()) {
      case YAML::NodeType::Map:
        out = json::object();
        for (auto it = node.begin(); it != node.end(); ++it) {
          const YAML::Node key = it->first;  // not a reference: it->first dies with the statement
          if (absl::Status s = CheckKey(key); !s.ok()) return s;
          json value;
          if (absl::Status s = Node(it->second, nullptr, depth + 1, value); !s.ok()) return s;
          if (!out.emplace(key.Scalar(), std::move(value)).second) {
            return Error(key.Mark(), absl::StrCat("duplicate key \"", key.Scalar(), "\""));
          }
        }
        return absl::OkStatus();
      case YAML::NodeType::Sequence:
        out = json::array();
        for (const YAML::Node& element : node) {
          json value;
          if (absl::Status s = Node(element, nullptr, depth + 1, value); !s.ok()) return s;
          out.push_back(std::move(value));
        }
        return absl::OkStatus();
      case YAML::NodeType::Scalar: {
        const std::string& s = node.Scalar();
        // A plain scalar may be a bool or a number; anything else is a string.
        if (IsPlain(node)) {
          bool b = false;
          if (ParseYamlBool(s, &b)) {
            out = b;
            return absl::OkStatus();
          }
          if (ParseYamlInt(s, &out) || ParseYamlFloat(s, &out)) return absl::OkStatus();
        }
        out = s;
        return absl::OkStatus();
      }
      default:
        out = nullptr;
        return absl::OkStatus();
    }
  }

  // A scalar for a non-message field. What does not parse as the field's type is passed on
  // as a string, which protobuf either accepts (numbers in strings) or rejects with its
  // own message.
  static json Scalar(const YAML::Node& node, const pb::FieldDescriptor& field) {
    const std::string& s = node.Scalar();
    const bool plain = IsPlain(node);
    json out;
    switch (field.cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_BOOL: {
        bool b = false;
        if (plain && ParseYamlBool(s, &b)) return b;
        return s;
      }
      case pb::FieldDescriptor::CPPTYPE_INT32:
      case pb::FieldDescriptor::CPPTYPE_INT64:
      case pb::FieldDescriptor::CPPTYPE_UINT32:
      case pb::FieldDescriptor::CPPTYPE_UINT64:
      case pb::FieldDescriptor::CPPTYPE_ENUM:
        if (plain && ParseYamlInt(s, &out)) return out;
        return s;
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
      case pb::FieldDescriptor::CPPTYPE_FLOAT:
        if (plain && (ParseYamlInt(s, &out) || ParseYamlFloat(s, &out))) return out;
        return s;
      default:  // string, bytes
        return s;
    }
  }

  absl::Status CheckKey(const YAML::Node& key) const {
    if (!key.IsScalar()) return Error(key.Mark(), "mapping keys must be scalars");
    if (!IsValidUtf8(key.Scalar())) return Error(key.Mark(), "text is not valid UTF-8");
    return absl::OkStatus();
  }

  // yaml-cpp tags plain (unquoted, untagged) scalars "?" and quoted ones "!".
  static bool IsPlain(const YAML::Node& node) { return node.Tag() == "?"; }

  absl::Status Error(const YAML::Mark& mark, std::string_view message) const {
    if (mark.is_null()) {
      return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source_name_), ": ", ToAbsl(message)));
    }
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source_name_), ":", mark.line + 1, ":",
                                                   mark.column + 1, ": ", ToAbsl(message)));
  }

  std::string_view source_name_;
  YamlJsonLimits limits_;
  size_t nodes_ = 0;
};

// Whether a YAML reader (1.1 or 1.2) would read the plain scalar `s` as something other
// than a string.
bool LooksLikeNonString(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return true;
  static constexpr const char* kYaml11Bools[] = {"y",  "Y",   "yes", "Yes", "YES", "n",
                                                 "N",  "no",  "No",  "NO",  "on",  "On",
                                                 "ON", "off", "Off", "OFF"};
  for (const char* word : kYaml11Bools) {
    if (s == word) return true;
  }
  bool b = false;
  json number;
  return ParseYamlBool(s, &b) || ParseYamlInt(s, &number) || ParseYamlFloat(s, &number);
}

// Whether `s` can be written as a plain (unquoted) scalar and read back as the same
// string by any YAML 1.1 or 1.2 reader. Deliberately narrow: a letter, '_', '/' or '.'
// first (no indicator, digit or sign), then only characters with no meaning in block
// context. Anything else is double-quoted, which costs nothing but looks.
bool IsSafePlain(const std::string& s) {
  if (s.empty() || LooksLikeNonString(s)) return false;
  const auto first_ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '/' || c == '.';
  };
  const auto rest_ok = [&first_ok](char c) {
    return first_ok(c) || (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '=' || c == '@';
  };
  if (!first_ok(s[0])) return false;
  for (char c : s) {
    if (!rest_ok(c)) return false;
  }
  return true;
}

// The code point of the UTF-8 sequence at s[i], and its length; {-1, 1} for a byte that
// does not start a valid sequence (protobuf's JSON output never has one).
std::pair<int32_t, size_t> DecodeUtf8(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t length = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (length == 0 || s.size() - i < length || !IsValidUtf8(s.substr(i, length))) return {-1, 1};
  int32_t code = c & (0x7F >> length);
  for (size_t k = 1; k < length; ++k) code = (code << 6) | (s[i + k] & 0x3F);
  return {code, length};
}

// Appends `s` as a YAML double-quoted scalar. Written here rather than by yaml-cpp's
// emitter, which in Debian's 0.7 writes some strings so that its own parser reads them
// back differently (a trailing CR as a plain scalar; U+FFFF followed by NUL loses the
// character after; both found by tools/fuzz). Escaped: the quote and backslash, C0 and
// C1 controls, DEL, the Unicode line and paragraph separators, the byte-order mark and
// the non-characters U+FFFE/U+FFFF, none of which YAML allows raw in a document.
void AppendQuoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    const auto [code, length] = DecodeUtf8(s, i);
    if (code < 0) {
      out += "\\uFFFD";  // unreachable for protobuf output; never writes invalid UTF-8
    } else if (code <= 0x9F || code == 0x2028 || code == 0x2029 || code == 0xFEFF ||
               code == 0xFFFE || code == 0xFFFF) {
      absl::StrAppend(&out, "\\u", absl::Hex(code, absl::kZeroPad4));
    } else {
      out.append(s.substr(i, length));
    }
    i += length;
  }
  out.push_back('"');
}

void AppendString(std::string& out, const std::string& s) {
  if (IsSafePlain(s)) {
    out += s;
  } else {
    AppendQuoted(out, s);
  }
}

bool IsEmptyOrScalar(const ordered_json& value) { return !value.is_structured() || value.empty(); }

// A scalar, or an empty mapping or sequence in flow style.
void AppendScalar(std::string& out, const ordered_json& value) {
  switch (value.type()) {
    case ordered_json::value_t::object:
      out += "{}";
      break;
    case ordered_json::value_t::array:
      out += "[]";
      break;
    case ordered_json::value_t::string:
      AppendString(out, value.get_ref<const std::string&>());
      break;
    case ordered_json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      break;
    case ordered_json::value_t::number_integer:
    case ordered_json::value_t::number_unsigned:
    case ordered_json::value_t::number_float:
      out += value.dump();  // shortest form that reads back to the same number
      break;
    default:
      out += "null";
      break;
  }
}

void AppendBlock(std::string& out, const ordered_json& value, size_t indent, bool first_inline);

// After "key:" or "- ": a scalar on the same line, a mapping or sequence below it. A
// mapping in a sequence item starts on the item's line ("- name: a").
void AppendValue(std::string& out, const ordered_json& value, size_t indent, bool after_dash) {
  if (IsEmptyOrScalar(value)) {
    if (!after_dash) out.push_back(' ');
    AppendScalar(out, value);
    out.push_back('\n');
    return;
  }
  if (after_dash) {
    AppendBlock(out, value, indent, /*first_inline=*/true);
    return;
  }
  out.push_back('\n');
  AppendBlock(out, value, indent + 2, /*first_inline=*/false);
}

// A non-empty mapping or sequence in block style, each line indented by `indent` spaces
// except the first when it continues a "- " already written.
void AppendBlock(std::string& out, const ordered_json& value, size_t indent, bool first_inline) {
  bool first = true;
  const auto start_line = [&] {
    if (!(first && first_inline)) out.append(indent, ' ');
    first = false;
  };
  if (value.is_object()) {
    for (const auto& [key, child] : value.items()) {
      start_line();
      AppendString(out, key);
      out.push_back(':');
      AppendValue(out, child, indent, /*after_dash=*/false);
    }
    return;
  }
  for (const ordered_json& child : value) {
    start_line();
    out += "- ";
    AppendValue(out, child, indent + 2, /*after_dash=*/true);
  }
}

}  // namespace

absl::StatusOr<json> YamlToJson(const YAML::Node& node, const pb::Descriptor& type,
                                std::string_view source_name, const YamlJsonLimits& limits) {
  Converter converter(source_name, limits);
  json out;
  try {
    if (absl::Status s = converter.Message(node, type, 0, out); !s.ok()) return s;
  } catch (const std::exception& e) {
    // yaml-cpp reports misuse of its node API by throwing; nothing here should trigger
    // it, but no exception may leave configuration code.
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source_name), ": ", e.what()));
  }
  return out;
}

std::string JsonToYaml(const ordered_json& json) {
  std::string out;
  if (IsEmptyOrScalar(json)) {
    AppendScalar(out, json);
    out.push_back('\n');
  } else {
    AppendBlock(out, json, 0, /*first_inline=*/false);
  }
  return out;
}

}  // namespace switchyard::config
