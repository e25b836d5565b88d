#include "dataplane/proxy/auth_phase.h"

#include <chrono>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "common/ascii.h"
#include "dataplane/auth/auth_config.h"
#include "dataplane/proxy/ext_authz_check.h"
#include "dataplane/proxy/request_context.h"
#include "dataplane/runtime/runtime_config.h"

namespace switchyard::proxy {
namespace {

constexpr std::string_view kOwnedHeaderPrefix = "x-switchyard-";

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A claim may hold any character; one that would not be a valid field value (CR, LF, NUL
// and other controls) is not forwarded rather than altered.
bool IsFieldValue(std::string_view value) {
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return false;
  }
  return true;
}

void AddIfFieldValue(http::HeaderMap& headers, std::string_view name, std::string_view value) {
  if (IsFieldValue(value)) headers.Add(name, value);
}

// x-switchyard-subject and the issuer's forward_claims.
void ForwardClaims(const auth::JwtIssuer& issuer, const nlohmann::json& claims,
                   http::HeaderMap& headers) {
  if (const nlohmann::json* subject = auth::FindClaim(claims, "sub");
      subject != nullptr && subject->is_string()) {
    AddIfFieldValue(headers, "x-switchyard-subject", subject->get_ref<const std::string&>());
  }
  for (const auth::ClaimHeader& forward : issuer.forward_claims) {
    if (const nlohmann::json* claim = auth::FindClaim(claims, forward.claim)) {
      AddIfFieldValue(headers, forward.header, auth::ClaimHeaderValue(*claim));
    }
  }
}

class CheckAuth final : public Phase {
 public:
  explicit CheckAuth(int xff_trusted_hops) : xff_trusted_hops_(xff_trusted_hops) {}
  std::string_view name() const override { return "auth"; }

  PhaseStatus OnRequestHeaders(RequestContext& ctx) const override {
    ctx.headers.RemoveIf([](const http::HeaderField& field) {
      return field.name.size() >= kOwnedHeaderPrefix.size() &&
             EqualsIgnoreCase(std::string_view(field.name).substr(0, kOwnedHeaderPrefix.size()),
                              kOwnedHeaderPrefix);
    });
    const auth::Policy* policy = ctx.config->auth_policy(*ctx.route);
    if (policy == nullptr) return PhaseStatus::kContinue;

    const auth::ApiKeySource& key = policy->api_key;
    const bool key_in_query = policy->has_api_key && !key.query.empty();
    if (key_in_query && !auth::FindQueryParameter(ctx.target, key.query).empty()) {
      // The access log shows the path and query: never with the key in it.
      ctx.logged_target = auth::RedactQueryParameter(ctx.target, key.query);
    }
    const auth::AuthResult result = ctx.config->auth().Check(
        *policy,
        {.method = ctx.method,
         .target = ctx.target,
         .client_ip = xff_trusted_hops_ > 0 ? ForwardedClientAddress(ctx.headers, xff_trusted_hops_)
                                            : ctx.client_ip,
         .headers = &ctx.headers,
         .client_identity = ctx.client_identity,
         .now = policy->jwt != nullptr ? UnixNow() : 0,
         .tokens = &ctx.services->tokens});
    if (result.outcome != auth::AuthOutcome::kAllowed) {
      const bool unauthenticated = result.outcome != auth::AuthOutcome::kDenied;
      ctx.local_reply = {unauthenticated ? 401 : 403, result.reason, std::string(result.message)};
      if (unauthenticated) {
        for (const std::string& challenge : policy->challenges) {
          ctx.local_reply.headers.Add("www-authenticate", challenge);
        }
      }
      return PhaseStatus::kStop;
    }
    ctx.consumer = result.consumer;
    if (result.consumer != nullptr) {
      ctx.headers.Add("x-switchyard-consumer", result.consumer->name);
      if (!result.consumer->groups_header.empty()) {
        ctx.headers.Add("x-switchyard-consumer-groups", result.consumer->groups_header);
      }
    }
    if (result.claims != nullptr) ForwardClaims(*policy->jwt, *result.claims, ctx.headers);
    if (policy->has_api_key && key.hide_credentials) {
      if (key_in_query) {
        auth::RemoveQueryParameter(ctx.target, key.query);
      } else {
        ctx.headers.Remove(key.header);
      }
    }
    if (policy->jwt != nullptr && policy->jwt->hide_credentials) {
      auth::RemoveToken(*policy->jwt, ctx.headers);
    }
    // Last, so that the service sees the identity and the request as they would go
    // upstream.
    if (policy->ext_authz != nullptr) return StartExtAuthzCheck(ctx, *policy->ext_authz);
    return PhaseStatus::kContinue;
  }

 private:
  const int xff_trusted_hops_;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view ForwardedClientAddress(const http::HeaderMap& headers, int hops) {
  // Walks the fields from the last, and each field's list from its end.
  int seen = 0;
  for (auto field = std::make_reverse_iterator(headers.end());
       field != std::make_reverse_iterator(headers.begin()); ++field) {
    if (!EqualsIgnoreCase(field->name, "x-forwarded-for")) continue;
    std::string_view rest = field->value;
    while (true) {
      const size_t comma = rest.rfind(',');
      const std::string_view entry =
          Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
      if (!entry.empty() && ++seen == hops) return entry;
      if (comma == std::string_view::npos) break;
      rest = rest.substr(0, comma);
    }
  }
  return {};
}

std::unique_ptr<const Phase> MakeAuthPhase(int xff_trusted_hops) {
  return std::make_unique<CheckAuth>(xff_trusted_hops);
}

}  // namespace switchyard::proxy
