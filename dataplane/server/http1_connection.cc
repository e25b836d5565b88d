#include "dataplane/server/http1_connection.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <span>
#include <utility>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/write.hpp"
#include "common/log.h"
#include "dataplane/http/proxy_headers.h"
#include "dataplane/http/serializer.h"
#include "dataplane/io/read_some.h"
#include "dataplane/io/send_now.h"
#include "dataplane/io/tls_layer.h"
#include "dataplane/server/http1_exchange.h"
#include "dataplane/server/worker.h"
#include "dataplane/tls/certificate_set.h"
#include "dataplane/tls/client_identity.h"

namespace switchyard::server {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using io::AwaitInto;

// A kept read buffer goes back to the worker after this many sweeps (kSweepInterval,
// 50 ms, apart) without a request: 50 to 100 ms of idleness.
constexpr uint8_t kIdleSweepsBeforeReclaim = 2;
// Draining, a connection that has not sent its first request yet waits this long for it.
constexpr auto kFirstRequestGraceWhenDraining = std::chrono::seconds(1);

// Note for every co_await in this file: g++ 12 may destroy a temporary with a non-trivial
// destructor twice when it appears in a co_await expression, so arguments are named
// locals, never temporaries.

http::LocalReply ReplyForParseFailure(http::ParseFailure failure) {
  switch (failure) {
    case http::ParseFailure::kHeaderTooLarge:
      return {431, "request_header_fields_too_large", "the request headers are too large"};
    case http::ParseFailure::kTooManyHeaders:
      return {431, "request_header_fields_too_large", "the request has too many header fields"};
    case http::ParseFailure::kUriTooLong:
      return {414, "uri_too_long", "the request line is too long"};
    default:
      return {400, "bad_request", "the request is malformed or its framing is ambiguous"};
  }
}

http::BodyInfo RequestBody(const http::RequestParser& parser) {
  switch (parser.framing()) {
    case http::BodyFraming::kContentLength:
      return {
          .has_body = !parser.is_done(), .length_known = true, .length = parser.content_length()};
    case http::BodyFraming::kChunked:
      return {.has_body = true};
    default:
      return {};
  }
}

}  // namespace

Http1Connection::Http1Connection(Worker& worker, io::Socket socket, SSL* tls)
    : worker_(worker), socket_(std::move(socket)) {
  error_code ec;
  const net::ip::tcp::endpoint remote = socket_.remote_endpoint(ec);
  if (!ec) client_ip_ = remote.address().to_string();
  if (tls != nullptr) tls_ = std::make_unique<io::TlsLayer>(tls, socket_);
  worker_.Register(*this);
}

Http1Connection::~Http1Connection() {
  ReleaseExchange(/*keep_buffer=*/false);
  worker_.Unregister(*this);
}

void Http1Connection::Start(std::unique_ptr<Http1Connection> connection) {
  Http1Connection& self = *connection;
  net::co_spawn(self.socket_.get_executor(), self.Run(std::move(connection)), net::detached);
}

void Http1Connection::Close() {
  if (closed_) return;
  closed_ = true;
  if (http2_ != nullptr) {
    http2_->Abort();  // its streams end, then Run returns
    return;
  }
  wait_ = Wait::kNothing;
  deadline_ = time::MonotonicTime::max();
  if (exchange_ != nullptr) exchange_->stream.Abort();
  if (tls_ != nullptr) tls_->Close();
  error_code ignored;
  // Half-close first so the client reads everything written before it sees the end.
  socket_.shutdown(io::Socket::shutdown_send, ignored);
  socket_.close(ignored);
}

void Http1Connection::CloseIfIdle() {
  if (http2_ != nullptr) {
    http2_->Shutdown();  // GOAWAY: streams begun finish, no new ones
    return;
  }
  if (wait_ != Wait::kNextRequest || exchange_ != nullptr || (in_ != nullptr && in_->size() > 0)) {
    return;
  }
  error_code ec;
  // Bytes already in the socket are a request on its way: serve it rather than cut it.
  if (socket_.available(ec) > 0 || ec) return;
  if (tls_ != nullptr && SSL_has_pending(tls_->ssl()) == 1) return;
  if (requests_served_ == 0) {
    // Accepted moments ago: its first request may be on the wire still. It gets a short
    // while to arrive (and is served with "Connection: close"); silent, it is closed.
    const time::MonotonicTime soon = worker_.clock().Now() + kFirstRequestGraceWhenDraining;
    if (soon < deadline_) deadline_ = soon;
    return;
  }
  Close();
}

