#include "switchyard/config/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/ascii.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "switchyard/config/yaml_json.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace switchyard::config {
namespace {

// Protobuf's JSON for `snapshot` with the field names users write (virtual_hosts, not
// virtualHosts): the common first step of SnapshotToJson and SnapshotToYaml. "" on failure.
std::string ProtoJson(const v1::Snapshot& snapshot) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(snapshot, &out, options).ok()) return "";
  return out;
}

absl::Status YamlError(std::string_view source_name, const YAML::Mark& mark,
                       std::string_view message) {
  if (mark.is_null()) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source_name), ": ", ToAbsl(message)));
  }
  return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source_name), ":", mark.line + 1, ":",
                                                 mark.column + 1, ": ", ToAbsl(message)));
}

// Where each document of a YAML stream starts; nothing else is kept.
class DocumentCounter final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  std::vector<YAML::Mark> starts;
};

// The text must hold one YAML document. Counted with a parser of our own rather than
// YAML::LoadAll, which in Debian's yaml-cpp 0.7 never returns on a ',' outside a flow
// collection (",", "- a\n,"; found by tools/fuzz): the parser then yields the same empty
// document again and again without moving, and LoadAll keeps every one of them.
absl::Status CheckSingleDocument(std::string_view text, std::string_view source_name) {
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  DocumentCounter counter;
  while (parser.HandleNextDocument(counter)) {
    const std::vector<YAML::Mark>& starts = counter.starts;
    if (starts.size() >= 2 && starts[starts.size() - 1].pos == starts[starts.size() - 2].pos) {
      return YamlError(source_name, starts.back(), "unexpected character");
    }
    if (starts.size() > 1) {
      return YamlError(source_name, starts[1], "expected one YAML document, found 2 or more");
    }
  }
  return absl::OkStatus();
}

// Parses the YAML text and returns its single document, which must be a mapping.
absl::StatusOr<YAML::Node> LoadDocument(std::string_view text, std::string_view source_name) {
  YAML::Node document;
  try {
    if (absl::Status single = CheckSingleDocument(text, source_name); !single.ok()) return single;
    document = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return YamlError(source_name, e.mark, e.msg);
  } catch (const std::exception& e) {
    return YamlError(source_name, YAML::Mark::null_mark(), e.what());
  }
  if (!document.IsDefined() || document.IsNull()) {
    return YamlError(source_name, YAML::Mark::null_mark(), "document is empty");
  }
  if (!document.IsMap()) {
    return YamlError(source_name, document.Mark(),
                     "the document must be a mapping of Snapshot fields");
  }
  return document;
}

// "<source>:<line>:<column>" for a byte offset into `text`.
std::string Position(std::string_view text, std::string_view source_name, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return absl::StrCat(ToAbsl(source_name), ":", line, ":", offset - line_start + 1);
}

// A document whose first character (after whitespace) is '{' is JSON, parsed by
// nlohmann::json, strict and linear, instead of yaml-cpp: Debian's yaml-cpp 0.7 spins,
// allocating without end, on some malformed flow mappings (tools/fuzz's snapshot_loader
// target found one of 28 bytes). A duplicate key is an error, as in YAML.
bool LooksLikeJson(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{';
}

absl::StatusOr<nlohmann::json> ParseJsonDocument(std::string_view text,
                                                 std::string_view source_name) {
  std::vector<std::vector<std::string>> keys;  // per open object
  std::string duplicate;
  auto track_keys = [&](int /*depth*/, nlohmann::json::parse_event_t event,
                        nlohmann::json& parsed) {
    switch (event) {
      case nlohmann::json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case nlohmann::json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case nlohmann::json::parse_event_t::key: {
        const std::string& key = parsed.get_ref<const std::string&>();
        if (std::find(keys.back().begin(), keys.back().end(), key) != keys.back().end() &&
            duplicate.empty()) {
          duplicate = key;
        }
        keys.back().push_back(key);
        break;
      }
      default:
        break;
    }
    return true;
  };
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.begin(), text.end(), track_keys);
  } catch (const nlohmann::json::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(Position(text, source_name, e.byte == 0 ? 0 : e.byte - 1), ": ", e.what()));
  } catch (const nlohmann::json::exception& e) {
    // out_of_range: a number too large for any field.
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source_name), ": ", e.what()));
  }
  if (!duplicate.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(source_name), ": duplicate key \"", duplicate, "\""));
  }
  return json;
}

}  // namespace

absl::StatusOr<v1::Snapshot> ParseSnapshot(std::string_view text, std::string_view source_name) {
  if (text.size() > kMaxSnapshotBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(source_name), ": larger than ", kMaxSnapshotBytes, " bytes"));
  }
  absl::StatusOr<nlohmann::json> json;
  if (LooksLikeJson(text)) {
    json = ParseJsonDocument(text, source_name);
  } else {
    absl::StatusOr<YAML::Node> document = LoadDocument(text, source_name);
    if (!document.ok()) return document.status();
    json = YamlToJson(*document, *v1::Snapshot::descriptor(), source_name);
  }
  if (!json.ok()) return json.status();

  std::string json_text;
  try {
    json_text = json->dump();
  } catch (const nlohmann::json::exception& e) {
    // dump() refuses strings that are not UTF-8, as protobuf would.
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source_name), ": ", e.what()));
  }

  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  v1::Snapshot snapshot;
  const auto status = google::protobuf::util::JsonStringToMessage(json_text, &snapshot, options);
  if (!status.ok()) {
    const auto message = status.message();
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(source_name), ": ", absl::string_view(message.data(), message.size())));
  }
  return snapshot;
}

absl::StatusOr<v1::Snapshot> LoadSnapshotFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
  // Closes the descriptor on every return below.
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot stat ", path));
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  if (static_cast<size_t>(st.st_size) > kMaxSnapshotBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than ", kMaxSnapshotBytes, " bytes"));
  }

  // Reads to end of file rather than trusting st_size, which may change under us; one byte
  // beyond the limit is enough to know the file is too large.
  std::string text;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, absl::StrCat("cannot read ", path));
    }
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxSnapshotBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": larger than ", kMaxSnapshotBytes, " bytes"));
    }
  }
  return ParseSnapshot(text, path);
}

std::string SnapshotToJson(const v1::Snapshot& snapshot) {
  const std::string out = ProtoJson(snapshot);
  if (out.empty()) return "";
  // Protobuf indents by one space; re-indent by two, keeping the field order.
  try {
    return nlohmann::ordered_json::parse(out).dump(2) + "\n";
  } catch (const std::exception&) {
    return out;
  }
}

std::string SnapshotToYaml(const v1::Snapshot& snapshot) {
  const std::string json_text = ProtoJson(snapshot);
  if (json_text.empty()) return "";
  try {
    return JsonToYaml(nlohmann::ordered_json::parse(json_text));
  } catch (const std::exception&) {
    // Protobuf's own output always parses; this only keeps exceptions inside.
    return "";
  }
}

}  // namespace switchyard::config
