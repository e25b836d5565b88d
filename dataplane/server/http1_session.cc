#include "dataplane/server/http1_session.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <span>
#include <utility>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/write.hpp"
#include "common/log.h"
#include "dataplane/http/proxy_headers.h"
#include "dataplane/http/serializer.h"
#include "dataplane/server/worker.h"

namespace switchyard::server {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using net::ip::tcp;

// Bytes read per socket read; also the most a body piece in flight holds per direction.
constexpr size_t kReadChunk = size_t{16} * 1024;
constexpr auto kNoTimeout = std::chrono::hours(24 * 365);

// Note for every co_await in this file: g++ 12 may destroy a temporary with a non-trivial
// destructor twice when it appears in a co_await expression, so arguments are named
// locals, never temporaries.
using io::AwaitInto;

std::string_view Readable(const boost::beast::flat_buffer& buffer) {
  const auto data = buffer.data();
  return {static_cast<const char*>(data.data()), data.size()};
}

// Reads once into `buffer`, never past its max_size (flat_buffer would throw). A macro
// rather than a coroutine: a nested coroutine frame per read is measurable per request.
#define SWITCHYARD_READ_SOME(socket, buffer, ec)                      \
  do {                                                                \
    const size_t room = (buffer).max_size() - (buffer).size();        \
    if (room == 0) {                                                  \
      (ec) = net::error::no_buffer_space;                             \
      break;                                                          \
    }                                                                 \
    const size_t got = co_await (socket).async_read_some(             \
        (buffer).prepare(std::min(room, kReadChunk)), AwaitInto(ec)); \
    (buffer).commit(got);                                             \
  } while (false)

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

bool StatusHasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

}  // namespace

Http1Session::Http1Session(Worker& worker, io::Socket socket)
    : worker_(worker),
      socket_(std::move(socket)),
      in_(worker.options().limits.max_header_bytes + kReadChunk) {
  error_code ec;
  const tcp::endpoint remote = socket_.remote_endpoint(ec);
  if (!ec) client_ip_ = remote.address().to_string();
  registration_ = worker_.Register(this);
}

Http1Session::~Http1Session() { worker_.Unregister(registration_); }

Http1Session::Clock::time_point Http1Session::worker_now() const { return worker_.now(); }

void Http1Session::Start() {
  net::co_spawn(
      socket_.get_executor(),
      [self = shared_from_this()]() -> io::Awaitable<void> { co_await self->Run(); },
      net::detached);
}

void Http1Session::Close() {
  if (closed_) return;
  closed_ = true;
  ExpectNothing();
  error_code ignored;
  // Half-close first so the client reads everything written before it sees the end.
  socket_.shutdown(io::Socket::shutdown_send, ignored);
  socket_.close(ignored);
  if (upstream_) upstream_->socket.close(ignored);
}

void Http1Session::Sweep(Clock::time_point now) {
  if (deadline_ <= now) {
    OnDeadline();
    return;
  }
  // Only while waiting on the upstream with nobody reading the client socket.
  if (upstream_ == nullptr || pump_running_ || closed_ || now < next_client_check_) return;
  next_client_check_ = now + std::chrono::seconds(1);
  if (ClientReset()) {
    LogDebug("client %s reset the connection; abandoning request %s", client_ip_.c_str(),
             ctx_.request_id.c_str());
    client_gone_ = true;
    error_code ignored;
    upstream_->socket.close(ignored);
    socket_.cancel(ignored);
  }
}