void Http1Connection::Expect(Wait wait, time::Duration within) {
  wait_ = wait;
  deadline_ = worker_.clock().Now() + within;
}

void Http1Connection::Sweep(time::MonotonicTime now) {
  if (http2_ != nullptr) {
    http2_->Sweep(now);
    return;
  }
  if (deadline_ <= now) {
    timed_out_ = wait_;
    wait_ = Wait::kNothing;
    deadline_ = time::MonotonicTime::max();
    error_code ignored;
    socket_.cancel(ignored);
    return;
  }
  // Idle through a whole sweep interval: the buffer goes back to the worker (Run).
  if (reading_idle_ && ++idle_sweeps_ >= kIdleSweepsBeforeReclaim) {
    reclaim_buffer_ = true;
    error_code ignored;
    socket_.cancel(ignored);
    return;
  }
  if (exchange_ != nullptr) exchange_->stream.Sweep(now);
}

bool Http1Connection::ClientReset() {
  char byte;
  const ssize_t n = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

void Http1Connection::CancelIo() {
  error_code ignored;
  socket_.cancel(ignored);
}

io::Awaitable<void> Http1Connection::Run(std::unique_ptr<Http1Connection> self) {
  // No co_await inside && or ||: g++ 12 evaluates it even where the left side decides.
  bool usable = true;
  if (worker_.options().proxy_protocol != ProxyProtocolMode::kOff) {
    usable = co_await ReadProxyHeader();
  }
  if (usable && tls_ != nullptr) {
    usable = co_await Handshake();
  }
  if (!usable) {
    Close();
    ReleaseExchange(/*keep_buffer=*/false);
    co_return;
  }
  if (tls_ != nullptr && tls_->alpn() == "h2") {
    if (in_ == nullptr) in_ = worker_.TakeBuffer();
    co_await RunHttp2();
    Close();
    ReleaseExchange(/*keep_buffer=*/false);
    co_return;
  }
  while (!closed_) {
    timed_out_ = Wait::kNothing;
    if (in_ == nullptr || in_->size() == 0) {
      // Idle: wait for the next request's first bytes (see the header for the two ways).
      Expect(Wait::kNextRequest, worker_.options().idle_timeout);
      error_code ec;
      if (in_ != nullptr) {
        reading_idle_ = true;
        idle_sweeps_ = 0;
        SWITCHYARD_CONNECTION_READ_SOME(tls_.get(), socket_, *in_, ec);
        reading_idle_ = false;
        // The sweeper's cancel may cross a read that already completed: bytes are here.
        if (std::exchange(reclaim_buffer_, false) && ec == net::error::operation_aborted) {
          worker_.GiveBuffer(std::move(in_));
          ec = {};
        }
      }
      if (!ec && !closed_ && in_ == nullptr) {
        if (tls_ != nullptr) {
          ec = co_await tls_->WaitReadable();
        } else {
          // Without a buffer, a stream or a nested frame.
          const net::mutable_buffer peek(&worker_.peek_byte(), 1);
          co_await socket_.async_receive(peek, io::Socket::message_peek, AwaitInto(ec));
        }
      }
      if (ec || closed_) break;  // eof: the client closed its idle connection
    }
    // Most heads arrive in one read: parsed here, without a nested coroutine.
    HeadProgress progress = BeginRequestHead();
    if (progress == HeadProgress::kNeedMore || progress == HeadProgress::kFailed) {
      progress = co_await ReadRequestHead(progress);
    }
    if (progress == HeadProgress::kHttp2) {
      co_await RunHttp2();
      break;
    }
    if (progress != HeadProgress::kComplete) break;
    if (requests_served_ < 2) ++requests_served_;
    PrepareStream();
    proxy::Stream& stream = exchange_->stream;
    const proxy::StreamResult result = co_await stream.Run(*this);
    in_->consume(exchange_->body_consumed);
    exchange_->body_consumed = 0;
    // An unread request body makes the connection unusable for the next request.
    const bool close = result.close || exchange_->response_close || !exchange_->parser->is_done();
    // Unpins the snapshot: an idle connection must not keep an old config alive.
    ReleaseExchange(/*keep_buffer=*/requests_served_ >= 2);
    if (close) break;
  }
  Close();
  ReleaseExchange(/*keep_buffer=*/false);
}

io::Awaitable<bool> Http1Connection::Handshake() {
  // The handshake gets the request headers' time: both are a client's first words.
  Expect(Wait::kHandshake, worker_.options().request_headers_timeout);
  const error_code ec = co_await tls_->Handshake();
  wait_ = Wait::kNothing;
  deadline_ = time::MonotonicTime::max();
  using metrics::TlsHandshakeResult;
  worker_.services().metrics.TlsHandshake(!ec ? TlsHandshakeResult::kSuccess
                                              : (tls_->client_certificate_refused()
                                                     ? TlsHandshakeResult::kClientCertificateRefused
                                                     : TlsHandshakeResult::kFailure));
  if (ec) {
    const bool late = timed_out_ == Wait::kHandshake;
    // Debug only: a client that fails its handshake has not been identified, and
    // scanners fail by the thousand. The metric counts them.
    LogDebug("client %s: TLS handshake failed: %s", client_ip_.c_str(),
             late ? "not complete in time" : tls_->error_detail().c_str());
    co_return false;
  }
  // ALPN said HTTP/1.1 (or nothing): no HTTP/2 preface to look for.
  protocol_known_ = tls_->alpn() != "h2";
  co_return true;
}

io::Awaitable<bool> Http1Connection::ReadProxyHeader() {
  const ProxyProtocolMode mode = worker_.options().proxy_protocol;
  // The balancer sends the header at once: it gets the request headers' time.
  Expect(Wait::kRequestHeaders, worker_.options().request_headers_timeout);
  in_ = worker_.TakeBuffer();
  for (;;) {
    ProxyHeader header;
    std::string error;
    switch (ParseProxyHeader(io::Readable(*in_), header, error)) {
      case ProxyParse::kParsed:
        in_->consume(header.length);
        // Before TLS, what follows the header was only peeked at: it is the ClientHello,
        // still in the socket for OpenSSL (PeekProxyHeaderBeforeTls).
        if (tls_ != nullptr) in_->clear();
        if (!header.source_address.empty()) client_ip_ = std::move(header.source_address);
        wait_ = Wait::kNothing;
        deadline_ = time::MonotonicTime::max();
        co_return true;
      case ProxyParse::kAbsent:
        if (mode == ProxyProtocolMode::kOptional) {
          if (tls_ != nullptr) in_->clear();  // peeked only, as above
          wait_ = Wait::kNothing;
          deadline_ = time::MonotonicTime::max();
          co_return true;
        }
        error = "no PROXY protocol header (--proxy_protocol=required)";
        break;
      case ProxyParse::kInvalid:
        break;
      case ProxyParse::kNeedMore: {
        error_code ec;
        if (tls_ != nullptr) {
          ec = co_await PeekProxyHeaderBeforeTls();
        } else {
          SWITCHYARD_READ_SOME(socket_, *in_, ec);
        }
        if (!ec) continue;
        if (timed_out_ != Wait::kRequestHeaders) co_return false;  // the peer went away
        error = "no complete PROXY protocol header in time";
        break;
      }
    }
    // A balancer that does not speak the protocol (or a client that bypassed it): worth
    // a warning, at most one per worker every 10 s, and a count.
    worker_.services().metrics.ConnectionRefused(metrics::ConnectionRefusal::kProxyProtocol);
    thread_local time::MonotonicTime next_warning{};  // each worker is a thread
    const time::MonotonicTime now = worker_.clock().Now();
    if (now >= next_warning) {
      next_warning = now + std::chrono::seconds(10);
      LogWarning("connection from %s closed: %s", client_ip_.c_str(), error.c_str());
    }
    co_return false;
  }
}

io::Awaitable<error_code> Http1Connection::PeekProxyHeaderBeforeTls() {
  error_code ec;
  co_await socket_.async_wait(io::Socket::wait_read, AwaitInto(ec));
  if (ec) co_return ec;
  const size_t room = std::min(in_->max_size() - in_->size(), kMaxProxyV2Bytes);
  if (room == 0) co_return net::error::no_buffer_space;
  const size_t before = in_->size();
  const auto space = in_->prepare(room);
  const ssize_t peeked =
      ::recv(socket_.native_handle(), space.data(), space.size(), MSG_PEEK | MSG_DONTWAIT);
  if (peeked == 0) co_return net::error::eof;
  if (peeked < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) co_return error_code{};
    co_return error_code(errno, boost::system::system_category());
  }
  in_->commit(static_cast<size_t>(peeked));
  ProxyHeader header;
  std::string error;
  // Incomplete: every byte here belongs to the header. Complete: exactly its rest does.
  // Not a header (or a broken one): nothing is taken; the caller decides from in_.
  size_t take = 0;
  switch (ParseProxyHeader(io::Readable(*in_), header, error)) {
    case ProxyParse::kNeedMore:
      take = static_cast<size_t>(peeked);
      break;
    case ProxyParse::kParsed:
      take = header.length - before;
      break;
    default:
      break;
  }
  std::array<char, 512> sink;
  while (take > 0) {
    const ssize_t n =
        ::recv(socket_.native_handle(), sink.data(), std::min(take, sink.size()), MSG_DONTWAIT);
    if (n <= 0) co_return net::error::connection_reset;  // peeked bytes must be there
    take -= static_cast<size_t>(n);
  }
  co_return error_code{};
}

