#include "tools/yardctl/commands/command_util.h"

#include <istream>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ascii.h"
#include "switchyard/config/loader.h"
#include "switchyard/config/validate.h"

namespace switchyard::yardctl {
namespace {

constexpr std::string_view FormatName(OutputFormat format) {
  switch (format) {
    case OutputFormat::kTable:
      return "table";
    case OutputFormat::kYaml:
      return "yaml";
    case OutputFormat::kJson:
      return "json";
  }
  return "?";
}

std::string FormatNames(const std::vector<OutputFormat>& formats) {
  std::vector<std::string> names;
  names.reserve(formats.size());
  for (OutputFormat format : formats) names.emplace_back(FormatName(format));
  return absl::StrJoin(names, "|");
}

absl::StatusOr<v1::Snapshot> ReadSnapshot(CommandContext& context, const std::string& path) {
  if (path != "-") return config::LoadSnapshotFile(path);
  // Bounded like the loader's file reads: one byte past the limit is enough to refuse.
  std::string text;
  char buffer[64 * 1024];
  while (context.in().read(buffer, sizeof(buffer)) || context.in().gcount() > 0) {
    text.append(buffer, static_cast<size_t>(context.in().gcount()));
    if (text.size() > config::kMaxSnapshotBytes) break;
  }
  return config::ParseSnapshot(text, "<stdin>");
}

}  // namespace

FlagSpec FileFlag(std::string_view help) {
  return {.name = "file",
          .short_name = 'f',
          .value_name = "FILE",
          .help = std::string(help),
          .required = true};
}

ExitCode Fail(CommandContext& context, ExitCode code, std::string_view message,
              const std::vector<std::string>& hints) {
  context.err() << "error: " << message << "\n";
  for (const std::string& hint : hints) context.err() << hint << "\n";
  if (code == ExitCode::kUsage) {
    context.err() << "Run `yardctl " << context.command() << " --help` for usage.\n";
  }
  return code;
}

LoadedSnapshot LoadAndValidate(CommandContext& context, const std::string& path,
                               std::string_view offline_note, bool for_the_server) {
  LoadedSnapshot loaded;
  std::vector<std::string> notes;
  if (!offline_note.empty()) notes.emplace_back(offline_note);

  absl::StatusOr<v1::Snapshot> snapshot = ReadSnapshot(context, path);
  if (!snapshot.ok()) {
    // The loader's messages already start with the file name (and line:column).
    loaded.failure =
        Fail(context, ExitCode::kInvalidInput, std::string(snapshot.status().message()), notes);
    return loaded;
  }
  const std::vector<std::string> errors =
      config::ValidationErrors(*snapshot, {.redacted_keys_from_server = for_the_server});
  if (!errors.empty()) {
    const std::string source = path == "-" ? "<stdin>" : path;
    context.err() << "error: " << source << " is not a valid snapshot ("
                  << (errors.size() == 1 ? "1 problem" : absl::StrCat(errors.size(), " problems"))
                  << "):\n";
    for (const std::string& error : errors) context.err() << "  " << error << "\n";
    for (const std::string& note : notes) context.err() << note << "\n";
    loaded.failure = ExitCode::kInvalidInput;
    return loaded;
  }
  loaded.snapshot = *std::move(snapshot);
  loaded.snapshot.clear_version();
  return loaded;
}

ExitCode ReportRpcError(CommandContext& context, const absl::Status& status) {
  const GlobalOptions& global = context.global();
  const std::string where =
      absl::StrCat(global.server, global.server_source == "the default"
                                      ? " (the default address)"
                                      : absl::StrCat(" (from ", global.server_source, ")"));
  const ExitCode code = ExitCodeForStatus(status);
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      if (!IsConnectionFailure(status)) {
        return Fail(
            context, code,
            absl::StrCat("the control plane at ", where, " is unavailable: ", status.message()),
            {"It answered but cannot serve the request now (its store may be down): "
             "retry later, or check the control plane's logs."});
      }
      return Fail(context, code,
                  absl::StrCat("cannot reach the control plane at ", where, ": ", status.message()),
                  {"Check that switchyard-control is running and serving its admin API there, or "
                   "point yardctl at it with --server HOST:PORT or the YARDCTL_SERVER environment "
                   "variable.",
                   global.security.insecure
                       ? "You used --insecure: if that control plane serves TLS, give --ca "
                         "instead."
                       : "If the TLS handshake failed: --ca must be the CA that signed the "
                         "control plane's certificate, and the certificate must name the "
                         "--server host (or use --server-name); a control plane started with "
                         "--insecure needs --insecure."});
    case absl::StatusCode::kDeadlineExceeded:
      return Fail(context, code,
                  absl::StrCat("the control plane at ", where, " did not answer within ",
                               absl::FormatDuration(global.timeout)),
                  {"Retry with a longer --timeout, or check the control plane's logs."});
    case absl::StatusCode::kUnauthenticated:
      return Fail(context, code,
                  absl::StrCat("the control plane at ", where,
                               " does not know who you are: ", status.message()),
                  {"Give your token with --token-file FILE or YARDCTL_TOKEN, or `token-file` in "
                   "the config file; an admin makes one with `yardctl tokens create`."});
    case absl::StatusCode::kPermissionDenied:
      return Fail(context, code, absl::StrCat("denied: ", status.message()),
                  {"Ask an admin for a token with the role this needs."});
    case absl::StatusCode::kInvalidArgument:
      return Fail(context, code,
                  absl::StrCat("the control plane refused the request: ", status.message()));
    case absl::StatusCode::kUnimplemented:
      return Fail(context, code,
                  absl::StrCat("the server at ", where,
                               " does not implement this admin call: ", status.message()),
                  {"Is --server pointing at switchyard-control's admin port, and is that control "
                   "plane as new as this yardctl?"});
    default:
      return Fail(context, code,
                  absl::StrCat("the control plane answered ",
                               absl::StatusCodeToString(status.code()), ": ", status.message()));
  }
}

