// yardctl get: show a stored version as tables, or as a snapshot file for `apply`.
#include <ostream>

#include "absl/strings/str_cat.h"
#include "switchyard/config/loader.h"
#include "tools/yardctl/commands/command_util.h"
#include "tools/yardctl/commands/commands.h"
#include "tools/yardctl/snapshot_view.h"

namespace switchyard::yardctl {
namespace {

enum class Resource { kAll, kVirtualHosts, kRoutes, kClusters, kCertificates };

absl::StatusOr<Resource> ParseResource(const ParsedArgs& args) {
  if (args.positional().empty()) return Resource::kAll;
  const std::string& name = args.positional()[0];
  if (name == "all") return Resource::kAll;
  if (name == "vhosts" || name == "vhost" || name == "virtual_hosts") {
    return Resource::kVirtualHosts;
  }
  if (name == "routes" || name == "route") return Resource::kRoutes;
  if (name == "clusters" || name == "cluster") return Resource::kClusters;
  if (name == "certificates" || name == "certificate" || name == "certs") {
    return Resource::kCertificates;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown resource \"", name, "\": use routes, clusters, vhosts, certificates or all"));
}

void PrintSection(CommandContext& context, std::string_view title, const Table& table) {
  context.out() << "\n" << title << "\n";
  if (table.rows() == 0) {
    context.out() << "(none)\n";
  } else {
    context.out() << table.Render();
  }
}

ExitCode RunGet(const ParsedArgs& args, CommandContext& context) {
  absl::StatusOr<Resource> resource = ParseResource(args);
  if (!resource.ok()) {
    return Fail(context, ExitCode::kUsage, std::string(resource.status().message()));
  }
  absl::StatusOr<OutputFormat> format =
      ParseOutputFormat(args, {OutputFormat::kTable, OutputFormat::kYaml, OutputFormat::kJson});
  if (!format.ok()) return Fail(context, ExitCode::kUsage, std::string(format.status().message()));
  absl::StatusOr<std::optional<uint64_t>> version = OptionalVersionFlag(args, "version");
  if (!version.ok()) {
    return Fail(context, ExitCode::kUsage, std::string(version.status().message()));
  }
  // A file holding only the clusters is a valid snapshot with no routes: applying it
  // would delete every route. So the file formats always hold the whole snapshot.
  if (*format != OutputFormat::kTable && *resource != Resource::kAll) {
    return Fail(context, ExitCode::kUsage,
                "-o yaml and -o json print the whole snapshot (what `apply` takes); drop the "
                "resource name, and select parts with a tool such as jq or yq");
  }

  absl::StatusOr<v1::GetResponse> response;
  if (const ExitCode got = GetVersion(context, *version, response); got != ExitCode::kOk) {
    return got;
  }

  const v1::Snapshot& snapshot = response->snapshot();
  if (*format != OutputFormat::kTable) {
    const std::string text = *format == OutputFormat::kYaml ? config::SnapshotToYaml(snapshot)
                                                            : config::SnapshotToJson(snapshot);
    if (text.empty()) {
      return Fail(context, ExitCode::kError,
                  absl::StrCat("version ", response->info().version(), " cannot be written as ",
                               *format == OutputFormat::kYaml ? "YAML" : "JSON",
                               " (a duration outside protobuf's range)"));
    }
    context.out() << text;
    if (text.back() != '\n') context.out() << "\n";
    return ExitCode::kOk;
  }

  context.out() << DescribeVersion(response->info()) << "\n";
  if (*resource == Resource::kAll || *resource == Resource::kVirtualHosts) {
    PrintSection(context, "VIRTUAL HOSTS", VirtualHostTable(snapshot));
  }
  if (*resource == Resource::kAll || *resource == Resource::kRoutes) {
    PrintSection(context, "ROUTES", RouteTable(snapshot));
  }
  if (*resource == Resource::kAll || *resource == Resource::kClusters) {
    PrintSection(context, "CLUSTERS", ClusterTable(snapshot));
  }
  // In "all" only when there are some: most snapshots serve plaintext behind a balancer
  // that terminates TLS.
  if (*resource == Resource::kCertificates ||
      (*resource == Resource::kAll && snapshot.certificates_size() > 0)) {
    PrintSection(context, "CERTIFICATES", CertificateTable(snapshot));
  }
  return ExitCode::kOk;
}

}  // namespace

Command GetCommand() {
  return {
      .name = "get",
      .synopsis =
          "get [routes|clusters|vhosts|certificates|all] [--version N] [-o table|yaml|json]",
      .summary = "show the current (or a stored) version",
      .details =
          "Shows the current version, or version N. As tables (the default):\n"
          "  vhosts    NAME DOMAINS ROUTES\n"
          "  routes    VHOST ROUTE MATCH CLUSTER(S) TIMEOUT\n"
          "  clusters  NAME PROTOCOL TLS ENDPOINTS\n"
          "  certificates  NAME DOMAINS SOURCE NOT AFTER CLIENT CERTS\n"
          "  all       all of them (the default; certificates only when there are some)\n"
          "MATCH reads \"prefix /users/ [GET,POST] x-tenant=acme !x-debug\": the path rule,\n"
          "the methods, then header rules (name=value exact, name^=value prefix, name~=regex,\n"
          "name present, !name absent or inverted). CLUSTER(S) shows weights as name:weight;\n"
          "TIMEOUT the timeout in effect (15s when unset, \"none\" when 0s). Long lists of\n"
          "domains or endpoints are cut after 6 items. SOURCE is \"inline\" or the\n"
          "cert_file path (NOT AFTER is then \"-\": only the proxies read the file);\n"
          "CLIENT CERTS the client certificate mode, \"+forward\" when the identity is\n"
          "passed upstream. Keys are never shown.\n"
          "\n"
          "-o yaml and -o json print the whole snapshot in the file format (no resource\n"
          "name allowed), so the output can be edited and given back to `apply`.\n"
          "\n"
          "Examples:\n"
          "  yardctl get routes\n"
          "  yardctl get clusters --version 3\n"
          "  yardctl get -o yaml > snapshot.yaml\n",
      .flags = {{.name = "version",
                 .value_name = "N",
                 .help = "a stored version (default: the current one)"},
                OutputFlag({OutputFormat::kTable, OutputFormat::kYaml, OutputFormat::kJson})},
      .max_positional = 1,
      .run = RunGet,
  };
}

}  // namespace switchyard::yardctl
