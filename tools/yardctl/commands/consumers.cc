// yardctl consumers: who calls the API (docs/auth.md), with the names of their API keys.
// Key hashes are never shown: Get sends them redacted, and they are dropped here as well.
#include <ostream>

#include "absl/strings/str_cat.h"
#include "switchyard/config/loader.h"
#include "tools/yardctl/commands/command_util.h"
#include "tools/yardctl/commands/commands.h"
#include "tools/yardctl/snapshot_view.h"

namespace switchyard::yardctl {
namespace {

// The consumers of `snapshot` with their keys reduced to names.
v1::Snapshot ConsumersOnly(const v1::Snapshot& snapshot) {
  v1::Snapshot shown;
  *shown.mutable_consumers() = snapshot.consumers();
  for (v1::Consumer& consumer : *shown.mutable_consumers()) {
    for (v1::ApiKey& key : *consumer.mutable_api_keys()) key.clear_sha256();
  }
  return shown;
}

ExitCode RunConsumers(const ParsedArgs& args, CommandContext& context) {
  absl::StatusOr<OutputFormat> format =
      ParseOutputFormat(args, {OutputFormat::kTable, OutputFormat::kYaml, OutputFormat::kJson});
  if (!format.ok()) return Fail(context, ExitCode::kUsage, std::string(format.status().message()));
  absl::StatusOr<std::optional<uint64_t>> version = OptionalVersionFlag(args, "version");
  if (!version.ok()) {
    return Fail(context, ExitCode::kUsage, std::string(version.status().message()));
  }

  absl::StatusOr<v1::GetResponse> response;
  if (const ExitCode got = GetVersion(context, *version, response); got != ExitCode::kOk) {
    return got;
  }

  const v1::Snapshot shown = ConsumersOnly(response->snapshot());
  if (*format == OutputFormat::kTable) {
    context.out() << ConsumerTable(shown).Render();
    return ExitCode::kOk;
  }
  const bool yaml = *format == OutputFormat::kYaml;
  // Protobuf leaves an empty list out; a script is better served by an empty list.
  if (shown.consumers().empty()) {
    context.out() << (yaml ? "consumers: []\n" : "{\n  \"consumers\": []\n}\n");
    return ExitCode::kOk;
  }
  const std::string text = yaml ? config::SnapshotToYaml(shown) : config::SnapshotToJson(shown);
  context.out() << text;
  if (!text.empty() && text.back() != '\n') context.out() << "\n";
  return ExitCode::kOk;
}

}  // namespace

Command ConsumersCommand() {
  return {
      .name = "consumers",
      .synopsis = "consumers [--version N] [-o table|yaml|json]",
      .summary = "list the consumers and the names of their API keys",
      .details =
          "Lists the consumers of the current version (or version N): who calls the API\n"
          "(docs/auth.md). As a table: NAME, GROUPS and KEYS, the names of the consumer's\n"
          "API keys; long lists are cut after 6 items (`yardctl keys list CONSUMER` shows\n"
          "every key). Key hashes are never shown.\n"
          "\n"
          "-o yaml and -o json print the consumers with the field names of the snapshot file\n"
          "(name, groups, metadata, api_keys with their names only), so `yq` and `jq` paths\n"
          "are those of `yardctl get -o yaml`. This is a listing, not a file for `apply`:\n"
          "edit consumers in the output of `yardctl get -o yaml`, and manage keys with\n"
          "`yardctl keys`.\n"
          "\n"
          "Examples:\n"
          "  yardctl consumers\n"
          "  yardctl consumers -o json | jq -r '.consumers[].name'\n",
      .flags = {{.name = "version",
                 .value_name = "N",
                 .help = "a stored version (default: the current one)"},
                OutputFlag({OutputFormat::kTable, OutputFormat::kYaml, OutputFormat::kJson})},
      .run = RunConsumers,
  };
}

}  // namespace switchyard::yardctl
