// yardctl tokens: bearer tokens for the admin API (admin role). The control plane keeps
// only their SHA-256; `create` prints the token once, alone on stdout, so it can go
// straight into a file.
#include <ostream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tools/yardctl/commands/command_util.h"
#include "tools/yardctl/commands/commands.h"
#include "tools/yardctl/display.h"
#include "tools/yardctl/table.h"

namespace switchyard::yardctl {
namespace {

std::string Expiry(const v1::TokenInfo& info) {
  return info.has_expires() ? FormatTimeForTable(info.expires()) : "never";
}

ExitCode Create(const ParsedArgs& args, CommandContext& context) {
  if (args.positional().size() != 2) {
    return Fail(context, ExitCode::kUsage, "tokens create needs a NAME");
  }
  std::optional<std::string> role = args.Get("role");
  if (!role.has_value()) {
    return Fail(context, ExitCode::kUsage, "tokens create needs --role viewer|operator|admin");
  }
  v1::CreateTokenRequest request;
  request.set_name(args.positional()[1]);
  request.set_role(*role);
  if (std::optional<std::string> ttl = args.Get("ttl")) {
    absl::Duration parsed;
    if (!absl::ParseDuration(*ttl, &parsed) || parsed < absl::Seconds(1)) {
      return Fail(
          context, ExitCode::kUsage,
          absl::StrCat("--ttl must be a duration of at least 1s, e.g. 720h; got '", *ttl, "'"));
    }
    request.set_ttl_seconds(static_cast<uint64_t>(absl::ToInt64Seconds(parsed)));
  }
  absl::StatusOr<v1::CreateTokenResponse> created = context.client().CreateToken(request);
  if (!created.ok()) return ReportRpcError(context, created.status());
  context.out() << created->token() << "\n";
  context.err() << "created token '" << created->info().name() << "' (" << created->info().role()
                << ", expires " << Expiry(created->info())
                << "); it is shown only now: store it with mode 0600\n";
  return ExitCode::kOk;
}

ExitCode List(const ParsedArgs& args, CommandContext& context) {
  absl::StatusOr<OutputFormat> format =
      ParseOutputFormat(args, {OutputFormat::kTable, OutputFormat::kJson});
  if (!format.ok()) return Fail(context, ExitCode::kUsage, std::string(format.status().message()));
  absl::StatusOr<v1::ListTokensResponse> listed = context.client().ListTokens({});
  if (!listed.ok()) return ReportRpcError(context, listed.status());
  if (*format == OutputFormat::kJson) {
    nlohmann::json tokens = nlohmann::json::array();
    for (const v1::TokenInfo& info : listed->tokens()) {
      tokens.push_back(
          {{"name", info.name()},
           {"role", info.role()},
           {"created", FormatTimeRfc3339(info.created())},
           {"created_by", info.created_by()},
           {"expires", info.has_expires() ? nlohmann::json(FormatTimeRfc3339(info.expires()))
                                          : nlohmann::json(nullptr)}});
    }
    context.out() << nlohmann::json{{"tokens", tokens}}.dump(
                         2, ' ', false, nlohmann::json::error_handler_t::replace)
                  << "\n";
    return ExitCode::kOk;
  }
  Table table({"NAME", "ROLE", "CREATED", "BY", "EXPIRES"});
  for (const v1::TokenInfo& info : listed->tokens()) {
    table.AddRow({info.name(), info.role(), FormatTimeForTable(info.created()), info.created_by(),
                  Expiry(info)});
  }
  context.out() << table.Render();
  return ExitCode::kOk;
}

ExitCode Revoke(const ParsedArgs& args, CommandContext& context) {
  if (args.positional().size() != 2) {
    return Fail(context, ExitCode::kUsage, "tokens revoke needs a NAME");
  }
  v1::RevokeTokenRequest request;
  request.set_name(args.positional()[1]);
  absl::StatusOr<v1::RevokeTokenResponse> revoked = context.client().RevokeToken(request);
  if (!revoked.ok()) return ReportRpcError(context, revoked.status());
  context.out() << "revoked token '" << request.name() << "'\n";
  return ExitCode::kOk;
}

ExitCode RunTokens(const ParsedArgs& args, CommandContext& context) {
  const std::string& action = args.positional()[0];
  if (action == "create") return Create(args, context);
  if (action == "list") {
    if (args.positional().size() != 1)
      return Fail(context, ExitCode::kUsage, "tokens list takes no NAME");
    return List(args, context);
  }
  if (action == "revoke") return Revoke(args, context);
  return Fail(context, ExitCode::kUsage,
              absl::StrCat("unknown tokens action \"", action, "\": use create, list or revoke"));
}

}  // namespace

Command TokensCommand() {
  return {
      .name = "tokens",
      .synopsis =
          "tokens create NAME --role viewer|operator|admin [--ttl DURATION] | "
          "tokens list [-o table|json] | tokens revoke NAME",
      .summary = "manage the admin API's bearer tokens (admin role)",
      .details =
          "Roles: viewer (get, history, diff, status, validate), operator (also apply and\n"
          "rollback), admin (also tokens). The author of a version is the name of the token\n"
          "(or client certificate) that stored it.\n"
          "create prints the new token alone on stdout, once: the control plane keeps only\n"
          "its SHA-256. --ttl makes it expire (e.g. 720h); without it, it never does.\n"
          "list shows NAME, ROLE, CREATED, BY and EXPIRES, never the tokens themselves.\n"
          "revoke deletes a token at once; calls made with it fail from then on.\n"
          "\n"
          "Examples:\n"
          "  (umask 077; yardctl tokens create ci --role operator --ttl 2160h > ci.token)\n"
          "  YARDCTL_TOKEN_FILE=ci.token yardctl apply -f snapshot.yaml\n"
          "  yardctl tokens revoke ci\n",
      .flags = {{.name = "role",
                 .value_name = "ROLE",
                 .help = "viewer, operator or admin (create)"},
                {.name = "ttl",
                 .value_name = "DURATION",
                 .help = "expire after this long, e.g. 720h (create; default never)"},
                OutputFlag({OutputFormat::kTable, OutputFormat::kJson})},
      .min_positional = 1,
      .max_positional = 2,
      .run = RunTokens,
  };
}

}  // namespace switchyard::yardctl