Http1Connection::HeadProgress Http1Connection::BeginRequestHead() {
  const ServerOptions& options = worker_.options();
  // Pipelined bytes are already here: the headers deadline runs from now. Otherwise Run's
  // idle wait armed kNextRequest, which becomes kRequestHeaders at the first byte.
  if (in_ != nullptr && in_->size() > 0) {
    Expect(Wait::kRequestHeaders, options.request_headers_timeout);
  }
  if (in_ == nullptr) in_ = worker_.TakeBuffer();
  exchange_ = worker_.TakeExchange();
  exchange_->ResetConnectionState();
  exchange_->parser.emplace(options.limits, exchange_->stream.context().headers);
  exchange_->parser->set_trailers(&exchange_->request_trailers);
  return FeedRequestHead();
}

Http1Connection::HeadProgress Http1Connection::FeedRequestHead() {
  if (in_->size() == 0) return HeadProgress::kNeedMore;
  if (!protocol_known_) {
    // The HTTP/2 preface starts "PRI * HTTP/2.0": no HTTP/1 request looks like it, but its
    // first bytes could be a request's ("P" of POST), so it is told apart byte by byte.
    const std::string_view bytes = io::Readable(*in_);
    const size_t n = std::min(bytes.size(), kHttp2Preface.size());
    if (bytes.substr(0, n) == kHttp2Preface.substr(0, n)) {
      if (n == kHttp2Preface.size()) return HeadProgress::kHttp2;
      if (wait_ == Wait::kNextRequest) {
        Expect(Wait::kRequestHeaders, worker_.options().request_headers_timeout);
      }
      return HeadProgress::kNeedMore;
    }
    protocol_known_ = true;
  }
  http::RequestParser& parser = *exchange_->parser;
  error_code ec;
  const size_t n = parser.Feed(io::Readable(*in_), ec);
  in_->consume(n);
  if (ec) {
    LogDebug("client %s: bad request: %s", client_ip_.c_str(), ec.message().c_str());
    return HeadProgress::kFailed;
  }
  if (parser.is_header_done()) {
    wait_ = Wait::kNothing;
    deadline_ = time::MonotonicTime::max();
    return HeadProgress::kComplete;
  }
  // Part of a head is here: the headers deadline runs from its first byte.
  if (wait_ == Wait::kNextRequest) {
    Expect(Wait::kRequestHeaders, worker_.options().request_headers_timeout);
  }
  return HeadProgress::kNeedMore;
}

