#include "tests/support/http_message.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/optional.hpp>
#include <limits>

#include "common/ascii.h"

namespace switchyard::testing {
namespace http = boost::beast::http;
using boost::beast::error_code;

namespace {

std::string ToStd(boost::beast::string_view s) { return std::string(s.data(), s.size()); }

// Large enough for every header a test sends on purpose (limit tests send >64 KiB so the
// proxy, not the harness, is what rejects them).
constexpr uint32_t kHeaderLimit = 4u << 20;

}  // namespace

std::optional<std::string> Headers::Get(std::string_view name) const {
  for (const auto& [n, v] : fields_) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Headers::GetAll(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : fields_) {
    if (EqualsIgnoreCase(n, name)) out.push_back(v);
  }
  return out;
}

std::string Headers::Joined(std::string_view name) const {
  std::string out;
  for (const std::string& v : GetAll(name)) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

std::string Headers::DebugString() const {
  std::string out;
  for (const auto& [n, v] : fields_) {
    out += n;
    out += ": ";
    out += v;
    out += "\n";
  }
  return out;
}

class MessageParser::Impl {
 public:
  virtual ~Impl() = default;
  virtual size_t Put(const char* data, size_t size, error_code& ec) = 0;
  virtual void PutEof(error_code& ec) = 0;
  virtual bool IsDone() const = 0;
  virtual bool IsHeaderDone() const = 0;
  virtual bool GotSome() const = 0;
};

template <bool kIsRequest>
class MessageParser::BeastParser final : public MessageParser::Impl,
                                         private http::basic_parser<kIsRequest> {
 public:
  BeastParser(MessageParser* owner, bool skip_body) : owner_(owner) {
    this->header_limit(kHeaderLimit);
    // Not boost::none: Beast 1.74 compares Content-Length against the optional directly,
    // and an empty optional then rejects every length-delimited body.
    this->body_limit(std::numeric_limits<uint64_t>::max());
    if (skip_body) this->skip(true);
  }

  size_t Put(const char* data, size_t size, error_code& ec) override {
    return this->put(boost::asio::const_buffer(data, size), ec);
  }
  void PutEof(error_code& ec) override { this->put_eof(ec); }
  bool IsDone() const override { return this->is_done(); }
  bool IsHeaderDone() const override { return this->is_header_done(); }
  bool GotSome() const override { return this->got_some(); }

 private:
  HttpMessage& Msg() { return owner_->message_; }

  void on_request_impl(http::verb, boost::beast::string_view method,
                       boost::beast::string_view target, int version, error_code&) override {
    Msg().method = ToStd(method);
    Msg().target = ToStd(target);
    Msg().version = version;
  }
  void on_response_impl(int code, boost::beast::string_view reason, int version,
                        error_code&) override {
    Msg().status = code;
    Msg().reason = ToStd(reason);
    Msg().version = version;
  }
  void on_field_impl(http::field, boost::beast::string_view name, boost::beast::string_view value,
                     error_code&) override {
    // Fields after the head are the chunked body's trailer section.
    (this->is_header_done() ? Msg().trailers : Msg().headers).Add(ToStd(name), ToStd(value));
  }
  void on_header_impl(error_code&) override {
    Msg().chunked = this->chunked();
    if (auto len = this->content_length()) Msg().content_length = *len;
  }
  void on_body_init_impl(const boost::optional<uint64_t>&, error_code&) override {}
  size_t on_body_impl(boost::beast::string_view body, error_code&) override {
    Deliver(body);
    return body.size();
  }
  void on_chunk_header_impl(uint64_t size, boost::beast::string_view, error_code&) override {
    Msg().chunk_sizes.push_back(size);
  }
  size_t on_chunk_body_impl(uint64_t, boost::beast::string_view body, error_code&) override {
    Deliver(body);
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  void Deliver(boost::beast::string_view body) {
    Msg().body_bytes += body.size();
    if (owner_->sink_) {
      owner_->sink_(std::string_view(body.data(), body.size()));
    } else {
      Msg().body.append(body.data(), body.size());
    }
  }

  MessageParser* owner_;
};

MessageParser::MessageParser(bool is_request, bool head_response) {
  if (is_request) {
    impl_ = std::make_unique<BeastParser<true>>(this, false);
  } else {
    impl_ = std::make_unique<BeastParser<false>>(this, head_response);
  }
}

MessageParser::~MessageParser() = default;

void MessageParser::set_body_sink(BodySink sink) { sink_ = std::move(sink); }

bool MessageParser::header_done() const { return impl_->IsHeaderDone(); }
bool MessageParser::done() const { return impl_->IsDone(); }

MessageParser::Result MessageParser::Feed(std::string* buffer) {
  if (!error_.empty()) return Result::kError;
  while (!impl_->IsDone() && !buffer->empty()) {
    error_code ec;
    const size_t used = impl_->Put(buffer->data(), buffer->size(), ec);
    buffer->erase(0, used);
    if (ec && ec != http::error::need_more) {
      error_ = ec.message();
      return Result::kError;
    }
    if (impl_->IsHeaderDone() && !reported_header_) {
      reported_header_ = true;
      if (!impl_->IsDone()) return Result::kHeaderDone;
    }
    if (ec == http::error::need_more || used == 0) break;
  }
  if (impl_->IsDone()) return Result::kDone;
  if (impl_->IsHeaderDone() && !reported_header_) {
    reported_header_ = true;
    return Result::kHeaderDone;
  }
  return Result::kNeedMore;
}

MessageParser::Result MessageParser::FeedEof() {
  if (impl_->IsDone()) return Result::kDone;
  if (!impl_->GotSome()) {
    error_ = "closed before any byte of the message";
    return Result::kError;
  }
  error_code ec;
  impl_->PutEof(ec);
  if (ec) {
    error_ = ec.message();
    return Result::kError;
  }
  return impl_->IsDone() ? Result::kDone : Result::kError;
}

std::string BuildRequest(std::string_view method, std::string_view target, const Headers& headers,
                         std::string_view body) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  for (const auto& [n, v] : headers.fields()) out.append(n).append(": ").append(v).append("\r\n");
  out.append("\r\n");
  out.append(body);
  return out;
}

std::string SimpleGet(std::string_view target, std::string_view host) {
  return BuildRequest("GET", target, {{"Host", std::string(host)}});
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 103:
      return "Early Hints";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace switchyard::testing
