#include "dataplane/http/local_reply.h"

#include <array>

#include "dataplane/http/header_map.h"
#include "dataplane/http/serializer.h"
#include "nlohmann/json.hpp"

namespace switchyard::http {
namespace {

// Fields of a local reply that only the gateway writes.
constexpr std::array<std::string_view, 6> kReservedFields = {"content-length",  "transfer-encoding",
                                                             "connection",      "content-type",
                                                             kLocalReplyHeader, "x-request-id"};

bool IsReserved(std::string_view lower_name) {
  for (std::string_view reserved : kReservedFields) {
    if (lower_name == reserved) return true;
  }
  return false;
}

}  // namespace

void BuildLocalReply(const LocalReply& reply, std::string_view request_id, HeaderMap& headers,
                     std::string& body) {
  nlohmann::json json = {
      {"status", reply.status},
      {"error", std::string(reply.error)},
      {"message", reply.message},
      {"request_id", std::string(request_id)},
  };
  // The request id may come from the client: replace invalid UTF-8 rather than throw.
  body = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  body += '\n';
  headers.clear();
  headers.Add("content-type", "application/json");
  headers.Add(kLocalReplyHeader, "true");
  if (!request_id.empty()) headers.Add("x-request-id", request_id);
  for (const HeaderField& field : reply.headers) {
    if (!IsReserved(field.name)) headers.Add(field.name, field.value);
  }
}

void AppendLocalReply(std::string& out, const LocalReply& reply, std::string_view request_id,
                      bool close) {
  HeaderMap headers;
  std::string text;
  BuildLocalReply(reply, request_id, headers, text);
  ResponseFraming framing;
  framing.framing = BodyFraming::kContentLength;
  framing.content_length = text.size();
  framing.close = close;
  AppendResponseHead(out, reply.status, headers, framing);
  out += text;
}

}  // namespace switchyard::http