io::Awaitable<void> Http1Connection::RunHttp2() {
  protocol_known_ = true;
  wait_ = Wait::kNothing;
  deadline_ = time::MonotonicTime::max();
  ReleaseExchange(/*keep_buffer=*/true);  // the session's streams take their own
  worker_.services().metrics.ConnectionIsHttp2();
  http2_ = std::make_unique<Http2Session>(worker_, socket_, tls_.get(), client_ip_);
  co_await http2_->Run(*in_);
  http2_.reset();
  worker_.services().metrics.ConnectionLeftHttp2();
}

io::Awaitable<Http1Connection::HeadProgress> Http1Connection::ReadRequestHead(
    HeadProgress progress) {
  const ServerOptions& options = worker_.options();
  while (progress == HeadProgress::kNeedMore) {
    error_code ec;
    SWITCHYARD_CONNECTION_READ_SOME(tls_.get(), socket_, *in_, ec);
    if (ec) {
      if (timed_out_ == Wait::kRequestHeaders) {
        const http::LocalReply reply = {408, "request_timeout",
                                        "the request headers took too long"};
        worker_.services().metrics.RecordRefusedHead(reply.status, reply.error);
        Expect(Wait::kWriteReply, options.idle_timeout);
        co_await SendLocalReply(reply, {}, http::LocalReplyFormat::kJson, /*close=*/true);
      }
      co_return HeadProgress::kFailed;
    }
    progress = FeedRequestHead();
  }
  if (progress == HeadProgress::kFailed) {
    const http::LocalReply reply = ReplyForParseFailure(exchange_->parser->failure());
    worker_.services().metrics.RecordRefusedHead(reply.status, reply.error);
    Expect(Wait::kWriteReply, options.idle_timeout);
    co_await SendLocalReply(reply, {}, http::LocalReplyFormat::kJson, /*close=*/true);
    co_return HeadProgress::kFailed;
  }
  co_return progress;
}

