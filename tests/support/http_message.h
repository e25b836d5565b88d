// HTTP/1.1 messages as the harness sees them on the wire, and an incremental parser.
//
// Parsing uses Beast's basic_parser so the harness does not carry its own HTTP grammar, but
// the result keeps what a test needs to judge a proxy: every field in received order
// (duplicates included), whether the body was chunked or length-delimited, and the body
// itself or just a byte count when a sink consumes it.
#ifndef SWITCHYARD_TESTS_SUPPORT_HTTP_MESSAGE_H_
#define SWITCHYARD_TESTS_SUPPORT_HTTP_MESSAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::testing {

// Header fields in received order; lookups ignore case.
class Headers {
 public:
  Headers() = default;
  Headers(std::initializer_list<std::pair<std::string, std::string>> fields) : fields_(fields) {}

  void Add(std::string_view name, std::string_view value) {
    fields_.emplace_back(std::string(name), std::string(value));
  }
  // First value of `name`, if present.
  std::optional<std::string> Get(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string> GetAll(std::string_view name) const;
  // All values of `name` joined with ", " (the combined field value of RFC 9110 5.3).
  std::string Joined(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  size_t Count(std::string_view name) const { return GetAll(name).size(); }

  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
  bool empty() const { return fields_.empty(); }
  // "name: value" lines, for failure messages.
  std::string DebugString() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// What a parsed message carried. Requests fill method/target, responses status/reason.
struct HttpMessage {
  std::string method;
  std::string target;
  int status = 0;
  std::string reason;
  int version = 0;  // 10 or 11
  Headers headers;
  // A chunked body's trailer fields, as received.
  Headers trailers;
  bool chunked = false;
  std::optional<uint64_t> content_length;
  std::string body;         // empty when a body sink consumed the bytes
  uint64_t body_bytes = 0;  // de-chunked body bytes seen, stored or not
  std::vector<uint64_t> chunk_sizes;
};

// Feeds bytes into Beast's parser for one message. Create a new one per message.
class MessageParser {
 public:
  using BodySink = std::function<void(std::string_view)>;

  // `head_response` makes a response parser skip the body (answer to a HEAD request).
  MessageParser(bool is_request, bool head_response = false);
  ~MessageParser();
  MessageParser(const MessageParser&) = delete;
  MessageParser& operator=(const MessageParser&) = delete;

  // When set, body bytes go to `sink` and are not stored in message().body.
  void set_body_sink(BodySink sink);

  enum class Result { kNeedMore, kHeaderDone, kDone, kError };
  // Consumes a prefix of *buffer (erasing it). kHeaderDone is reported once, when the
  // header has just been parsed and the body (if any) is still to come; call Feed again.
  Result Feed(std::string* buffer);
  // The peer closed its side; finishes a read-until-close body. kDone or kError.
  Result FeedEof();

  bool header_done() const;
  bool done() const;
  const HttpMessage& message() const { return message_; }
  HttpMessage& message() { return message_; }
  const std::string& error() const { return error_; }

 private:
  class Impl;
  template <bool kIsRequest>
  class BeastParser;
  std::unique_ptr<Impl> impl_;
  BodySink sink_;
  HttpMessage message_;
  std::string error_;
  bool reported_header_ = false;
};

// Builds "METHOD target HTTP/1.1\r\n" + fields + "\r\n" + body. Adds nothing implicitly:
// tests that want Content-Length or Host put them in `headers` so malformed requests can
// be expressed exactly.
std::string BuildRequest(std::string_view method, std::string_view target, const Headers& headers,
                         std::string_view body = {});
// A GET with Host and nothing else.
std::string SimpleGet(std::string_view target, std::string_view host = "example.com");

// The standard reason phrase for `status`, or "Status".
const char* ReasonPhrase(int status);

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_HTTP_MESSAGE_H_
