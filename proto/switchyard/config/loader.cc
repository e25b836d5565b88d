#include "switchyard/config/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/ascii.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "switchyard/config/yaml_json.h"
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

// Parses the YAML text and returns its single document, which must be a mapping.
absl::StatusOr<YAML::Node> LoadDocument(std::string_view text, std::string_view source_name) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return YamlError(source_name, e.mark, e.msg);
  } catch (const std::exception& e) {
    return YamlError(source_name, YAML::Mark::null_mark(), e.what());
  }
  if (documents.empty() || (documents.size() == 1 && documents[0].IsNull())) {
    return YamlError(source_name, YAML::Mark::null_mark(), "document is empty");
  }
  if (documents.size() > 1) {
    return YamlError(source_name, documents[1].Mark(),
                     absl::StrCat("expected one YAML document, found ", documents.size()));
  }
  if (!documents[0].IsMap()) {
    return YamlError(source_name, documents[0].Mark(),
                     "the document must be a mapping of Snapshot fields");
  }
  return std::move(documents[0]);
}

}  // namespace

absl::StatusOr<v1::Snapshot> ParseSnapshot(std::string_view text, std::string_view source_name) {
  if (text.size() > kMaxSnapshotBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(source_name), ": larger than ", kMaxSnapshotBytes, " bytes"));
  }
  absl::StatusOr<YAML::Node> document = LoadDocument(text, source_name);
  if (!document.ok()) return document.status();
  absl::StatusOr<nlohmann::json> json =
      YamlToJson(*document, *v1::Snapshot::descriptor(), source_name);
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