void Http1Connection::PrepareStream() {
  const http::RequestParser& parser = *exchange_->parser;
  proxy::RequestContext& ctx = exchange_->stream.context();
  ctx.client_ip = client_ip_;
  ctx.scheme = tls_ != nullptr ? "https" : "http";
  ctx.tls_certificate = tls_ != nullptr ? tls::CertificateSet::Chosen(tls_->ssl()) : nullptr;
  ctx.client_identity = tls_ != nullptr ? tls::VerifiedClientIdentity(tls_->ssl()) : nullptr;
  ctx.method = parser.method();
  ctx.target = parser.target();
  ctx.version = parser.version();
  ctx.protocol = parser.version() >= 11 ? "HTTP/1.1" : "HTTP/1.0";
  ctx.config = worker_.config();
  if (const std::string* host = ctx.headers.Get("host")) ctx.authority = *host;
  exchange_->client_close = http::ClientWantsClose(ctx.headers, ctx.version);
  exchange_->client_can_chunk = ctx.version >= 11;
  exchange_->request_body = RequestBody(parser);
  ctx.websocket_upgrade = !exchange_->request_body.has_body &&
                          http::WantsWebSocketUpgrade(ctx.headers, ctx.method, ctx.version);
  exchange_->body_consumed = 0;
  exchange_->head_pending = false;
  exchange_->chunk_out = false;
  exchange_->response_close = exchange_->client_close;
}

void Http1Connection::ReleaseExchange(bool keep_buffer) {
  if (exchange_ != nullptr) {
    exchange_->stream.Reset();
    exchange_->parser.reset();
    worker_.GiveExchange(exchange_);
    exchange_ = nullptr;
  }
  if (!keep_buffer && in_ != nullptr && in_->size() == 0) worker_.GiveBuffer(std::move(in_));
}