ExitCode ReportNotFound(CommandContext& context, const absl::Status& status,
                        std::string_view fallback, std::string_view hint) {
  return Fail(context, ExitCode::kError,
              status.message().empty() ? std::string(fallback) : std::string(status.message()),
              {std::string(hint)});
}

ExitCode GetVersion(CommandContext& context, std::optional<uint64_t> version,
                    absl::StatusOr<v1::GetResponse>& response) {
  v1::GetRequest request;
  request.set_version(version.value_or(0));
  response = context.client().Get(request);
  if (response.ok()) return ExitCode::kOk;
  if (response.status().code() != absl::StatusCode::kNotFound) {
    return ReportRpcError(context, response.status());
  }
  if (version.value_or(0) != 0) {
    return ReportNotFound(context, response.status(),
                          absl::StrCat("version ", *version, " does not exist"),
                          "Run `yardctl history` to list the stored versions.");
  }
  return ReportNotFound(context, response.status(), "no version has been stored yet",
                        "Store one with `yardctl apply -f FILE`.");
}

absl::StatusOr<OutputFormat> ParseOutputFormat(const ParsedArgs& args,
                                               const std::vector<OutputFormat>& allowed) {
  std::optional<std::string> value = args.Get("output");
  if (!value.has_value()) return allowed.front();
  for (OutputFormat format : allowed) {
    if (*value == FormatName(format)) return format;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("-o must be one of ", FormatNames(allowed), ", got \"", *value, "\""));
}

FlagSpec OutputFlag(const std::vector<OutputFormat>& allowed) {
  return {.name = "output",
          .short_name = 'o',
          .value_name = "FORMAT",
          .help = absl::StrCat("output format: ", FormatNames(allowed), " (default ",
                               ToAbsl(FormatName(allowed.front())), ")")};
}

absl::StatusOr<std::optional<uint64_t>> OptionalVersionFlag(const ParsedArgs& args,
                                                            std::string_view flag) {
  std::optional<std::string> value = args.Get(flag);
  if (!value.has_value()) return std::optional<uint64_t>();
  absl::StatusOr<uint64_t> version = ParseVersion(*value, absl::StrCat("--", ToAbsl(flag)));
  if (!version.ok()) return version.status();
  return std::optional<uint64_t>(*version);
}

}  // namespace switchyard::yardctl
