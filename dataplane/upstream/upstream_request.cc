#include "dataplane/upstream/upstream_request.h"

#include <array>
#include <cstdlib>
#include <span>
#include <utility>

#include "absl/time/clock.h"
#include "boost/asio/write.hpp"
#include "common/log.h"
#include "dataplane/http/h2_fields.h"
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
    : executor_(executor), services_(services), limits_(limits), h2_exchange_(executor) {}

UpstreamRequest::~UpstreamRequest() { Finish(EndpointOutcome::kReset, false, 0); }

const runtime::Endpoint& UpstreamRequest::ChooseEndpoint(const runtime::RuntimeConfig& config,
                                                         const runtime::Cluster& cluster,
                                                         bool client_http2) {
  if (endpoint_state_ != nullptr) services_.endpoints.End(endpoint_state_, EndpointOutcome::kReset);
  const size_t cluster_index = static_cast<size_t>(&cluster - config.clusters().data());
  const EndpointStore::Pick pick = services_.endpoints.Begin(config, cluster_index);
  endpoint_state_ = pick.state;
  endpoint_ = &cluster.endpoints[pick.index];
  cluster_ = &cluster;
  http2_ = cluster.protocol == v1::Cluster::HTTP2 ||
           (cluster.protocol == v1::Cluster::MATCH_CLIENT && client_http2);
  pool_key_ = http2_ ? &endpoint_->pool_key_http2 : &endpoint_->pool_key;
  return *endpoint_;
}

bool UpstreamRequest::TakePooled(bool verify_open) {
  connection_ = services_.pool.Acquire(*pool_key_, services_.clock.Now(), verify_open);
  // The key says the protocol: an HTTP/2 key only ever holds HTTP/2 connections.
  if (http2_) h2_connection_ = std::static_pointer_cast<H2Connection>(connection_);
  return connection_ != nullptr;
}

io::Awaitable<error_code> UpstreamRequest::Connect() {
  tls_failed_ = false;
  connecting_ = true;
  if (http2_) {
    h2_connection_ = std::make_shared<H2Connection>(
        executor_, H2ConnectionLimits{.max_header_bytes = limits_.max_header_bytes});
    connection_ = h2_connection_;
  } else {
    connection_ = std::make_shared<UpstreamConnection>(executor_);
  }
  connection_->buffer.max_size(limits_.max_header_bytes + io::kReadChunk);
  error_code ec;
  co_await connection_->socket.async_connect(endpoint_->address, AwaitInto(ec));
  if (ec) {
    DropNewConnection();
    co_return ec;
  }
  connection_->socket.set_option(net::ip::tcp::no_delay(true), ec);
  if (const tls::UpstreamTlsContext* tls = cluster_->tls.get(); tls != nullptr) {
    SSL* ssl = tls->NewSsl(endpoint_->address.address(), http2_);
    if (ssl == nullptr) {
      DropNewConnection();
      co_return net::error::no_memory;
    }
    connection_->tls = std::make_unique<io::TlsLayer>(ssl, connection_->socket);
    ec = co_await connection_->tls->Handshake();
    std::string detail = ec ? connection_->tls->error_detail() : "";
    if (!ec && http2_ && connection_->tls->alpn() != "h2") {
      // The cluster says HTTP/2; an endpoint that does not agree would read our frames as
      // a broken HTTP/1.1 request.
      ec = net::error::connection_aborted;
      detail = "the endpoint did not accept HTTP/2 (ALPN h2)";
    }
    if (ec) {
      tls_failed_ = ec != net::error::operation_aborted;  // not a deadline's Cancel()
      if (tls_failed_ && tls->ShouldLogFailure(absl::ToUnixSeconds(absl::Now()))) {
        LogWarning("TLS handshake with %s (cluster %s) failed: %s", endpoint_->authority.c_str(),
                   cluster_->name.c_str(), detail.c_str());
      }
      DropNewConnection();
      co_return ec;
    }
  }
  if (http2_) {
    if (!h2_connection_->Start()) {
      DropNewConnection();
      co_return net::error::no_memory;
    }
    // Shared from now on: the worker's next requests may open streams on it at once.
    services_.pool.AddMultiplexed(*pool_key_, connection_);
  }
  connecting_ = false;
  co_return error_code{};
}

void UpstreamRequest::DropNewConnection() {
  connecting_ = false;
  if (connection_ != nullptr) {
    error_code ignored;
    connection_->socket.close(ignored);
  }
  connection_.reset();
  h2_connection_.reset();
}