bool Http1Session::ClientReset() const {
  char byte;
  const ssize_t n =
      ::recv(const_cast<io::Socket&>(socket_).native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

void Http1Session::OnDeadline() {
  const Wait expired = wait_;
  timed_out_ = expired;
  ExpectNothing();
  error_code ignored;
  switch (expired) {
    case Wait::kNothing:
      break;
    case Wait::kNextRequest:
    case Wait::kRequestHeaders:
      socket_.cancel(ignored);
      break;
    case Wait::kConnect:
    case Wait::kResponseHeader:
      if (upstream_) upstream_->socket.cancel(ignored);
      break;
    case Wait::kStreamProgress:
      socket_.cancel(ignored);
      if (upstream_) upstream_->socket.cancel(ignored);
      break;
  }
}

io::Awaitable<void> Http1Session::Run() {
  std::optional<http::RequestParser> parser;
  while (!closed_) {
    ctx_.Reset();
    parser.emplace(worker_.options().limits, ctx_.headers);
    if (!co_await ReadRequestHead(*parser)) break;
    const Outcome outcome = co_await Exchange(*parser);
    // Unpin the snapshot now: an idle connection must not keep an old config alive.
    ctx_.config.reset();
    if (outcome == Outcome::kClose) break;
  }
  Close();
}

io::Awaitable<bool> Http1Session::ReadRequestHead(http::RequestParser& parser) {
  const ServerOptions& options = worker_.options();
  timed_out_ = Wait::kNothing;
  if (in_.size() == 0) {
    Expect(Wait::kNextRequest, options.idle_timeout);
  } else {
    Expect(Wait::kRequestHeaders, options.request_headers_timeout);
  }
  for (;;) {
    if (in_.size() > 0) {
      error_code ec;
      const size_t n = parser.Feed(Readable(in_), ec);
      in_.consume(n);
      if (ec) {
        LogDebug("client %s: bad request: %s", client_ip_.c_str(), ec.message().c_str());
        const http::LocalReply reply = ReplyForParseFailure(parser.failure());
        co_await SendLocalReply(reply, {}, /*close=*/true);
        co_return false;
      }
      if (parser.is_header_done()) co_return true;
      // Part of a head is here: the headers deadline runs from its first byte.
      if (wait_ == Wait::kNextRequest) {
        Expect(Wait::kRequestHeaders, options.request_headers_timeout);
      }
    }
    error_code ec;
    SWITCHYARD_READ_SOME(socket_, in_, ec);
    if (ec) {
      if (timed_out_ == Wait::kRequestHeaders) {
        const http::LocalReply reply = {408, "request_timeout",
                                        "the request headers took too long"};
        co_await SendLocalReply(reply, {}, /*close=*/true);
      }
      co_return false;
    }
  }
}

io::Awaitable<bool> Http1Session::Connect(const proxy::RequestContext& ctx,
                                          http::LocalReply& failure) {
  const runtime::Endpoint& endpoint = *ctx.endpoint;
  upstream_ = std::make_unique<upstream::UpstreamConnection>(socket_.get_executor());
  upstream_->buffer.max_size(worker_.options().limits.max_header_bytes + kReadChunk);
  Expect(Wait::kConnect, ctx.cluster->connect_timeout);
  error_code ec;
  co_await upstream_->socket.async_connect(endpoint.address, AwaitInto(ec));
  if (ec) {
    const bool timed_out = timed_out_ == Wait::kConnect;
    LogDebug("connect to %s (cluster %s) failed: %s", endpoint.pool_key.c_str(),
             ctx.cluster->name.c_str(), timed_out ? "timed out" : ec.message().c_str());
    failure = {503, "upstream_connect_failed",
               std::string(timed_out ? "connecting to cluster '" : "cluster '") +
                   ctx.cluster->name + (timed_out ? "' timed out" : "' refused the connection")};
    upstream_.reset();
    co_return false;
  }
  upstream_->socket.set_option(tcp::no_delay(true), ec);
  co_return true;
}

io::Awaitable<void> Http1Session::PumpRequestBody(http::RequestParser& parser,
                                                  upstream::UpstreamConnection& up) {
  const bool chunked = parser.framing() == http::BodyFraming::kChunked;
  const auto idle = worker_.options().idle_timeout;
  error_code ec;
  while (!parser.is_done() && !ec) {
    if (in_.size() > 0) {
      const size_t n = parser.Feed(Readable(in_), ec);
      if (ec) break;  // a bad chunk: nothing more can be forwarded
      const std::string_view piece = parser.TakeBody();
      if (!piece.empty()) {
        if (!response_started_) Expect(Wait::kStreamProgress, idle);
        if (chunked) {
          http::FormatChunkHeader(pump_chunk_header_, piece.size());
          const std::array<net::const_buffer, 3> buffers = {
              net::buffer(pump_chunk_header_), net::buffer(piece.data(), piece.size()),
              net::buffer(http::kCrlf.data(), http::kCrlf.size())};
          co_await net::async_write(up.socket, buffers, AwaitInto(ec));
        } else {
          co_await net::async_write(up.socket, net::buffer(piece.data(), piece.size()),
                                    AwaitInto(ec));
        }
      }
      in_.consume(n);
      if (n > 0 || ec) continue;
    }
    SWITCHYARD_READ_SOME(socket_, in_, ec);
  }
  if (!ec && chunked) {
    co_await net::async_write(
        up.socket, net::buffer(http::kLastChunk.data(), http::kLastChunk.size()), AwaitInto(ec));
  }
  pump_ok_ = !ec && parser.is_done();
  pump_malformed_ = parser.failure() != http::ParseFailure::kNone;
  pump_running_ = false;
  if (!pump_ok_ && up.socket.is_open()) {
    // The request can never be completed: abandon the upstream exchange rather than let
    // the upstream wait for a body that will not come. The relay sees the close.
    error_code ignored;
    up.socket.close(ignored);
  }
  // The route's timeout runs from the end of the request.
  if (pump_ok_ && !response_started_) Expect(Wait::kResponseHeader, route_timeout_);
  pump_done_->cancel();
}

io::Awaitable<void> Http1Session::WaitForPump() {
  if (!pump_running_) co_return;
  error_code ignored;
  co_await pump_done_->async_wait(AwaitInto(ignored));
}

http::LocalReply Http1Session::UpstreamFailure(bool upstream_sent_nothing) const {
  if (timed_out_ == Wait::kResponseHeader) {
    return {504, "upstream_timeout", "the upstream did not answer within the route's timeout"};
  }
  if (timed_out_ == Wait::kStreamProgress) {
    return {408, "request_timeout", "the request body stalled"};
  }
  if (upstream_sent_nothing) {
    return {502, "upstream_reset", "the upstream closed the connection before responding"};
  }
  return {502, "upstream_protocol_error", "the upstream sent an invalid response"};
}

io::Awaitable<Http1Session::Outcome> Http1Session::Exchange(http::RequestParser& parser) {
  const ServerOptions& options = worker_.options();
  proxy::RequestContext& ctx = ctx_;  // the parser already filled ctx.headers
  ctx.client_ip = client_ip_;
  ctx.method = parser.method();
  ctx.target = parser.target();
  ctx.version = parser.version();
  ctx.config = worker_.config();
  const bool client_close = http::ClientWantsClose(ctx.headers, ctx.version);
  const bool has_body = !parser.is_done();

  if (worker_.pipeline().Run(ctx, worker_.services()) == proxy::PhaseResult::kStop) {
    // An unread body makes the connection unusable for the next request.
    const bool close = client_close || has_body;
    co_await SendLocalReply(ctx.local_reply, ctx.request_id, close);
    co_return close ? Outcome::kClose : Outcome::kKeepAlive;
  }

  std::string& head = upstream_head_;
  head.clear();
  http::AppendRequestHead(head, ctx.method, ctx.upstream_target, ctx.headers, parser.framing(),
                          parser.content_length());
  route_timeout_ =
      ctx.route->timeout.count() > 0 ? Clock::duration(ctx.route->timeout) : kNoTimeout;
  const bool is_head = ctx.method == "HEAD";
  const bool client_can_chunk = ctx.version >= 11;
  response_started_ = false;
  client_gone_ = false;
  next_client_check_ = worker_now() + std::chrono::seconds(1);

  // A request without a body that fails on a reused connection before any response byte
  // arrived is sent once more on a new connection: the peer closed the idle connection
  // while we picked it, and nothing was processed.
  for (int attempt = 0;; ++attempt) {
    // A pooled connection first (no coroutine frame on this common path); a new one else.
    // Requests that cannot be retried only take pooled connections that look open.
    if (attempt == 0) {
      upstream_ = worker_.pool().Take(ctx.endpoint->pool_key, worker_now(),
                                      /*verify_open=*/has_body);
    }
    http::LocalReply failure;
    if (upstream_ == nullptr && !co_await Connect(ctx, failure)) {
      const bool close = client_close || has_body;
      co_await SendLocalReply(failure, ctx.request_id, close);
      co_return close ? Outcome::kClose : Outcome::kKeepAlive;
    }
    const bool may_retry = upstream_->reused && !has_body && attempt == 0;
    upstream::UpstreamConnection& up = *upstream_;
    timed_out_ = Wait::kNothing;

    error_code ec;
    co_await net::async_write(up.socket, net::buffer(head), AwaitInto(ec));
    if (ec && may_retry) {
      upstream_.reset();
      continue;
    }
    if (!ec && has_body) {
      pump_running_ = true;
      pump_ok_ = false;
      pump_malformed_ = false;
      if (!pump_done_) pump_done_.emplace(socket_.get_executor());
      pump_done_->expires_at(Clock::time_point::max());
      Expect(Wait::kStreamProgress, options.idle_timeout);
      net::co_spawn(
          socket_.get_executor(),
          [self = shared_from_this(), &parser, &up]() -> io::Awaitable<void> {
            co_await self->PumpRequestBody(parser, up);
          },
          net::detached);
    } else if (!ec) {
      Expect(Wait::kResponseHeader, route_timeout_);
    }

    // Read the response head, relaying any 1xx heads before it.
    std::optional<http::ResponseParser> response;
    response.emplace(options.limits, response_headers_);
    if (is_head) response->skip(true);
    bool received_any = false;
    bool head_failed = static_cast<bool>(ec);
    while (!head_failed) {
      if (up.buffer.size() > 0) {
        const size_t n = response->Feed(Readable(up.buffer), ec);
        up.buffer.consume(n);
        if (ec) {
          head_failed = true;
          break;
        }
        if (response->is_header_done()) {
          const int status = response->status();
          if (status >= 200) break;
          if (status == 101) {  // never asked for: Upgrade is not forwarded
            head_failed = true;
            break;
          }
          if (client_can_chunk) {
            http::HeaderMap& fields = response->headers();
            http::PrepareDownstreamResponseHeaders(fields, options.via);
            out_.clear();
            http::AppendResponseHead(out_, status, fields, {});
            co_await net::async_write(socket_, net::buffer(out_), AwaitInto(ec));
            if (ec) {
              head_failed = true;
              break;
            }
          }
          response.emplace(options.limits, response_headers_);
          if (is_head) response->skip(true);
          continue;
        }
        if (n > 0) continue;
      }
      SWITCHYARD_READ_SOME(up.socket, up.buffer, ec);
      if (ec) {
        head_failed = true;
        break;
      }
      received_any = true;
    }

    if (head_failed) {
      if (pump_running_) {
        // Stop the pump (it may be reading the client or writing upstream) before answering.
        error_code ignored;
        socket_.cancel(ignored);
        up.socket.close(ignored);
        co_await WaitForPump();
      }
      if (may_retry && !received_any && timed_out_ == Wait::kNothing && !client_gone_) {
        upstream_.reset();
        continue;
      }
      if (client_gone_) {
        upstream_.reset();
        co_return Outcome::kClose;
      }
      if (pump_malformed_) {
        upstream_.reset();
        const http::LocalReply reply = ReplyForParseFailure(http::ParseFailure::kMalformed);
        co_await SendLocalReply(reply, ctx.request_id, /*close=*/true);
        co_return Outcome::kClose;
      }
      LogDebug("request %s: upstream %s failed before the response head: %s",
               ctx.request_id.c_str(), ctx.endpoint->pool_key.c_str(), ec.message().c_str());
      upstream_.reset();
      const http::LocalReply reply = UpstreamFailure(!received_any);
      co_await SendLocalReply(reply, ctx.request_id, /*close=*/true);
      co_return Outcome::kClose;
    }

    // The final response head.
    response_started_ = true;
    Expect(Wait::kStreamProgress, options.idle_timeout);
    http::HeaderMap& fields = response->headers();
    const int status = response->status();
    const bool upstream_close = http::ClientWantsClose(fields, response->version());
    const http::BodyFraming upstream_framing = response->framing();
    http::ResponseFraming framing;
    framing.close = client_close;
    switch (upstream_framing) {
      case http::BodyFraming::kNone:
        if (const std::string* length = fields.Get("content-length");
            length != nullptr && (is_head || status == 304)) {
          framing.keep_length_without_body = true;
          framing.content_length = std::strtoull(length->c_str(), nullptr, 10);
        } else if (!StatusHasNoBody(status) && !is_head) {
          framing.framing = http::BodyFraming::kContentLength;  // "content-length: 0"
        }
        break;
      case http::BodyFraming::kContentLength:
        framing.framing = http::BodyFraming::kContentLength;
        framing.content_length = response->content_length();
        break;
      case http::BodyFraming::kChunked:
      case http::BodyFraming::kUntilClose:
        if (client_can_chunk) {
          framing.framing = http::BodyFraming::kChunked;
        } else {
          framing.close = true;  // an HTTP/1.0 client reads until the connection closes
        }
        break;
    }
    http::PrepareDownstreamResponseHeaders(fields, options.via);
    out_.clear();
    http::AppendResponseHead(out_, status, fields, framing);

    // Stream the body. The head goes out with the first piece: one write for small replies.
    const bool chunk_out = framing.framing == http::BodyFraming::kChunked;
    std::string chunk_header;
    bool head_pending = true;
    bool body_failed = false;
    while (!response->is_done() && !body_failed) {
      if (up.buffer.size() > 0) {
        const size_t n = response->Feed(Readable(up.buffer), ec);
        if (ec) {
          body_failed = true;
          break;
        }
        const std::string_view piece = response->TakeBody();
        if (!piece.empty()) {
          std::array<net::const_buffer, 4> buffers;
          size_t count = 0;
          if (head_pending) buffers[count++] = net::buffer(out_);
          if (chunk_out) {
            http::FormatChunkHeader(chunk_header, piece.size());
            buffers[count++] = net::buffer(chunk_header);
          }
          buffers[count++] = net::buffer(piece.data(), piece.size());
          if (chunk_out) buffers[count++] = net::buffer(http::kCrlf.data(), http::kCrlf.size());
          co_await net::async_write(socket_, std::span(buffers.data(), count), AwaitInto(ec));
          head_pending = false;
          if (ec) {
            body_failed = true;
            break;
          }
          Expect(Wait::kStreamProgress, options.idle_timeout);
        }
        up.buffer.consume(n);
        if (n > 0) continue;
      }
      SWITCHYARD_READ_SOME(up.socket, up.buffer, ec);
      if (ec == net::error::eof && upstream_framing == http::BodyFraming::kUntilClose) {
        response->put_eof(ec);
      }
      if (ec) body_failed = true;
    }
    if (!body_failed) {
      std::array<net::const_buffer, 2> buffers;
      size_t count = 0;
      if (head_pending) buffers[count++] = net::buffer(out_);
      if (chunk_out) {
        buffers[count++] = net::buffer(http::kLastChunk.data(), http::kLastChunk.size());
      }
      if (count > 0) {
        co_await net::async_write(socket_, std::span(buffers.data(), count), AwaitInto(ec));
        body_failed = static_cast<bool>(ec);
      }
    }
    if (body_failed) {
      // Mid-response: no local reply is possible; closing tells the client the body is cut.
      LogDebug("request %s: response stream failed: %s", ctx.request_id.c_str(),
               ec.message().c_str());
      if (pump_running_) {
        error_code ignored;
        socket_.cancel(ignored);
        up.socket.close(ignored);
        co_await WaitForPump();
      }
      upstream_.reset();
      co_return Outcome::kClose;
    }

    // The response is complete. A request body still arriving cannot be used any more.
    bool close = framing.close;
    if (pump_running_) {
      error_code ignored;
      socket_.cancel(ignored);
      up.socket.close(ignored);
      co_await WaitForPump();
      close = true;
    }
    const bool reusable = !upstream_close && upstream_framing != http::BodyFraming::kUntilClose &&
                          (!has_body || pump_ok_) && up.buffer.size() == 0 && up.socket.is_open();
    if (reusable) {
      worker_.pool().Release(ctx.endpoint->pool_key, std::move(upstream_),
                             ctx.cluster->max_idle_connections, worker_now());
    } else {
      upstream_.reset();
    }
    co_return close ? Outcome::kClose : Outcome::kKeepAlive;
  }
}

io::Awaitable<bool> Http1Session::SendLocalReply(const http::LocalReply& reply,
                                                 std::string_view request_id, bool close) {
  std::string id(request_id);
  if (id.empty()) worker_.services().request_ids.Next(id);
  out_.clear();
  http::AppendLocalReply(out_, reply, id, close);
  Expect(Wait::kStreamProgress, worker_.options().idle_timeout);
  error_code ec;
  co_await net::async_write(socket_, net::buffer(out_), AwaitInto(ec));
  co_return !ec;
}

}  // namespace switchyard::server
