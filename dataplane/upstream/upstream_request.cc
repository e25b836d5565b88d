#include "dataplane/upstream/upstream_request.h"

#include <array>
#include <cstdlib>
#include <span>
#include <utility>

#include "absl/time/clock.h"
#include "boost/asio/write.hpp"
#include "common/log.h"
#include "dataplane/http/proxy_headers.h"
#include "dataplane/http/serializer.h"
#include "dataplane/io/read_some.h"
#include "dataplane/io/send_now.h"

namespace switchyard::upstream {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using io::AwaitInto;

// Note for every co_await in this file: g++ 12 may destroy a temporary with a non-trivial
// destructor twice when it appears in a co_await expression, so arguments are named
// locals, never temporaries.

bool StatusHasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

http::BodyInfo ResponseBody(const http::ResponseParser& parser, bool head_request) {
  const int status = parser.status();
  switch (parser.framing()) {
    case http::BodyFraming::kNone:
      if (const std::string* length = parser.headers().Get("content-length");
          length != nullptr && (head_request || status == 304)) {
        return {.has_body = false,
                .length_known = true,
                .length = std::strtoull(length->c_str(), nullptr, 10)};
      }
      if (!StatusHasNoBody(status) && !head_request) {
        return {.has_body = true, .length_known = true, .length = 0};
      }
      return {};
    case http::BodyFraming::kContentLength:
      return {.has_body = true, .length_known = true, .length = parser.content_length()};
    case http::BodyFraming::kChunked:
    case http::BodyFraming::kUntilClose:
      return {.has_body = true};
  }
  return {};
}

}  // namespace

UpstreamRequest::UpstreamRequest(const io::Executor& executor, UpstreamServices services,
                                 const http::ParserLimits& limits)
    : executor_(executor), services_(services), limits_(limits) {}

UpstreamRequest::~UpstreamRequest() { Finish(EndpointOutcome::kReset, false, 0); }

const runtime::Endpoint& UpstreamRequest::ChooseEndpoint(const runtime::RuntimeConfig& config,
                                                         const runtime::Cluster& cluster) {
  if (endpoint_state_ != nullptr) services_.endpoints.End(endpoint_state_, EndpointOutcome::kReset);
  const size_t cluster_index = static_cast<size_t>(&cluster - config.clusters().data());
  const EndpointStore::Pick pick = services_.endpoints.Begin(config, cluster_index);
  endpoint_state_ = pick.state;
  endpoint_ = &cluster.endpoints[pick.index];
  cluster_ = &cluster;
  return *endpoint_;
}

bool UpstreamRequest::TakePooled(bool verify_open) {
  connection_ = services_.pool.Acquire(endpoint_->pool_key, services_.clock.Now(), verify_open);
  return connection_ != nullptr;
}

io::Awaitable<error_code> UpstreamRequest::Connect() {
  tls_failed_ = false;
  connection_ = std::make_shared<UpstreamConnection>(executor_);
  connection_->buffer.max_size(limits_.max_header_bytes + io::kReadChunk);
  error_code ec;
  co_await connection_->socket.async_connect(endpoint_->address, AwaitInto(ec));
  if (ec) {
    connection_.reset();
    co_return ec;
  }
  connection_->socket.set_option(net::ip::tcp::no_delay(true), ec);
  const tls::UpstreamTlsContext* tls = cluster_->tls.get();
  if (tls == nullptr) co_return error_code{};

  SSL* ssl = tls->NewSsl(endpoint_->address.address());
  if (ssl == nullptr) {
    connection_.reset();
    co_return net::error::no_memory;
  }
  connection_->tls = std::make_unique<io::TlsLayer>(ssl, connection_->socket);
  ec = co_await connection_->tls->Handshake();
  if (ec) {
    tls_failed_ = ec != net::error::operation_aborted;  // not a deadline's Cancel()
    if (tls_failed_ && tls->ShouldLogFailure(absl::ToUnixSeconds(absl::Now()))) {
      LogWarning("TLS handshake with %s (cluster %s) failed: %s", endpoint_->authority.c_str(),
                 cluster_->name.c_str(), connection_->tls->error_detail().c_str());
    }
    connection_.reset();
  }
  co_return ec;
}