bool UpstreamRequest::OpenHttp2Stream(std::string_view method, std::string_view target,
                                      const http::HeaderMap& headers, const http::BodyInfo& body,
                                      error_code& ec) {
  h2_exchange_.Reset(&response_trailers_);
  h2_fields_.clear();
  const std::string* host = headers.Get("host");
  h2_fields_.push_back(http::Nv(":method", method));
  h2_fields_.push_back(http::Nv(":scheme", cluster_->tls != nullptr ? "https" : "http"));
  h2_fields_.push_back(
      http::Nv(":authority", host != nullptr ? std::string_view(*host) : endpoint_->authority));
  h2_fields_.push_back(http::Nv(":path", target));
  for (const http::HeaderField& field : headers) {
    // Host became :authority; the hop-by-hop fields are gone already, but a WebSocket
    // route put Upgrade and Connection back.
    if (field.name != "host" && !http::IsForbiddenInHttp2(field.name, field.value)) {
      h2_fields_.push_back(http::Nv(field.name, field.value));
    }
  }
  if (body.has_body && body.length_known) {
    content_length_ = std::to_string(body.length);
    h2_fields_.push_back(http::Nv("content-length", content_length_));
  }
  if (!h2_connection_->Open(h2_exchange_, h2_fields_, body.has_body)) {
    // Going away since it was taken: nothing was sent, so the request may go elsewhere.
    h2_exchange_.refused = true;
    ec = net::error::connection_refused;
  }
  return true;
}