io::Awaitable<error_code> Http1Connection::ReadBody(std::string_view& piece, bool& end) {
  http::RequestParser& parser = *exchange_->parser;
  in_->consume(exchange_->body_consumed);
  exchange_->body_consumed = 0;
  piece = {};
  error_code ec;
  for (;;) {
    if (parser.is_done()) {
      end = true;
      co_return ec;
    }
    if (in_->size() > 0) {
      const size_t n = parser.Feed(io::Readable(*in_), ec);
      if (ec) co_return ec;  // a bad chunk: nothing more can be forwarded
      piece = parser.TakeBody();
      if (!piece.empty()) {
        exchange_->body_consumed = n;  // the piece points into in_ until the next call
        end = parser.is_done();
        co_return ec;
      }
      in_->consume(n);
      if (n > 0) continue;
    }
    SWITCHYARD_CONNECTION_READ_SOME(tls_.get(), socket_, *in_, ec);
    if (ec) co_return ec;
  }
}

io::Awaitable<error_code> Http1Connection::AcceptUpgrade(http::HeaderMap& headers) {
  http::PrepareDownstreamResponseHeaders(headers, worker_.options().via);
  headers.Set("upgrade", "websocket");
  headers.Set("connection", "upgrade");
  std::string& out = exchange_->out;
  out.clear();
  http::AppendResponseHead(out, 101, headers, {});
  exchange_->response_close = true;  // whatever happens, the connection ends with the tunnel
  error_code ec;
  SWITCHYARD_CONNECTION_WRITE(tls_.get(), socket_, net::buffer(out), ec);
  co_return ec;
}

io::Awaitable<error_code> Http1Connection::ReadTunnel(std::string_view& piece) {
  in_->consume(exchange_->body_consumed);
  exchange_->body_consumed = 0;
  error_code ec;
  if (in_->size() == 0) {
    SWITCHYARD_CONNECTION_READ_SOME(tls_.get(), socket_, *in_, ec);
    if (ec) co_return ec;
  }
  piece = io::Readable(*in_);
  exchange_->body_consumed = piece.size();  // taken at the next call, as ReadBody does
  co_return ec;
}

io::Awaitable<error_code> Http1Connection::WriteTunnel(std::string_view piece) {
  error_code ec;
  SWITCHYARD_CONNECTION_WRITE(tls_.get(), socket_, net::buffer(piece.data(), piece.size()), ec);
  co_return ec;
}

void Http1Connection::ShutdownTunnelWrite() {
  if (tls_ != nullptr) {
    tls_->Close();  // close_notify: the TLS way to say "no more from this side"
    return;
  }
  error_code ignored;
  socket_.shutdown(io::Socket::shutdown_send, ignored);
}

const http::BodyInfo& Http1Connection::request_body() const { return exchange_->request_body; }

http::HeaderMap& Http1Connection::request_trailers() { return exchange_->request_trailers; }

bool Http1Connection::body_malformed() const {
  return exchange_ != nullptr && exchange_->parser.has_value() &&
         exchange_->parser->failure() != http::ParseFailure::kNone;
}

io::Awaitable<error_code> Http1Connection::SendInterimHead(int status, http::HeaderMap& headers) {
  error_code ec;
  if (!exchange_->client_can_chunk) co_return ec;  // HTTP/1.0 has no 1xx
  http::PrepareDownstreamResponseHeaders(headers, worker_.options().via);
  std::string& out = exchange_->out;
  out.clear();
  http::AppendResponseHead(out, status, headers, {});
  SWITCHYARD_CONNECTION_WRITE(tls_.get(), socket_, net::buffer(out), ec);
  co_return ec;
}

