#include "dataplane/auth/ext_authz.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "common/ascii.h"
#include "envoy/service/auth/v3/external_auth.pb.h"

namespace switchyard::auth {
namespace {

namespace envoy_auth = ::envoy::service::auth::v3;
namespace envoy_core = ::envoy::config::core::v3;

// gRPC's length-prefixed message: a compression flag byte and a 4-byte big-endian length.
constexpr size_t kGrpcPrefix = 5;

// Names whose fields the gateway frames or owns: a service may not set or remove them.
constexpr std::array<std::string_view, 11> kOwnedNames = {"host",
                                                          "content-length",
                                                          "transfer-encoding",
                                                          "connection",
                                                          "keep-alive",
                                                          "upgrade",
                                                          "te",
                                                          "trailer",
                                                          "proxy-connection",
                                                          "expect",
                                                          "x-switchyard-local-reply"};

bool IsTokenCharacter(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsFieldName(std::string_view name) {
  return !name.empty() && name.size() <= 256 &&
         std::all_of(name.begin(), name.end(), IsTokenCharacter);
}

// A field value that could not split a header: no CR, LF, NUL or other controls.
bool IsFieldValue(std::string_view value) {
  return value.size() <= 8192 && std::none_of(value.begin(), value.end(), [](char c) {
           const auto byte = static_cast<unsigned char>(c);
           return (byte < 0x20 && byte != '\t') || byte == 0x7f;
         });
}

bool IsOwnedName(std::string_view lower_name) {
  return std::find(kOwnedNames.begin(), kOwnedNames.end(), lower_name) != kOwnedNames.end();
}

// The name and value of an option the service sent, or false with `why` when it cannot
// be applied.
bool ReadOption(const envoy_core::HeaderValueOption& option, std::string& name, std::string& value,
                std::string& why) {
  name = absl::AsciiStrToLower(option.header().key());
  value = option.header().value().empty() ? option.header().raw_value() : option.header().value();
  if (!IsFieldName(name)) {
    why = "a header name that is not a valid field name";
    return false;
  }
  if (!IsFieldValue(value)) {
    why = "header " + name + " with a value that is not a valid field value";
    return false;
  }
  if (IsOwnedName(name)) {
    why = "header " + name + ", which the gateway owns";
    return false;
  }
  return true;
}

HeaderChange::Action ActionOf(const envoy_core::HeaderValueOption& option) {
  // The deprecated `append` decides when the service set it (many still do). Without it,
  // a CheckResponse's header replaces (Envoy documents `append` as false by default here),
  // and append_action's zero value (APPEND_IF_EXISTS_OR_ADD) cannot be told from unset:
  // replacing is also what keeps a client's own value of an identity header out.
  if (option.has_append()) {
    return option.append().value() ? HeaderChange::Action::kAppend
                                   : HeaderChange::Action::kOverwriteOrAdd;
  }
  switch (option.append_action()) {
    case envoy_core::HeaderValueOption::ADD_IF_ABSENT:
      return HeaderChange::Action::kAddIfAbsent;
    case envoy_core::HeaderValueOption::OVERWRITE_IF_EXISTS:
      return HeaderChange::Action::kOverwriteIfExists;
    default:
      return HeaderChange::Action::kOverwriteOrAdd;
  }
}

CheckDecision Error(std::string why) {
  CheckDecision decision;
  decision.outcome = CheckDecision::Outcome::kError;
  decision.error = std::move(why);
  return decision;
}

}  // namespace

std::string BuildCheckCall(const CheckInput& input) {
  envoy_auth::CheckRequest check;
  envoy_auth::AttributeContext& attributes = *check.mutable_attributes();
  envoy_core::SocketAddress& source =
      *attributes.mutable_source()->mutable_address()->mutable_socket_address();
  source.set_address(std::string(input.client_ip));
  if (input.client_identity != nullptr) {
    attributes.mutable_source()->set_principal(input.client_identity->subject);
  }
  envoy_auth::AttributeContext::HttpRequest& http = *attributes.mutable_request()->mutable_http();
  http.set_id(std::string(input.request_id));
  http.set_method(std::string(input.method));
  http.set_path(std::string(input.target));
  http.set_host(std::string(input.host));
  http.set_scheme(std::string(input.scheme));
  http.set_protocol(std::string(input.protocol));
  http.set_size(input.body_size);
  auto& headers = *http.mutable_headers();
  if (input.headers != nullptr) {
    for (const http::HeaderField& field : *input.headers) {
      std::string name = absl::AsciiStrToLower(field.name);
      auto [it, inserted] = headers.try_emplace(std::move(name), field.value);
      if (!inserted) {
        // As Envoy does: several fields of one name become one, comma-separated.
        it->second.append(",");
        it->second.append(field.value);
      }
    }
  }
  if (input.config != nullptr) {
    for (const auto& [key, value] : input.config->context_extensions) {
      (*attributes.mutable_context_extensions())[key] = value;
    }
  }
  const std::string message = check.SerializeAsString();
  std::string framed(kGrpcPrefix, '\0');
  const auto length = static_cast<uint32_t>(message.size());
  framed[1] = static_cast<char>(length >> 24);
  framed[2] = static_cast<char>(length >> 16);
  framed[3] = static_cast<char>(length >> 8);
  framed[4] = static_cast<char>(length);
  framed.append(message);
  return framed;
}

CheckDecision ReadCheckResponse(int http_status, const std::string* content_type,
                                const std::string* grpc_status, std::string_view body) {
  if (http_status != 200) {
    return Error("the service answered HTTP " + std::to_string(http_status));
  }
  constexpr std::string_view kGrpcType = "application/grpc";
  if (content_type == nullptr || content_type->size() < kGrpcType.size() ||
      !EqualsIgnoreCase(std::string_view(*content_type).substr(0, kGrpcType.size()), kGrpcType)) {
    return Error("the answer is not gRPC (content-type " +
                 (content_type == nullptr ? std::string("missing") : *content_type) + ")");
  }
  int code = -1;
  if (grpc_status == nullptr || !absl::SimpleAtoi(*grpc_status, &code)) {
    return Error("the answer has no grpc-status");
  }
  if (code != 0) return Error("the call failed with gRPC status " + std::to_string(code));
  if (body.size() < kGrpcPrefix) return Error("the answer has no message");
  if (body[0] != 0) return Error("the answer is compressed, which the call never offered");
  const uint32_t length = (static_cast<uint32_t>(static_cast<unsigned char>(body[1])) << 24) |
                          (static_cast<uint32_t>(static_cast<unsigned char>(body[2])) << 16) |
                          (static_cast<uint32_t>(static_cast<unsigned char>(body[3])) << 8) |
                          static_cast<uint32_t>(static_cast<unsigned char>(body[4]));
  if (body.size() - kGrpcPrefix != length) {
    return Error("the answer is not exactly one message");
  }
  envoy_auth::CheckResponse response;
  if (!response.ParseFromArray(body.data() + kGrpcPrefix, static_cast<int>(length))) {
    return Error("the answer is not a CheckResponse");
  }

  CheckDecision decision;
  std::string name;
  std::string value;
  std::string why;
  if (response.status().code() == 0) {
    decision.outcome = CheckDecision::Outcome::kAllowed;
    const envoy_auth::OkHttpResponse& ok = response.ok_response();
    for (const envoy_core::HeaderValueOption& option : ok.headers()) {
      if (!ReadOption(option, name, value, why)) return Error("the answer sets " + why);
      if (value.empty() && !option.keep_empty_value()) continue;
      decision.header_changes.push_back({std::move(name), std::move(value), ActionOf(option)});
    }
    for (const std::string& remove : ok.headers_to_remove()) {
      std::string lower = absl::AsciiStrToLower(remove);
      if (!IsFieldName(lower) || IsOwnedName(lower)) {
        return Error("the answer removes a header it may not: " +
                     std::string(IsFieldName(lower) ? lower : "(not a field name)"));
      }
      decision.headers_to_remove.push_back(std::move(lower));
    }
    return decision;
  }

  decision.outcome = CheckDecision::Outcome::kDenied;
  const envoy_auth::DeniedHttpResponse& denied = response.denied_response();
  const int status = static_cast<int>(denied.status().code());
  decision.status = status >= 400 && status <= 599 ? status : 403;
  for (const envoy_core::HeaderValueOption& option : denied.headers()) {
    if (!ReadOption(option, name, value, why)) return Error("the answer sets " + why);
    decision.reply_headers.emplace_back(std::move(name), std::move(value));
  }
  const std::string& message = denied.body().empty() ? response.status().message() : denied.body();
  decision.message = message.substr(0, kMaxDeniedBodyBytes);
  return decision;
}

void ApplyHeaderChanges(const CheckDecision& decision, http::HeaderMap& headers) {
  for (const HeaderChange& change : decision.header_changes) {
    switch (change.action) {
      case HeaderChange::Action::kAppend:
        headers.Add(change.name, change.value);
        break;
      case HeaderChange::Action::kAddIfAbsent:
        if (!headers.Has(change.name)) headers.Add(change.name, change.value);
        break;
      case HeaderChange::Action::kOverwriteOrAdd:
        headers.Set(change.name, change.value);
        break;
      case HeaderChange::Action::kOverwriteIfExists:
        if (headers.Has(change.name)) headers.Set(change.name, change.value);
        break;
    }
  }
  for (const std::string& name : decision.headers_to_remove) headers.Remove(name);
}

}  // namespace switchyard::auth
