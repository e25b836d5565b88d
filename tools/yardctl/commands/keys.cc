// yardctl keys: the API keys a consumer calls the API with (docs/auth.md). The snapshot
// holds only each key's SHA-256; `create` makes the key here, stores its hash by a
// read-modify-write of the current version (edit_snapshot.h), and prints the key once,
// alone on stdout, so it can go straight into a file or a secret store.
#include <ostream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "switchyard/config/validate.h"
#include "tools/yardctl/api_key.h"
#include "tools/yardctl/commands/command_util.h"
#include "tools/yardctl/commands/commands.h"
#include "tools/yardctl/commands/edit_snapshot.h"
#include "tools/yardctl/table.h"

namespace switchyard::yardctl {
namespace {

// Generated keys whose default name is taken are replaced by new ones; a consumer has at
// most 100 keys, so this is never reached unless the generator is broken.
constexpr int kMaxNameDraws = 1000;

v1::Consumer* FindConsumer(v1::Snapshot& snapshot, const std::string& name) {
  for (v1::Consumer& consumer : *snapshot.mutable_consumers()) {
    if (consumer.name() == name) return &consumer;
  }
  return nullptr;
}

int FindKey(const v1::Consumer& consumer, const std::string& name) {
  for (int i = 0; i < consumer.api_keys_size(); ++i) {
    if (consumer.api_keys(i).name() == name) return i;
  }
  return -1;
}

ExitCode UnknownConsumer(CommandContext& context, const std::string& name, uint64_t version) {
  return Fail(context, ExitCode::kError,
              absl::StrCat("no consumer \"", name, "\" in version ", version),
              {"Run `yardctl consumers` to list them; consumers are added to the snapshot file "
               "and stored with `yardctl apply`."});
}

// Flags that only some actions take: given to another, they are refused rather than
// ignored.
ExitCode CheckFlags(const ParsedArgs& args, CommandContext& context, const std::string& action) {
  const struct {
    const char* flag;
    const char* usage;
    bool allowed;
  } rules[] = {
      {"name", "--name", action == "create"},
      {"message", "--message", action == "create" || action == "revoke"},
      {"output", "-o", action == "list"},
  };
  for (const auto& rule : rules) {
    if (!rule.allowed && args.Has(rule.flag)) {
      return Fail(context, ExitCode::kUsage,
                  absl::StrCat(rule.usage, " does not apply to keys ", action));
    }
  }
  return ExitCode::kOk;
}

ExitCode Create(const ParsedArgs& args, CommandContext& context) {
  if (args.positional().size() != 2) {
    return Fail(context, ExitCode::kUsage,
                args.positional().size() < 2 ? "keys create needs a CONSUMER"
                                             : "keys create takes one CONSUMER; name the key "
                                               "with --name NAME");
  }
  const std::string& consumer_name = args.positional()[1];
  const std::optional<std::string> chosen_name = args.Get("name");
  if (chosen_name.has_value()) {
    if (const std::string problem = ApiKeyNameProblem(*chosen_name); !problem.empty()) {
      return Fail(context, ExitCode::kUsage, absl::StrCat("--name: ", problem));
    }
  }
  absl::StatusOr<GeneratedApiKey> key = GenerateApiKey();
  if (!key.ok()) return Fail(context, ExitCode::kError, std::string(key.status().message()));
  std::string key_name;

  const SnapshotEdit edit = [&](v1::Snapshot& snapshot, uint64_t version, std::string& message) {
    v1::Consumer* consumer = FindConsumer(snapshot, consumer_name);
    if (consumer == nullptr) return UnknownConsumer(context, consumer_name, version);
    if (static_cast<size_t>(consumer->api_keys_size()) >= config::kMaxApiKeysPerConsumer) {
      return Fail(
          context, ExitCode::kInvalidInput,
          absl::StrCat("consumer \"", consumer_name, "\" has ", consumer->api_keys_size(),
                       " API keys, the most a consumer may have"),
          {absl::StrCat("Revoke one first: `yardctl keys revoke ", consumer_name, " NAME`.")});
    }
    if (chosen_name.has_value()) {
      if (FindKey(*consumer, *chosen_name) >= 0) {
        return Fail(context, ExitCode::kError,
                    absl::StrCat("consumer \"", consumer_name, "\" already has a key named \"",
                                 *chosen_name, "\" in version ", version),
                    {"Choose another --name, or leave it out for a generated one."});
      }
      key_name = *chosen_name;
    } else {
      key_name = DefaultApiKeyName(*key);
      for (int draw = 1; FindKey(*consumer, key_name) >= 0; ++draw) {
        if (draw == kMaxNameDraws) {
          return Fail(context, ExitCode::kError, "cannot find a free name for the new key");
        }
        key = GenerateApiKey();
        if (!key.ok()) return Fail(context, ExitCode::kError, std::string(key.status().message()));
        key_name = DefaultApiKeyName(*key);
      }
    }
    v1::ApiKey* added = consumer->add_api_keys();
    added->set_name(key_name);
    added->set_sha256(key->sha256);
    message = args.Get("message").value_or(
        absl::StrCat("create API key ", key_name, " of consumer ", consumer_name));
    return ExitCode::kOk;
  };
  v1::ApplyResponse applied;
  if (const ExitCode code = EditCurrentSnapshot(context, edit, applied); code != ExitCode::kOk) {
    return code;
  }
  context.out() << key->key << "\n";
  context.err() << "created API key '" << key_name << "' of consumer '" << consumer_name
                << "' in version " << applied.version()
                << "; the key is shown only now and cannot be shown again: store it safely\n";
  return ExitCode::kOk;
}

ExitCode Revoke(const ParsedArgs& args, CommandContext& context) {
  if (args.positional().size() != 3) {
    return Fail(context, ExitCode::kUsage, "keys revoke needs a CONSUMER and the key's NAME");
  }
  const std::string& consumer_name = args.positional()[1];
  const std::string& key_name = args.positional()[2];
  const SnapshotEdit edit = [&](v1::Snapshot& snapshot, uint64_t version, std::string& message) {
    v1::Consumer* consumer = FindConsumer(snapshot, consumer_name);
    if (consumer == nullptr) return UnknownConsumer(context, consumer_name, version);
    const int index = FindKey(*consumer, key_name);
    if (index < 0) {
      return Fail(context, ExitCode::kError,
                  absl::StrCat("consumer \"", consumer_name, "\" has no key \"", key_name,
                               "\" in version ", version),
                  {absl::StrCat("Run `yardctl keys list ", consumer_name, "` to list its keys.")});
    }
    consumer->mutable_api_keys()->DeleteSubrange(index, 1);
    message = args.Get("message").value_or(
        absl::StrCat("revoke API key ", key_name, " of consumer ", consumer_name));
    return ExitCode::kOk;
  };
  v1::ApplyResponse applied;
  if (const ExitCode code = EditCurrentSnapshot(context, edit, applied); code != ExitCode::kOk) {
    return code;
  }
  context.out() << "revoked API key '" << key_name << "' of consumer '" << consumer_name
                << "': version " << applied.version() << "\n";
  return ExitCode::kOk;
}

ExitCode List(const ParsedArgs& args, CommandContext& context) {
  if (args.positional().size() != 2) {
    return Fail(context, ExitCode::kUsage, "keys list needs a CONSUMER");
  }
  absl::StatusOr<OutputFormat> format =
      ParseOutputFormat(args, {OutputFormat::kTable, OutputFormat::kJson});
  if (!format.ok()) return Fail(context, ExitCode::kUsage, std::string(format.status().message()));
  const std::string& consumer_name = args.positional()[1];
  absl::StatusOr<v1::GetResponse> current = context.client().Get(v1::GetRequest());
  if (!current.ok()) {
    if (current.status().code() == absl::StatusCode::kNotFound) {
      return Fail(context, ExitCode::kError, "no version has been stored yet",
                  {"Store one with `yardctl apply -f FILE`."});
    }
    return ReportRpcError(context, current.status());
  }
  const v1::Consumer* consumer = FindConsumer(*current->mutable_snapshot(), consumer_name);
  if (consumer == nullptr) {
    return UnknownConsumer(context, consumer_name, current->info().version());
  }
  if (*format == OutputFormat::kJson) {
    nlohmann::json keys = nlohmann::json::array();
    for (const v1::ApiKey& key : consumer->api_keys()) keys.push_back({{"name", key.name()}});
    context.out() << nlohmann::json{{"consumer", consumer_name}, {"api_keys", keys}}.dump(
                         2, ' ', false, nlohmann::json::error_handler_t::replace)
                  << "\n";
    return ExitCode::kOk;
  }
  Table table({"NAME"});
  for (const v1::ApiKey& key : consumer->api_keys()) table.AddRow({key.name()});
  context.out() << table.Render();
  return ExitCode::kOk;
}

ExitCode RunKeys(const ParsedArgs& args, CommandContext& context) {
  const std::string& action = args.positional()[0];
  if (action != "create" && action != "revoke" && action != "list") {
    return Fail(context, ExitCode::kUsage,
                absl::StrCat("unknown keys action \"", action, "\": use create, revoke or list"));
  }
  if (const ExitCode checked = CheckFlags(args, context, action); checked != ExitCode::kOk) {
    return checked;
  }
  if (action == "create") return Create(args, context);
  if (action == "revoke") return Revoke(args, context);
  return List(args, context);
}

}  // namespace

Command KeysCommand() {
  return {
      .name = "keys",
      .synopsis =
          "keys create CONSUMER [--name NAME] [--message M] | "
          "keys revoke CONSUMER NAME [--message M] | keys list CONSUMER [-o table|json]",
      .summary = "create, revoke and list a consumer's API keys",
      .details =
          "The gateway knows an API key only by its SHA-256, stored with the consumer in the\n"
          "snapshot (docs/auth.md). create and revoke read the current version, change one\n"
          "consumer, and store the result as a new version (which every proxy then\n"
          "receives) only if no other version was stored in between; if one was, they start\n"
          "over on it, up to 5 times, then exit with 4. Everything else in the snapshot,\n"
          "other keys' hashes included, stays as it is. Both need the operator role.\n"
          "\n"
          "create makes a new key: \"sy_\" and 256 random bits in base64url. It prints the key\n"
          "alone on stdout, once: only its hash is stored, so it can never be shown again.\n"
          "NAME (unique among the consumer's keys, [A-Za-z0-9_.-]+) defaults to \"key-\" and\n"
          "the first 8 hex digits of the hash. The new version goes to stderr. The key works\n"
          "once proxies run that version.\n"
          "revoke removes the key NAME and prints the new version; requests with the key\n"
          "fail once proxies run it.\n"
          "list prints the names of the consumer's keys (never their hashes).\n"
          "An unknown CONSUMER or key NAME exits with 1 and changes nothing.\n"
          "\n"
          "Examples:\n"
          "  (umask 077; yardctl keys create acme --name ci-2026 > acme.key)\n"
          "  yardctl keys list acme\n"
          "  yardctl keys revoke acme ci-2025\n",
      .flags = {{.name = "name",
                 .value_name = "NAME",
                 .help = "the new key's name (create; default key-<8 hex digits of its hash>)"},
                {.name = "message",
                 .value_name = "M",
                 .help = "why, recorded in the history (create, revoke)"},
                OutputFlag({OutputFormat::kTable, OutputFormat::kJson})},
      .min_positional = 1,
      .max_positional = 3,
      .run = RunKeys,
  };
}

}  // namespace switchyard::yardctl
