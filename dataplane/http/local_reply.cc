#include "dataplane/http/local_reply.h"

#include <array>
#include <string>

#include "dataplane/http/grpc.h"
#include "dataplane/http/header_map.h"
#include "dataplane/http/serializer.h"
#include "nlohmann/json.hpp"

namespace switchyard::http {
namespace {

// Fields of a local reply that only the gateway writes.
constexpr std::array<std::string_view, 8> kReservedFields = {
    "content-length",  "transfer-encoding", "connection",  "content-type",
    kLocalReplyHeader, "x-request-id",      "grpc-status", "grpc-message"};

bool IsReserved(std::string_view lower_name) {
  for (std::string_view reserved : kReservedFields) {
    if (lower_name == reserved) return true;
  }
  return false;
}

void AddCommonHeaders(const LocalReply& reply, std::string_view request_id, HeaderMap& headers) {
  headers.Add(kLocalReplyHeader, "true");
  if (!request_id.empty()) headers.Add("x-request-id", request_id);
  for (const HeaderField& field : reply.headers) {
    if (!IsReserved(field.name)) headers.Add(field.name, field.value);
  }
}

}  // namespace

int BuildLocalReply(const LocalReply& reply, std::string_view request_id, LocalReplyFormat format,
                    HeaderMap& headers, std::string& body) {
  headers.clear();
  body.clear();
  if (format == LocalReplyFormat::kGrpc) {
    headers.Add("content-type", "application/grpc");
    headers.Add("grpc-status", std::to_string(GrpcStatusFor(reply.status, reply.error)));
    headers.Add("grpc-message", PercentEncodeGrpcMessage(reply.message));
    AddCommonHeaders(reply, request_id, headers);
    return 200;
  }
  if (reply.status == 204) {
    // An answer rather than an error (a CORS preflight's): 204 has no content.
    AddCommonHeaders(reply, request_id, headers);
    return 204;
  }
  nlohmann::json json = {
      {"status", reply.status},
      {"error", std::string(reply.error)},
      {"message", reply.message},
      {"request_id", std::string(request_id)},
  };
  // The request id may come from the client: replace invalid UTF-8 rather than throw.
  body = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  body += '\n';
  headers.Add("content-type", "application/json");
  AddCommonHeaders(reply, request_id, headers);
  return reply.status;
}

void AppendLocalReply(std::string& out, const LocalReply& reply, std::string_view request_id,
                      LocalReplyFormat format, bool close) {
  HeaderMap headers;
  std::string text;
  const int status = BuildLocalReply(reply, request_id, format, headers, text);
  ResponseFraming framing;
  // RFC 9110 8.6: no Content-Length on a 204.
  framing.framing = status == 204 ? BodyFraming::kNone : BodyFraming::kContentLength;
  framing.content_length = text.size();
  framing.close = close;
  AppendResponseHead(out, status, headers, framing);
  out += text;
}

}  // namespace switchyard::http
