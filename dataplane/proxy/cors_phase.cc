#include "dataplane/proxy/cors_phase.h"

#include <string>
#include <string_view>

#include "common/ascii.h"
#include "dataplane/proxy/request_context.h"

namespace switchyard::proxy {
namespace {

constexpr std::string_view kResponsePrefix = "access-control-";

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `fn` on each non-empty element of a comma-separated field value until it returns
// false; returns false when it did.
template <typename Fn>
bool ForEachListElement(std::string_view value, Fn fn) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    const std::string_view element = TrimOws(value.substr(0, comma));
    if (!element.empty() && !fn(element)) return false;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return true;
}

// The characters of host labels: an origin matched by "scheme://*.domain" may have only
// these where the "*" is, so no port, path, userinfo or bracket can hide there.
bool IsHostLabelsText(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// Browsers let GET, HEAD and POST through whatever Access-Control-Allow-Methods says
// (Fetch, "CORS-safelisted method"); methods compare case-sensitively, as they do there.
bool MethodAllowed(const runtime::CorsPolicy& policy, std::string_view method) {
  if (method == "GET" || method == "HEAD" || method == "POST" || policy.any_method) return true;
  for (const std::string& allowed : policy.methods) {
    if (allowed == method) return true;
  }
  return false;
}

// "*" covers every header but Authorization, which browsers want named.
bool HeaderAllowed(const runtime::CorsPolicy& policy, std::string_view name) {
  for (const std::string& allowed : policy.headers) {
    if (EqualsIgnoreCase(allowed, name)) return true;
  }
  return policy.any_header && !EqualsIgnoreCase(name, "authorization");
}

bool RequestedHeadersAllowed(const runtime::CorsPolicy& policy, const http::HeaderMap& headers) {
  for (const http::HeaderField& field : headers) {
    if (field.name != "access-control-request-headers") continue;
    const bool allowed = ForEachListElement(
        field.value, [&](std::string_view name) { return HeaderAllowed(policy, name); });
    if (!allowed) return false;
  }
  return true;
}

// What the response says depends on the request's Origin: caches must know it.
void AddVaryOrigin(http::HeaderMap& headers) {
  bool covered = false;
  for (const http::HeaderField& field : headers) {
    if (field.name != "vary") continue;
    ForEachListElement(field.value, [&](std::string_view name) {
      covered = covered || name == "*" || EqualsIgnoreCase(name, "origin");
      return !covered;
    });
    if (covered) return;
  }
  if (std::string* vary = headers.GetMutable("vary"); vary != nullptr && !TrimOws(*vary).empty()) {
    vary->append(", Origin");
  } else {
    headers.Set("vary", "Origin");
  }
}

void AddAllowOrigin(const runtime::CorsPolicy& policy, std::string_view origin,
                    http::HeaderMap& headers) {
  // Validation refuses "*" with credentials, so "*" here is never credentialed.
  headers.Add("access-control-allow-origin", policy.any_origin ? std::string_view("*") : origin);
  if (policy.allow_credentials) headers.Add("access-control-allow-credentials", "true");
}

class Cors final : public Phase {
 public:
  std::string_view name() const override { return "cors"; }

  PhaseStatus OnRequestHeaders(RequestContext& ctx) const override {
    if (ctx.route == nullptr || ctx.method != "OPTIONS") return PhaseStatus::kContinue;
    const runtime::CorsPolicy* policy = ctx.config->cors_policy(*ctx.route);
    if (policy == nullptr) return PhaseStatus::kContinue;
    const std::string* origin = ctx.headers.Get("origin");
    const std::string* method = ctx.headers.Get("access-control-request-method");
    // Without both, an OPTIONS is an ordinary request for the upstream.
    if (origin == nullptr || method == nullptr) return PhaseStatus::kContinue;

    const char* refused = nullptr;
    if (!CorsOriginAllowed(*policy, *origin)) {
      refused = "the request's Origin is not allowed by this route's CORS policy";
    } else if (!MethodAllowed(*policy, TrimOws(*method))) {
      refused =
          "the method in Access-Control-Request-Method is not allowed by this route's CORS "
          "policy";
    } else if (!RequestedHeadersAllowed(*policy, ctx.headers)) {
      refused =
          "a header in Access-Control-Request-Headers is not allowed by this route's CORS "
          "policy";
    }
    http::LocalReply& reply = ctx.local_reply;
    reply.message.clear();
    reply.headers.clear();
    if (refused != nullptr) {
      // Without CORS headers: the browser refuses the actual request too.
      reply.status = 403;
      reply.error = "cors_forbidden";
      reply.message = refused;
      reply.headers.Add("vary", "Origin");
      return PhaseStatus::kStop;
    }
    reply.status = 204;
    reply.error = "cors_preflight";
    AddAllowOrigin(*policy, *origin, reply.headers);
    if (!policy->allow_methods.empty()) {
      reply.headers.Add("access-control-allow-methods", policy->allow_methods);
    }
    if (!policy->allow_headers.empty()) {
      reply.headers.Add("access-control-allow-headers", policy->allow_headers);
    }
    if (!policy->max_age.empty()) reply.headers.Add("access-control-max-age", policy->max_age);
    reply.headers.Add("vary", "Origin");
    return PhaseStatus::kStop;
  }

  // The gateway's own answers (a 401, a 503) get what an upstream response would: a page
  // can then read them. Not the preflight answers, which have theirs.
  void OnLocalReply(const RequestContext& ctx, http::LocalReply& reply) const override {
    if (ctx.route == nullptr || reply.error == "cors_preflight" ||
        reply.error == "cors_forbidden") {
      return;
    }
    const runtime::CorsPolicy* policy = ctx.config->cors_policy(*ctx.route);
    if (policy == nullptr) return;
    AddVaryOrigin(reply.headers);
    const std::string* origin = ctx.headers.Get("origin");
    if (origin == nullptr || !CorsOriginAllowed(*policy, *origin)) return;
    AddAllowOrigin(*policy, *origin, reply.headers);
    if (!policy->expose_headers.empty()) {
      reply.headers.Add("access-control-expose-headers", policy->expose_headers);
    }
  }

  PhaseStatus OnResponseHeaders(RequestContext& ctx, ResponseHead& head) const override {
    if (ctx.route == nullptr) return PhaseStatus::kContinue;
    const runtime::CorsPolicy* policy = ctx.config->cors_policy(*ctx.route);
    if (policy == nullptr) return PhaseStatus::kContinue;
    head.headers.RemoveIf([](const http::HeaderField& field) {
      return std::string_view(field.name).substr(0, kResponsePrefix.size()) == kResponsePrefix;
    });
    AddVaryOrigin(head.headers);
    const std::string* origin = ctx.headers.Get("origin");
    if (origin == nullptr || !CorsOriginAllowed(*policy, *origin)) return PhaseStatus::kContinue;
    AddAllowOrigin(*policy, *origin, head.headers);
    if (!policy->expose_headers.empty()) {
      head.headers.Add("access-control-expose-headers", policy->expose_headers);
    }
    return PhaseStatus::kContinue;
  }
};

}  // namespace

bool CorsOriginAllowed(const runtime::CorsPolicy& policy, std::string_view origin) {
  if (policy.any_origin) return true;
  for (const std::string& allowed : policy.origins) {
    if (EqualsIgnoreCase(allowed, origin)) return true;
  }
  for (const auto& [prefix, suffix] : policy.origin_suffixes) {
    if (origin.size() <= prefix.size() + suffix.size()) continue;
    if (!EqualsIgnoreCase(origin.substr(0, prefix.size()), prefix)) continue;
    if (!EqualsIgnoreCase(origin.substr(origin.size() - suffix.size()), suffix)) continue;
    const std::string_view labels =
        origin.substr(prefix.size(), origin.size() - prefix.size() - suffix.size());
    if (IsHostLabelsText(labels)) return true;
  }
  return false;
}

std::unique_ptr<const Phase> MakeCorsPhase() { return std::make_unique<Cors>(); }

}  // namespace switchyard::proxy
