// Fuzz target: an external authorization service's answer (docs/auth.md, "External
// authorization"), as auth::ReadCheckResponse reads it and auth::ApplyHeaderChanges
// applies it to a request.
//
// Input: byte 0 picks the head: bit 0 clear, HTTP 200 with content-type application/grpc
// and grpc-status 0 (the common case, so the fuzzer spends its time in the message);
// set, a status, content type and grpc-status from bytes 1-3. Bit 1 set: the rest is
// framed here as one gRPC message (so it reaches the protobuf parser); clear: the rest is
// the body as it came, framing and all.
//
// Invariants, beyond "no crash, no sanitizer report":
//  - an error says why;
//  - an allowed answer's changes name only header fields the gateway may let a service
//    set (tokens, lower case, none of the framing or hop-by-hop names) with values that
//    cannot split a header (no CR, LF, NUL or other controls), and after applying them to
//    a request every field is still such a field;
//  - a denied answer's status is a 4xx or 5xx, its message at most 4 KiB, its headers as
//    above.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/auth/ext_authz.h"
#include "dataplane/http/header_map.h"
#include "tools/fuzz/fuzz_check.h"

namespace switchyard::auth {
namespace {

bool IsTokenCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A lower-case field name the gateway lets a service set.
bool SettableName(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!IsTokenCharacter(c)) return false;
  }
  for (const std::string_view owned :
       {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te",
        "trailer", "proxy-connection", "expect", "x-switchyard-local-reply"}) {
    if (name == owned) return false;
  }
  return true;
}

bool SafeValue(std::string_view value) {
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && byte != '\t') || byte == 0x7f) return false;
  }
  return true;
}

}  // namespace
}  // namespace switchyard::auth

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using switchyard::auth::CheckDecision;
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  int status = 200;
  std::string content_type = "application/grpc";
  std::string grpc_status = "0";
  if ((mode & 1) != 0 && rest.size() >= 3) {
    status = 100 + static_cast<unsigned char>(rest[0]) * 2;
    content_type = (rest[1] & 1) != 0 ? "application/grpc+proto" : "text/html";
    grpc_status = std::to_string(static_cast<unsigned char>(rest[2]) % 20);
    rest.remove_prefix(3);
  }
  std::string body;
  if ((mode & 2) != 0) {
    body.assign(5, '\0');
    body[1] = static_cast<char>(rest.size() >> 24);
    body[2] = static_cast<char>(rest.size() >> 16);
    body[3] = static_cast<char>(rest.size() >> 8);
    body[4] = static_cast<char>(rest.size());
  }
  body.append(rest);

  const CheckDecision decision =
      switchyard::auth::ReadCheckResponse(status, &content_type, &grpc_status, body);
  switch (decision.outcome) {
    case CheckDecision::Outcome::kError:
      FUZZ_CHECK(!decision.error.empty());
      break;
    case CheckDecision::Outcome::kAllowed: {
      for (const auto& change : decision.header_changes) {
        FUZZ_CHECK(switchyard::auth::SettableName(change.name));
        FUZZ_CHECK(switchyard::auth::SafeValue(change.value));
      }
      for (const std::string& name : decision.headers_to_remove) {
        FUZZ_CHECK(switchyard::auth::SettableName(name));
      }
      switchyard::http::HeaderMap headers;
      headers.Add("host", "api.example.com");
      headers.Add("x-user", "mallory");
      switchyard::auth::ApplyHeaderChanges(decision, headers);
      FUZZ_CHECK(headers.Has("host"));
      for (const auto& field : headers) FUZZ_CHECK(switchyard::auth::SafeValue(field.value));
      break;
    }
    case CheckDecision::Outcome::kDenied:
      FUZZ_CHECK(decision.status >= 400 && decision.status <= 599);
      FUZZ_CHECK(decision.message.size() <= switchyard::auth::kMaxDeniedBodyBytes);
      for (const auto& [name, value] : decision.reply_headers) {
        FUZZ_CHECK(switchyard::auth::SettableName(name));
        FUZZ_CHECK(switchyard::auth::SafeValue(value));
      }
      break;
  }
  return 0;
}
