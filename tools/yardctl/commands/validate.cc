// yardctl validate: the shared loader and validation rules, offline. It never opens a
// connection, so it works in CI and on a laptop without a control plane.
#include <ostream>

#include "absl/strings/str_cat.h"
#include "common/ascii.h"
#include "tools/yardctl/commands/command_util.h"
#include "tools/yardctl/commands/commands.h"

namespace switchyard::yardctl {
namespace {

std::string Count(int n, std::string_view one, std::string_view many) {
  return absl::StrCat(n, " ", ToAbsl(n == 1 ? one : many));
}

ExitCode RunValidate(const ParsedArgs& args, CommandContext& context) {
  const std::string path = *args.Get("file");
  LoadedSnapshot loaded = LoadAndValidate(context, path, "", /*for_the_server=*/false);
  if (loaded.failure != ExitCode::kOk) return loaded.failure;
  int routes = 0;
  for (const auto& vhost : loaded.snapshot.virtual_hosts()) routes += vhost.routes_size();
  context.out() << "OK: " << (path == "-" ? "<stdin>" : path) << " ("
                << Count(loaded.snapshot.virtual_hosts_size(), "virtual host", "virtual hosts")
                << ", " << Count(routes, "route", "routes") << ", "
                << Count(loaded.snapshot.clusters_size(), "cluster", "clusters") << ")\n";
  return ExitCode::kOk;
}

}  // namespace

Command ValidateCommand() {
  return {
      .name = "validate",
      .synopsis = "validate -f FILE",
      .summary = "check a snapshot file offline, with the same rules as the control plane",
      .details =
          "Loads FILE (YAML or JSON, the schema of snapshot.proto) and validates it with the\n"
          "library the control plane and the proxy use, so a file that passes here is not\n"
          "refused for its content by either. Needs no control plane.\n"
          "\n"
          "Prints \"OK: FILE (...)\" with a count of resources, or every problem on stderr,\n"
          "one per line, naming the resource and the field:\n"
          "  virtual_hosts[api].routes[users].route.cluster: unknown cluster \"blu\"\n"
          "\n"
          "Examples:\n"
          "  yardctl validate -f snapshot.yaml\n"
          "  yardctl get -o yaml | yardctl validate -f -\n",
      .flags = {FileFlag("snapshot file to check (\"-\" reads stdin)")},
      .offline = true,
      .run = RunValidate,
  };
}

}  // namespace switchyard::yardctl