bool UpstreamRequest::SendHeadNow(std::string_view method, std::string_view target,
                                  const http::HeaderMap& headers, const http::BodyInfo& body,
                                  error_code& ec) {
  if (http2_) return OpenHttp2Stream(method, target, headers, body, ec);
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
  if (http2_) {
    co_return co_await h2_connection_->SendBody(h2_exchange_, piece, false, nullptr);
  }
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

io::Awaitable<error_code> UpstreamRequest::EndBody(const http::HeaderMap& trailers) {
  if (http2_) {
    const std::string_view nothing;
    co_return co_await h2_connection_->SendBody(h2_exchange_, nothing, true, &trailers);
  }
  error_code ec;
  if (!chunked_) co_return ec;
  net::const_buffer last_chunk = net::buffer(http::kLastChunk.data(), http::kLastChunk.size());
  if (!trailers.empty()) {
    http::FormatLastChunk(chunk_header_, trailers);
    last_chunk = net::buffer(chunk_header_);
  }
  SWITCHYARD_CONNECTION_WRITE(connection_->tls, connection_->socket, last_chunk, ec);
  co_return ec;
}

void UpstreamRequest::BeginHead(http::HeaderMap& headers, bool head_request) {
  head_request_ = head_request;
  if (http2_) {
    head_fields_ = &headers;
    headers.clear();
    return;
  }
  parser_.emplace(limits_, headers);
  parser_->set_trailers(&response_trailers_);
  if (head_request) parser_->skip(true);
}

bool UpstreamRequest::ParseHead(ResponseHeadInfo& head, error_code& ec) {
  if (http2_) return ParseHttp2Head(head, ec);
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

bool UpstreamRequest::ParseHttp2Head(ResponseHeadInfo& head, error_code& ec) {
  H2Exchange& ex = h2_exchange_;
  if (ex.heads.empty()) {
    if (ex.closed) ec = ex.refused ? net::error::connection_refused : net::error::connection_reset;
    return ex.closed;
  }
  H2Exchange::Head& received = ex.heads.front();
  head.status = received.status;
  head.version = 11;
  *head_fields_ = std::move(received.fields);
  ex.heads.pop_front();
  if (head.status < 200) return true;
  head.closes = false;
  const std::string* length = head_fields_->Get("content-length");
  uint64_t content_length = 0;
  const bool length_known =
      length != nullptr && !length->empty() && length->size() <= 19 &&
      std::all_of(length->begin(), length->end(), [](char c) { return c >= '0' && c <= '9'; });
  if (length_known) content_length = std::strtoull(length->c_str(), nullptr, 10);
  if (head_request_ || StatusHasNoBody(head.status)) {
    head.body = {.has_body = false, .length_known = length_known, .length = content_length};
  } else if (length_known) {
    head.body = {.has_body = true, .length_known = true, .length = content_length};
  } else if (ex.remote_ended && ex.incoming.empty()) {
    // The head ended the stream: no body at all. A gRPC "trailers-only" answer (its status
    // in the head) must reach an HTTP/2 client the same way, as one HEADERS frame that
    // ends the stream; an HTTP/1.1 client gets "content-length: 0".
    head.body = {.has_body = false, .length_known = true, .length = 0};
  } else {
    head.body = {.has_body = true};
  }
  return true;
}

bool UpstreamRequest::NextBufferedHttp2Piece(std::string_view& piece, bool& end, error_code& ec) {
  H2Exchange& ex = h2_exchange_;
  h2_connection_->Consume(ex);  // what went out last is the client's now: more may come
  piece = {};
  if (!ex.incoming.empty()) {
    ex.handed.swap(ex.incoming);
    piece = ex.handed;
    end = ex.remote_ended;
    return true;
  }
  if (ex.remote_ended) {
    end = true;
    return true;
  }
  if (ex.closed) {
    ec = net::error::connection_reset;
    return true;
  }
  return false;
}

bool UpstreamRequest::NextBufferedBodyPiece(std::string_view& piece, bool& end, error_code& ec) {
  if (http2_) return NextBufferedHttp2Piece(piece, end, ec);
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
  error_code ec;
  if (http2_) {
    do {
      ec = co_await h2_connection_->WaitReadable(h2_exchange_);
      if (ec) co_return ec;
    } while (!NextBufferedHttp2Piece(piece, end, ec));
    co_return ec;
  }
  UpstreamConnection& up = *connection_;
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
  // Tunnels are HTTP/1.1 upgrades; an HTTP/2 endpoint never answers 101.
  if (http2_) co_return net::error::operation_not_supported;
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
  if (http2_) co_return net::error::operation_not_supported;
  error_code ec;
  const net::const_buffer bytes = net::buffer(piece.data(), piece.size());
  SWITCHYARD_CONNECTION_WRITE(connection_->tls, connection_->socket, bytes, ec);
  co_return ec;
}

void UpstreamRequest::ShutdownTunnelWrite() {
  if (connection_ == nullptr || http2_) return;
  if (connection_->tls != nullptr) {
    connection_->tls->Close();  // close_notify: TLS's end of our side; reading goes on
    return;
  }
  error_code ignored;
  connection_->socket.shutdown(io::Socket::shutdown_send, ignored);
}

void UpstreamRequest::Cancel() {
  if (connection_ == nullptr) return;
  if (http2_ && !connecting_) {
    H2Connection::Cancel(h2_exchange_);  // not the socket: other streams share it
    return;
  }
  error_code ignored;
  connection_->socket.cancel(ignored);
}

void UpstreamRequest::Abandon() {
  if (connection_ == nullptr) return;
  if (http2_) {
    h2_connection_->Detach(h2_exchange_);  // resets the stream; the connection stays
    return;
  }
  error_code ignored;
  connection_->socket.close(ignored);
}

void UpstreamRequest::DropConnection() {
  if (http2_ && connection_ != nullptr) {
    h2_connection_->Detach(h2_exchange_);
    services_.pool.Release(*pool_key_, std::move(connection_), /*reusable=*/true, 0,
                           services_.clock.Now());
    connection_.reset();
    h2_connection_.reset();
    return;
  }
  Abandon();
  connection_.reset();
}

void UpstreamRequest::Finish(EndpointOutcome outcome, bool reusable, uint32_t max_idle) {
  if (endpoint_state_ != nullptr) {
    services_.endpoints.End(endpoint_state_, outcome);
    endpoint_state_ = nullptr;
  }
  if (connection_ == nullptr) return;
  if (http2_) {
    // A failed or abandoned exchange resets its own stream only: the connection stays
    // shared for as long as it accepts streams (the pool asks it).
    h2_connection_->Detach(h2_exchange_);
    services_.pool.Release(*pool_key_, std::move(connection_), /*reusable=*/true, max_idle,
                           services_.clock.Now());
    connection_.reset();
    h2_connection_.reset();
    return;
  }
  connection_->buffer.consume(body_consumed_);
  body_consumed_ = 0;
  const bool keep = reusable && !closes_ && !until_close_ && parser_.has_value() &&
                    parser_->is_done() && connection_->buffer.size() == 0 &&
                    connection_->socket.is_open();
  services_.pool.Release(*pool_key_, std::move(connection_), keep, max_idle, services_.clock.Now());
  connection_.reset();
}

}  // namespace switchyard::upstream
