// Fuzz target: the HTTP/1 request parser (dataplane/http/message_parser) fed the way
// Http1Connection feeds it: bytes arrive in reads of arbitrary size, every Feed sees all the
// buffered bytes not yet consumed, consumed bytes are discarded, and after a complete
// message a fresh parser takes the rest of the buffer (pipelined requests).
//
// Input: byte 0 chooses how the rest is split into reads and which limits apply; bytes
// 1.. are what the client sends.
//   bits 0-5 (k): 0 = everything in one read; else reads of 1..k bytes, sizes drawn from
//                 a generator seeded by byte 0 (k = 1 is byte by byte).
//   bits 6-7:     3 = tight limits (256-byte head, 4 fields, 64-byte request line) so the
//                 431/414 paths are reached by short inputs; otherwise the proxy's real
//                 defaults (ParserLimits{}, the same as switchyard-proxy's flag defaults).
// Seed files therefore start with a printable control byte: '@' (one read, real limits),
// 'A' (byte by byte), 'a' (reads of up to 33 bytes), '\xc0' and up (tight limits).
//
// Invariants checked (beyond "no crash, no sanitizer report"): see CheckHead and the
// body checks in LLVMFuzzerTestOneInput.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/ascii.h"
#include "dataplane/http/header_map.h"
#include "dataplane/http/message_parser.h"
#include "tools/fuzz/fuzz_check.h"

namespace switchyard::http {
namespace {

ParserLimits LimitsFor(uint8_t control) {
  if ((control >> 6) != 3) return ParserLimits{};
  ParserLimits tight;
  tight.max_header_bytes = 256;
  tight.max_headers = 4;
  tight.max_request_line = 64;
  return tight;
}

// Sizes of successive reads, reproducible from the control byte.
class ReadSizes {
 public:
  explicit ReadSizes(uint8_t control) : max_(control & 0x3F), state_(control | 0x100u) {}
  size_t Next(size_t remaining) {
    if (max_ == 0) return remaining;
    state_ ^= state_ << 13;  // xorshift32
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    const size_t size = 1 + state_ % max_;
    return size < remaining ? size : remaining;
  }

 private:
  uint32_t max_;
  uint32_t state_;
};

size_t CountFields(const HeaderMap& headers, std::string_view name) {
  size_t count = 0;
  for (const auto& field : headers) count += EqualsIgnoreCase(field.name, name) ? 1 : 0;
  return count;
}

// What a complete, accepted request head must satisfy: the guarantees the session and
// the proxy's phases rely on without checking again.
void CheckHead(const RequestParser& parser, const ParserLimits& limits, size_t head_bytes) {
  FUZZ_CHECK(!parser.method().empty());
  FUZZ_CHECK(!parser.target().empty());
  FUZZ_CHECK(parser.version() == 10 || parser.version() == 11);
  FUZZ_CHECK(parser.method().size() + parser.target().size() + 10 <= limits.max_request_line);
  FUZZ_CHECK(head_bytes <= limits.max_header_bytes);
  const HeaderMap& headers = parser.headers();
  FUZZ_CHECK(headers.size() <= limits.max_headers);
  const size_t hosts = CountFields(headers, "host");
  FUZZ_CHECK(hosts <= 1);
  if (parser.version() == 11) FUZZ_CHECK(hosts == 1);
  const size_t lengths = CountFields(headers, "content-length");
  const size_t codings = CountFields(headers, "transfer-encoding");
  FUZZ_CHECK(lengths <= 1 && codings <= 1);
  FUZZ_CHECK(lengths + codings <= 1);  // never both: request smuggling
  switch (parser.framing()) {
    case BodyFraming::kNone:
      FUZZ_CHECK(codings == 0);
      break;
    case BodyFraming::kContentLength:
      FUZZ_CHECK(lengths == 1 && codings == 0);
      break;
    case BodyFraming::kChunked:
      FUZZ_CHECK(codings == 1 && lengths == 0);
      break;
    case BodyFraming::kUntilClose:
      FUZZ_CHECK(false);  // a request body is never delimited by the close
      break;
  }
}

int FuzzOne(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ParserLimits limits = LimitsFor(data[0]);
  ReadSizes reads(data[0]);
  const std::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);

  size_t delivered = 0;  // bytes of `wire` read so far
  std::string buffer;    // read and not yet consumed, as the session's buffer
  HeaderMap headers;
  std::optional<RequestParser> parser;
  parser.emplace(limits, headers);
  size_t head_bytes = 0;    // consumed by this message before its head was complete
  uint64_t body_bytes = 0;  // body handed out for this message so far

  // Ends: every turn consumes bytes, starts a new message on consumed bytes, or reads.
  for (;;) {
    if (!buffer.empty()) {
      const bool header_was_done = parser->is_header_done();
      boost::beast::error_code ec;
      const size_t n = parser->Feed(buffer, ec);
      FUZZ_CHECK(n <= buffer.size());
      const std::string_view piece = parser->TakeBody();
      FUZZ_CHECK(parser->TakeBody().empty());  // TakeBody clears
      if (!piece.empty()) {
        // Body pieces point into what was fed, within what the caller may now discard.
        FUZZ_CHECK(header_was_done || parser->is_header_done());
        FUZZ_CHECK(piece.data() >= buffer.data());
        FUZZ_CHECK(piece.data() + piece.size() <= buffer.data() + n);
        body_bytes += piece.size();
        if (parser->framing() == BodyFraming::kContentLength) {
          FUZZ_CHECK(body_bytes <= parser->content_length());
        }
        FUZZ_CHECK(parser->framing() != BodyFraming::kNone);
      }
      if (ec) {
        // Refused: the session answers 400/414/431 and closes the connection.
        FUZZ_CHECK(parser->failure() != ParseFailure::kNone);
        return 0;
      }
      FUZZ_CHECK(parser->failure() == ParseFailure::kNone);
      if (!header_was_done) head_bytes += n;
      if (!header_was_done && parser->is_header_done()) CheckHead(*parser, limits, head_bytes);
      buffer.erase(0, n);
      if (parser->is_done()) {
        if (parser->framing() == BodyFraming::kContentLength) {
          FUZZ_CHECK(body_bytes == parser->content_length());
        }
        if (parser->framing() == BodyFraming::kNone) FUZZ_CHECK(body_bytes == 0);
        // The next pipelined request gets a fresh parser on the same buffer.
        parser.emplace(limits, headers);
        head_bytes = 0;
        body_bytes = 0;
        continue;
      }
      if (n > 0) continue;
      // n == 0: Beast needs more bytes than are buffered.
    }
    if (delivered == wire.size()) return 0;  // the client stopped sending
    const size_t read = reads.Next(wire.size() - delivered);
    buffer.append(wire.substr(delivered, read));
    delivered += read;
  }
}

}  // namespace
}  // namespace switchyard::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return switchyard::http::FuzzOne(data, size);
}