bool UpstreamRequest::SendHeadNow(std::string_view method, std::string_view target,
                                  const http::HeaderMap& headers, const http::BodyInfo& body,
                                  error_code& ec) {
  http::BodyFraming framing = http::BodyFraming::kNone;
  if (body.has_body) {
    framing = body.length_known ? http::BodyFraming::kContentLength : http::BodyFraming::kChunked;
  }
  chunked_ = framing == http::BodyFraming::kChunked;
  closes_ = false;
  until_close_ = false;
  body_consumed_ = 0;
  parser_.reset();
  head_.clear();
  http::AppendRequestHead(head_, method, target, headers, framing, body.length);
  const std::array<net::const_buffer, 1> buffers = {net::buffer(head_)};
  head_sent_ = connection_->tls != nullptr ? connection_->tls->WriteNow(buffers, ec)
                                           : io::SendNow(connection_->socket, buffers, ec);
  return ec || head_sent_ == head_.size();
}

io::Awaitable<error_code> UpstreamRequest::SendRestOfHead() {
  error_code ec;
  const net::const_buffer rest = net::buffer(head_) + head_sent_;
  SWITCHYARD_CONNECTION_WRITE(connection_->tls, connection_->socket, rest, ec);
  co_return ec;
}

io::Awaitable<error_code> UpstreamRequest::SendBody(std::string_view piece) {
  error_code ec;
  if (piece.empty()) co_return ec;
  if (chunked_) {
    http::FormatChunkHeader(chunk_header_, piece.size());
    const std::array<net::const_buffer, 3> buffers = {
        net::buffer(chunk_header_), net::buffer(piece.data(), piece.size()),
        net::buffer(http::kCrlf.data(), http::kCrlf.size())};
    const std::span<const net::const_buffer> all(buffers);
    SWITCHYARD_CONNECTION_WRITE(connection_->tls, connection_->socket, all, ec);
  } else {
    const net::const_buffer bytes = net::buffer(piece.data(), piece.size());
    SWITCHYARD_CONNECTION_WRITE(connection_->tls, connection_->socket, bytes, ec);
  }
  co_return ec;
}

io::Awaitable<error_code> UpstreamRequest::EndBody() {
  error_code ec;
  if (!chunked_) co_return ec;
  const net::const_buffer last_chunk =
      net::buffer(http::kLastChunk.data(), http::kLastChunk.size());
  SWITCHYARD_CONNECTION_WRITE(connection_->tls, connection_->socket, last_chunk, ec);
  co_return ec;
}

void UpstreamRequest::BeginHead(http::HeaderMap& headers, bool head_request) {
  head_request_ = head_request;
  parser_.emplace(limits_, headers);
  parser_->set_trailers(&response_trailers_);
  if (head_request) parser_->skip(true);
}

bool UpstreamRequest::ParseHead(ResponseHeadInfo& head, error_code& ec) {
  boost::beast::flat_buffer& buffer = connection_->buffer;
  while (buffer.size() > 0) {
    const size_t n = parser_->Feed(io::Readable(buffer), ec);
    buffer.consume(n);
    if (ec) return true;
    if (parser_->is_header_done()) {
      head.status = parser_->status();
      head.version = parser_->version();
      if (head.status < 200) return true;
      head.closes = http::ClientWantsClose(parser_->headers(), head.version);
      head.body = ResponseBody(*parser_, head_request_);
      until_close_ = parser_->framing() == http::BodyFraming::kUntilClose;
      closes_ = head.closes;
      body_consumed_ = 0;
      return true;
    }
    if (n == 0) break;
  }
  // The parser refuses a head over its limit long before this, but never read past it.
  if (buffer.size() >= buffer.max_size()) {
    ec = net::error::no_buffer_space;
    return true;
  }
  return false;
}

