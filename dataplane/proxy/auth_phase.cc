#include "dataplane/proxy/auth_phase.h"

#include <string_view>

#include "common/ascii.h"
#include "dataplane/auth/auth_config.h"
#include "dataplane/proxy/request_context.h"
#include "dataplane/runtime/runtime_config.h"

namespace switchyard::proxy {
namespace {

constexpr std::string_view kOwnedHeaderPrefix = "x-switchyard-";

class CheckAuth final : public Phase {
 public:
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
    const auth::AuthResult result = ctx.config->auth().Check(*policy, {.method = ctx.method,
                                                                       .target = ctx.target,
                                                                       .client_ip = ctx.client_ip,
                                                                       .headers = &ctx.headers});
    switch (result.outcome) {
      case auth::AuthOutcome::kMissingCredential:
        ctx.local_reply = {401, "missing_credential", "this route needs an API key"};
        ctx.local_reply.headers.Add("www-authenticate", policy->challenge);
        return PhaseStatus::kStop;
      case auth::AuthOutcome::kInvalidCredential:
        ctx.local_reply = {401, "invalid_credential", "the API key is not valid"};
        ctx.local_reply.headers.Add("www-authenticate", policy->challenge);
        return PhaseStatus::kStop;
      case auth::AuthOutcome::kDenied:
        ctx.local_reply = {403, "access_denied", "the route's auth policy does not allow this"};
        return PhaseStatus::kStop;
      case auth::AuthOutcome::kAllowed:
        break;
    }
    ctx.consumer = result.consumer;
    if (result.consumer != nullptr) {
      ctx.headers.Add("x-switchyard-consumer", result.consumer->name);
      if (!result.consumer->groups_header.empty()) {
        ctx.headers.Add("x-switchyard-consumer-groups", result.consumer->groups_header);
      }
    }
    if (policy->has_api_key && key.hide_credentials) {
      if (key_in_query) {
        auth::RemoveQueryParameter(ctx.target, key.query);
      } else {
        ctx.headers.Remove(key.header);
      }
    }
    return PhaseStatus::kContinue;
  }
};

}  // namespace

std::unique_ptr<const Phase> MakeAuthPhase() { return std::make_unique<CheckAuth>(); }

}  // namespace switchyard::proxy
