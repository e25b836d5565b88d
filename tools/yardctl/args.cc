#include "tools/yardctl/args.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/ascii.h"

namespace switchyard::yardctl {
namespace {

const FlagSpec* FindLong(const std::vector<FlagSpec>& specs, std::string_view name) {
  for (const FlagSpec& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const FlagSpec* FindShort(const std::vector<FlagSpec>& specs, char name) {
  for (const FlagSpec& spec : specs) {
    if (spec.short_name != 0 && spec.short_name == name) return &spec;
  }
  return nullptr;
}

bool LooksLikeFlag(std::string_view arg) { return arg.size() > 1 && arg[0] == '-'; }

// One flag token, resolved against `specs`.
struct FlagToken {
  const FlagSpec* spec = nullptr;
  std::optional<std::string> inline_value;  // the part after '='
};

absl::StatusOr<FlagToken> ResolveFlag(std::string_view arg, const std::vector<FlagSpec>& specs) {
  FlagToken token;
  std::string_view body = arg.substr(arg.starts_with("--") ? 2 : 1);
  if (const size_t eq = body.find('='); eq != std::string_view::npos) {
    token.inline_value = std::string(body.substr(eq + 1));
    body = body.substr(0, eq);
  }
  if (arg.starts_with("--")) {
    token.spec = FindLong(specs, body);
  } else if (body.size() == 1) {
    token.spec = FindShort(specs, body[0]);
  }
  if (token.spec == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown flag ", ToAbsl(arg.substr(0, arg.find('=')))));
  }
  return token;
}

}  // namespace

std::optional<std::string> ParsedArgs::Get(std::string_view flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

bool ParsedArgs::IsSet(std::string_view flag) const {
  auto it = values_.find(flag);
  return it != values_.end() && it->second != "false";
}

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& specs) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.positional_.insert(parsed.positional_.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (!LooksLikeFlag(arg)) {
      parsed.positional_.push_back(arg);
      continue;
    }
    absl::StatusOr<FlagToken> token = ResolveFlag(arg, specs);
    if (!token.ok()) return token.status();
    const FlagSpec& spec = *token->spec;
    if (parsed.values_.contains(spec.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", spec.name, " given more than once"));
    }
    std::string value;
    if (spec.takes_value()) {
      if (token->inline_value.has_value()) {
        value = *token->inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", spec.name, " needs a value (", spec.value_name, ")"));
      }
    } else if (token->inline_value.has_value()) {
      value = *token->inline_value;
      if (value != "true" && value != "false") {
        return absl::InvalidArgumentError(absl::StrCat(
            "flag --", spec.name, " takes no value (or =true / =false), got \"", value, "\""));
      }
    } else {
      value = "true";
    }
    parsed.values_.emplace(spec.name, std::move(value));
  }
  return parsed;
}

absl::StatusOr<CommandLine> SplitCommandLine(const std::vector<std::string>& args,
                                             const std::vector<FlagSpec>& leading_specs) {
  CommandLine line;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!LooksLikeFlag(arg)) break;
    absl::StatusOr<FlagToken> token = ResolveFlag(arg, leading_specs);
    if (!token.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          token.status().message(), " (only global flags may come before the command)"));
    }
    line.leading.push_back(arg);
    if (token->spec->takes_value() && !token->inline_value.has_value() && i + 1 < args.size()) {
      line.leading.push_back(args[++i]);
    }
  }
  if (i < args.size()) {
    line.command = args[i];
    line.rest.assign(args.begin() + i + 1, args.end());
  }
  return line;
}

absl::StatusOr<uint64_t> ParseVersion(std::string_view text, std::string_view what) {
  uint64_t version = 0;
  bool digits_only = !text.empty();
  for (char c : text) digits_only = digits_only && c >= '0' && c <= '9';
  if (!digits_only || !absl::SimpleAtoi(ToAbsl(text), &version)) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(what), " must be a version number (a non-negative integer), got \"",
                     ToAbsl(text), "\""));
  }
  return version;
}

absl::StatusOr<absl::Duration> ParseTimeout(std::string_view text) {
  absl::Duration timeout;
  double seconds = 0;
  if (absl::SimpleAtod(ToAbsl(text), &seconds) && !text.empty() && text.back() >= '0' &&
      text.back() <= '9') {
    timeout = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(ToAbsl(text), &timeout)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--timeout must be a duration such as 5s, 500ms or 1m, got \"", ToAbsl(text), "\""));
  }
  if (timeout <= absl::ZeroDuration() || timeout == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--timeout must be positive and finite, got \"", ToAbsl(text), "\""));
  }
  return timeout;
}

std::string FlagUsage(const FlagSpec& spec) {
  std::string usage;
  if (spec.short_name != 0) usage = absl::StrCat("-", std::string(1, spec.short_name), ", ");
  absl::StrAppend(&usage, "--", spec.name);
  if (spec.takes_value()) absl::StrAppend(&usage, " ", spec.value_name);
  return usage;
}

}  // namespace switchyard::yardctl