bool UpstreamRequest::NextBufferedBodyPiece(std::string_view& piece, bool& end, error_code& ec) {
  UpstreamConnection& up = *connection_;
  up.buffer.consume(body_consumed_);
  body_consumed_ = 0;
  piece = {};
  for (;;) {
    if (parser_->is_done()) {
      end = true;
      return true;
    }
    if (up.buffer.size() == 0) return false;
    const size_t n = parser_->Feed(io::Readable(up.buffer), ec);
    if (ec) return true;
    piece = parser_->TakeBody();
    if (!piece.empty()) {
      body_consumed_ = n;  // the piece points into the buffer until the next call
      end = parser_->is_done();
      return true;
    }
    up.buffer.consume(n);
    if (n == 0) return false;
  }
}

io::Awaitable<error_code> UpstreamRequest::ReadBody(std::string_view& piece, bool& end) {
  UpstreamConnection& up = *connection_;
  error_code ec;
  do {
    SWITCHYARD_CONNECTION_READ_SOME(up.tls, up.socket, up.buffer, ec);
    if (ec == net::error::eof && until_close_) {
      parser_->put_eof(ec);
      if (!ec) {
        piece = {};
        end = true;
        co_return ec;
      }
    }
    if (ec) co_return ec;
  } while (!NextBufferedBodyPiece(piece, end, ec));
  co_return ec;
}

io::Awaitable<error_code> UpstreamRequest::ReadTunnel(std::string_view& piece) {
  boost::beast::flat_buffer& buffer = connection_->buffer;
  buffer.consume(body_consumed_);
  body_consumed_ = 0;
  error_code ec;
  if (buffer.size() == 0) {
    SWITCHYARD_CONNECTION_READ_SOME(connection_->tls, connection_->socket, buffer, ec);
    if (ec) co_return ec;
  }
  const net::const_buffer data = buffer.data();
  piece = std::string_view(static_cast<const char*>(data.data()), data.size());
  body_consumed_ = data.size();  // taken at the next call: `piece` points into the buffer
  co_return ec;
}

io::Awaitable<error_code> UpstreamRequest::WriteTunnel(std::string_view piece) {
  error_code ec;
  const net::const_buffer bytes = net::buffer(piece.data(), piece.size());
  SWITCHYARD_CONNECTION_WRITE(connection_->tls, connection_->socket, bytes, ec);
  co_return ec;
}

void UpstreamRequest::ShutdownTunnelWrite() {
  if (connection_ == nullptr) return;
  if (connection_->tls != nullptr) {
    connection_->tls->Close();  // close_notify: TLS's end of our side; reading goes on
    return;
  }
  error_code ignored;
  connection_->socket.shutdown(io::Socket::shutdown_send, ignored);
}

void UpstreamRequest::Cancel() {
  if (connection_ == nullptr) return;
  error_code ignored;
  connection_->socket.cancel(ignored);
}

void UpstreamRequest::Abandon() {
  if (connection_ == nullptr) return;
  error_code ignored;
  connection_->socket.close(ignored);
}

void UpstreamRequest::DropConnection() {
  Abandon();
  connection_.reset();
}

void UpstreamRequest::Finish(EndpointOutcome outcome, bool reusable, uint32_t max_idle) {
  if (endpoint_state_ != nullptr) {
    services_.endpoints.End(endpoint_state_, outcome);
    endpoint_state_ = nullptr;
  }
  if (connection_ == nullptr) return;
  connection_->buffer.consume(body_consumed_);
  body_consumed_ = 0;
  const bool keep = reusable && !closes_ && !until_close_ && parser_.has_value() &&
                    parser_->is_done() && connection_->buffer.size() == 0 &&
                    connection_->socket.is_open();
  services_.pool.Release(endpoint_->pool_key, std::move(connection_), keep, max_idle,
                         services_.clock.Now());
  connection_.reset();
}

}  // namespace switchyard::upstream
