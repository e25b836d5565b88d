#include "tools/yardctl/admin_view.h"

#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "tools/yardctl/display.h"
#include "tools/yardctl/table.h"

namespace switchyard::yardctl {
namespace {

using Json = nlohmann::ordered_json;

std::string_view KindSymbol(v1::ResourceChange::Kind kind) {
  switch (kind) {
    case v1::ResourceChange::ADDED:
      return "+";
    case v1::ResourceChange::REMOVED:
      return "-";
    case v1::ResourceChange::CHANGED:
      return "~";
    default:
      return "?";
  }
}

// nlohmann::json::dump() throws on invalid UTF-8; the server should never send that,
// but a CLI must not crash on it either, so such bytes are replaced.
std::string DumpJson(const Json& json) {
  return json.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Json TimeOrNull(const google::protobuf::Timestamp& timestamp) {
  std::string text = FormatTimeRfc3339(timestamp);
  return text.empty() ? Json(nullptr) : Json(std::move(text));
}

std::string Labels(const google::protobuf::Map<std::string, std::string>& labels) {
  // Sorted, so the same proxy always prints the same way (proto maps are unordered).
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  std::vector<std::string> parts;
  parts.reserve(sorted.size());
  for (const auto& [key, value] : sorted) parts.push_back(absl::StrCat(key, "=", value));
  return parts.empty() ? "-" : absl::StrJoin(parts, ",");
}

}  // namespace

bool IsBehind(const v1::ProxyStatus& proxy, uint64_t current_version) {
  return proxy.running_version() < current_version;
}

std::string DiffText(const v1::DiffResponse& diff) {
  if (diff.changes().empty()) {
    return absl::StrCat("no changes against version ", diff.against_version(), "\n");
  }
  Table table;
  int added = 0, changed = 0, removed = 0;
  for (const v1::ResourceChange& change : diff.changes()) {
    table.AddRow({std::string(KindSymbol(change.kind())), change.resource_type(), change.name()});
    added += change.kind() == v1::ResourceChange::ADDED;
    changed += change.kind() == v1::ResourceChange::CHANGED;
    removed += change.kind() == v1::ResourceChange::REMOVED;
  }
  return absl::StrCat("against version ", diff.against_version(), ":\n", table.Render("  "),
                      diff.changes_size(), diff.changes_size() == 1 ? " change" : " changes", ": ",
                      added, " added, ", changed, " changed, ", removed, " removed\n");
}

std::string HistoryTable(const v1::HistoryResponse& history) {
  if (history.versions().empty()) return "no versions stored yet\n";
  Table table({"VERSION", "CREATED", "AUTHOR", "MESSAGE"});
  for (const v1::VersionInfo& info : history.versions()) {
    std::string message = info.message();
    if (info.rolled_back_from() != 0) {
      message = absl::StrCat("(rollback to ", info.rolled_back_from(), ")",
                             message.empty() ? "" : " ", message);
    }
    table.AddRow({absl::StrCat(info.version()), FormatTimeForTable(info.created()),
                  info.author().empty() ? "-" : info.author(), message});
  }
  return table.Render();
}

std::string HistoryJson(const v1::HistoryResponse& history) {
  Json versions = Json::array();
  for (const v1::VersionInfo& info : history.versions()) {
    Json entry = {{"version", info.version()},
                  {"created", TimeOrNull(info.created())},
                  {"author", info.author()},
                  {"message", info.message()}};
    if (info.rolled_back_from() != 0) entry["rolled_back_from"] = info.rolled_back_from();
    versions.push_back(std::move(entry));
  }
  return DumpJson(Json{{"versions", std::move(versions)}});
}

std::string StatusText(const v1::StatusResponse& status, absl::Time now) {
  const uint64_t current = status.current_version();
  std::string out = absl::StrCat("current version: ", current, "\n");
  if (status.proxies().empty()) {
    return out + "no proxies have connected\n";
  }
  Table table(
      {"NODE", "GROUP", "LABELS", "CONNECTED", "SINCE", "LAST SEEN", "VERSION", "REJECTED"});
  std::vector<const v1::ProxyStatus*> rejected;
  int behind = 0;
  for (const v1::ProxyStatus& proxy : status.proxies()) {
    const bool is_behind = IsBehind(proxy, current);
    behind += is_behind;
    std::string running =
        proxy.running_version() == 0 ? "none" : absl::StrCat(proxy.running_version());
    if (is_behind) running += " (behind)";
    if (proxy.last_rejected_version() != 0) rejected.push_back(&proxy);
    table.AddRow(
        {proxy.node_id(), proxy.group().empty() ? "-" : proxy.group(), Labels(proxy.labels()),
         proxy.connected() ? "yes" : "no",
         proxy.connected() ? FormatAge(proxy.connected_since(), now) : "-",
         proxy.has_last_seen() ? FormatAge(proxy.last_seen(), now) + " ago" : "-", running,
         proxy.last_rejected_version() == 0 ? "-" : absl::StrCat(proxy.last_rejected_version())});
  }
  absl::StrAppend(&out, "\n", table.Render());
  if (!rejected.empty()) out += "\n";
  for (const v1::ProxyStatus* proxy : rejected) {
    absl::StrAppend(&out,
                    EscapeControl(absl::StrCat(proxy->node_id(), " rejected version ",
                                               proxy->last_rejected_version(), ": ",
                                               proxy->last_rejected_error())),
                    "\n");
  }
  const int total = status.proxies_size();
  if (behind == 0) {
    absl::StrAppend(&out, "\n",
                    total == 1 ? "the proxy runs" : absl::StrCat("all ", total, " proxies run"),
                    " the current version ", current, "\n");
  } else {
    absl::StrAppend(&out, "\n", behind, " of ", total, total == 1 ? " proxy is" : " proxies are",
                    " behind the current version ", current, "\n");
  }
  return out;
}

std::string StatusJson(const v1::StatusResponse& status) {
  Json proxies = Json::array();
  for (const v1::ProxyStatus& proxy : status.proxies()) {
    Json labels = Json::object();
    std::map<std::string, std::string> sorted(proxy.labels().begin(), proxy.labels().end());
    for (const auto& [key, value] : sorted) labels[key] = value;
    proxies.push_back({{"node_id", proxy.node_id()},
                       {"group", proxy.group()},
                       {"labels", std::move(labels)},
                       {"build_version", proxy.build_version()},
                       {"connected", proxy.connected()},
                       {"connected_since", TimeOrNull(proxy.connected_since())},
                       {"last_seen", TimeOrNull(proxy.last_seen())},
                       {"running_version", proxy.running_version()},
                       {"last_rejected_version", proxy.last_rejected_version()},
                       {"last_rejected_error", proxy.last_rejected_error()},
                       {"behind", IsBehind(proxy, status.current_version())}});
  }
  return DumpJson(
      Json{{"current_version", status.current_version()}, {"proxies", std::move(proxies)}});
}

}  // namespace switchyard::yardctl