void Http1Connection::StartResponse(int status, http::HeaderMap& headers,
                                    const http::BodyInfo& body) {
  http::ResponseFraming framing;
  // A draining or overloaded worker answers with "Connection: close": the client moves
  // elsewhere, and the connection's buffers go.
  framing.close = exchange_->client_close || worker_.closing_connections();
  if (body.has_body) {
    if (body.length_known) {
      framing.framing = http::BodyFraming::kContentLength;
      framing.content_length = body.length;
    } else if (exchange_->client_can_chunk) {
      framing.framing = http::BodyFraming::kChunked;
    } else {
      framing.close = true;  // an HTTP/1.0 client reads until the connection closes
    }
  } else if (body.length_known) {
    framing.keep_length_without_body = true;
    framing.content_length = body.length;
  }
  http::PrepareDownstreamResponseHeaders(headers, worker_.options().via);
  std::string& out = exchange_->out;
  out.clear();
  http::AppendResponseHead(out, status, headers, framing);
  exchange_->head_pending = true;
  exchange_->chunk_out = framing.framing == http::BodyFraming::kChunked;
  exchange_->response_close = framing.close;
}

size_t Http1Connection::BodyBuffers(std::string_view piece, bool end,
                                    std::array<net::const_buffer, 5>& buffers) {
  size_t count = 0;
  if (exchange_->head_pending) buffers[count++] = net::buffer(exchange_->out);
  if (!piece.empty()) {
    if (exchange_->chunk_out) {
      http::FormatChunkHeader(exchange_->chunk_header, piece.size());
      buffers[count++] = net::buffer(exchange_->chunk_header);
    }
    buffers[count++] = net::buffer(piece.data(), piece.size());
    if (exchange_->chunk_out) {
      buffers[count++] = net::buffer(http::kCrlf.data(), http::kCrlf.size());
    }
  }
  if (end && exchange_->chunk_out) {
    const std::string_view last_chunk =
        exchange_->last_chunk.empty() ? http::kLastChunk : exchange_->last_chunk;
    buffers[count++] = net::buffer(last_chunk.data(), last_chunk.size());
  }
  return count;
}

void Http1Connection::SetResponseTrailers(const http::HeaderMap& trailers) {
  // Only a chunked body has a trailer section.
  if (exchange_->chunk_out && !trailers.empty()) {
    http::FormatLastChunk(exchange_->last_chunk, trailers);
  }
}

bool Http1Connection::SendBodyNow(std::string_view piece, bool end, error_code& ec) {
  std::array<net::const_buffer, 5> buffers;
  const std::span<net::const_buffer> all(buffers.data(), BodyBuffers(piece, end, buffers));
  if (all.empty()) return true;
  const size_t sent = tls_ != nullptr ? tls_->WriteNow(all, ec) : io::SendNow(socket_, all, ec);
  if (!ec && sent < io::TotalSize(all)) {
    exchange_->body_sent_now = sent;  // SendBody writes the rest
    return false;
  }
  exchange_->head_pending = false;
  return true;
}

io::Awaitable<error_code> Http1Connection::SendBody(std::string_view piece, bool end) {
  std::array<net::const_buffer, 5> buffers;
  const std::span<net::const_buffer> rest = io::Skip(
      std::span(buffers.data(), BodyBuffers(piece, end, buffers)), exchange_->body_sent_now);
  exchange_->body_sent_now = 0;
  error_code ec;
  if (rest.empty()) co_return ec;
  exchange_->head_pending = false;
  SWITCHYARD_CONNECTION_WRITE(tls_.get(), socket_, rest, ec);
  co_return ec;
}

io::Awaitable<error_code> Http1Connection::SendLocalReply(const http::LocalReply& reply,
                                                          std::string_view request_id,
                                                          http::LocalReplyFormat format,
                                                          bool close) {
  std::string id(request_id);
  if (id.empty()) worker_.services().request_ids.Next(id);
  const bool body_unread =
      exchange_ == nullptr || !exchange_->parser.has_value() || !exchange_->parser->is_done();
  exchange_->response_close =
      close || exchange_->client_close || body_unread || worker_.closing_connections();
  std::string& out = exchange_->out;
  out.clear();
  http::AppendLocalReply(out, reply, id, format, exchange_->response_close);
  error_code ec;
  SWITCHYARD_CONNECTION_WRITE(tls_.get(), socket_, net::buffer(out), ec);
  co_return ec;
}

}  // namespace switchyard::server
