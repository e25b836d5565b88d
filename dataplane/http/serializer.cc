#include "dataplane/http/serializer.h"

#include <charconv>

#include "boost/beast/http/status.hpp"

namespace switchyard::http {
namespace {

void AppendNumber(std::string& out, uint64_t value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, result.ptr);
}

void AppendFields(std::string& out, const HeaderMap& headers) {
  for (const HeaderField& field : headers) {
    out += field.name;
    out += ": ";
    out += field.value;
    out += kCrlf;
  }
}

void AppendFraming(std::string& out, BodyFraming framing, uint64_t content_length) {
  if (framing == BodyFraming::kContentLength) {
    out += "content-length: ";
    AppendNumber(out, content_length);
    out += kCrlf;
  } else if (framing == BodyFraming::kChunked) {
    out += "transfer-encoding: chunked\r\n";
  }
}

}  // namespace

void AppendRequestHead(std::string& out, std::string_view method, std::string_view target,
                       const HeaderMap& headers, BodyFraming framing, uint64_t content_length) {
  out += method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\n";
  AppendFields(out, headers);
  AppendFraming(out, framing, content_length);
  out += kCrlf;
}

void AppendResponseHead(std::string& out, int status, const HeaderMap& headers,
                        const ResponseFraming& framing) {
  out += "HTTP/1.1 ";
  AppendNumber(out, static_cast<uint64_t>(status));
  out += ' ';
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  out.append(reason.data(), reason.size());
  out += kCrlf;
  AppendFields(out, headers);
  if (framing.keep_length_without_body) {
    AppendFraming(out, BodyFraming::kContentLength, framing.content_length);
  } else {
    AppendFraming(out, framing.framing, framing.content_length);
  }
  if (framing.close) out += "connection: close\r\n";
  out += kCrlf;
}

void FormatChunkHeader(std::string& out, uint64_t size) {
  char digits[20];
  const auto result = std::to_chars(digits, digits + sizeof(digits), size, 16);
  out.assign(digits, result.ptr);
  out += kCrlf;
}

void FormatLastChunk(std::string& out, const HeaderMap& trailers) {
  out = "0\r\n";
  AppendFields(out, trailers);
  out += kCrlf;
}

}  // namespace switchyard::http
