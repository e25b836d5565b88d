#include "dataplane/proxy/stream.h"

#include <utility>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "common/log.h"
#include "dataplane/http/grpc.h"
#include "dataplane/http/proxy_headers.h"
#include "dataplane/http/websocket.h"

namespace switchyard::proxy {
namespace {

namespace net = boost::asio;
using boost::system::error_code;

// Note for every co_await in this file: g++ 12 may destroy a temporary with a non-trivial
// destructor twice when it appears in a co_await expression, so arguments are named
// locals, never temporaries.

constexpr auto kNoTimeout = std::chrono::hours(24 * 365);
constexpr auto kClientCheckInterval = std::chrono::seconds(1);
// A request body's rate is judged only once it has taken this long, so a short pause at
// its start does not count.
constexpr auto kBodyRateGrace = std::chrono::seconds(5);

const http::LocalReply& BodyTooLargeReply() {
  static const http::LocalReply kReply{413, "request_body_too_large",
                                       "the request body is larger than this route accepts"};
  return kReply;
}

const http::LocalReply& DeadlineExceededReply() {
  static const http::LocalReply kReply{504, "deadline_exceeded", "the call's grpc-timeout passed"};
  return kReply;
}

const http::LocalReply& PhaseTimeoutReply() {
  static const http::LocalReply kReply{504, "phase_timeout",
                                       "a policy step did not finish in time"};
  return kReply;
}

}  // namespace

Stream::Stream(const io::Executor& executor, const PhaseChain& phases, WorkerServices& services,
               const StreamOptions& options)
    : executor_(executor),
      phases_(phases),
      services_(services),
      options_(options),
      upstream_(executor, {services.pool, services.endpoints, services.clock}, options.limits),
      main_wait_(executor),
      pump_wait_(executor) {
  ctx_.services = &services_;
  ctx_.executor = &executor_;
}

void Stream::Reset() {
  ctx_.Reset();
  ctx_.services = &services_;
  ctx_.executor = &executor_;
  downstream_ = nullptr;
  ExpectNothing();
}

void Stream::Sweep(time::MonotonicTime now) {
  main_wait_.Sweep(now);
  pump_wait_.Sweep(now);
  if (call_deadline_ <= now) {
    OnCallDeadline();
    return;
  }
  if (deadline_ <= now) {
    OnDeadline();
    return;
  }
  if (pump_running_ && !response_started_ && ctx_.route != nullptr &&
      ctx_.route->request_body_min_bytes_per_second > 0 && now - body_start_ >= kBodyRateGrace) {
    const double seconds = std::chrono::duration<double>(now - body_start_).count();
    if (static_cast<double>(ctx_.record.request_body_bytes) <
        seconds * ctx_.route->request_body_min_bytes_per_second) {
      timed_out_ = Wait::kBodyRate;
      ExpectNothing();
      if (downstream_ != nullptr) downstream_->CancelIo();
      upstream_.Cancel();
      return;
    }
  }
  // Only while waiting on the upstream with nobody reading the client.
  if (!upstream_active_ || pump_running_ || downstream_ == nullptr || now < next_client_check_) {
    return;
  }
  next_client_check_ = now + kClientCheckInterval;
  if (downstream_->ClientReset()) {
    LogDebug("client %.*s reset the connection; abandoning request %s",
             static_cast<int>(ctx_.client_ip.size()), ctx_.client_ip.data(),
             ctx_.request_id.c_str());
    client_gone_ = true;
    upstream_.Abandon();
    downstream_->CancelIo();
  }
}

void Stream::Abort() {
  client_gone_ = true;
  main_wait_.Abort();
  pump_wait_.Abort();
  upstream_.Abandon();
  if (downstream_ != nullptr) downstream_->CancelIo();
}

void Stream::OnDeadline() {
  const Wait expired = wait_;
  timed_out_ = expired;
  ExpectNothing();
  switch (expired) {
    case Wait::kNothing:
      break;
    case Wait::kPhase:
      main_wait_.Abort();
      pump_wait_.Abort();
      break;
    case Wait::kConnect:
    case Wait::kResponseHeader:
      upstream_.Cancel();
      break;
    case Wait::kStreamProgress:
    case Wait::kBodyRate:
    case Wait::kCallDeadline:  // never what wait_ holds (OnCallDeadline), but alike
      if (downstream_ != nullptr) downstream_->CancelIo();
      upstream_.Cancel();
      break;
  }
}

void Stream::OnCallDeadline() {
  timed_out_ = Wait::kCallDeadline;
  call_deadline_ = time::MonotonicTime::max();
  ExpectNothing();
  main_wait_.Abort();
  pump_wait_.Abort();
  upstream_.Cancel();
  if (downstream_ != nullptr) downstream_->CancelIo();
}

void Stream::StartCallDeadline() {
  call_deadline_ = time::MonotonicTime::max();
  if (!ctx_.grpc) return;
  const std::string* value = ctx_.headers.Get("grpc-timeout");
  if (value == nullptr) return;
  const std::optional<std::chrono::nanoseconds> timeout = http::ParseGrpcTimeout(*value);
  if (!timeout.has_value()) {
    // As gRPC servers do: a malformed value sets no deadline (and is not forwarded).
    // The path only: a query may carry a credential (docs/auth.md), and logs never do.
    const std::string_view path = std::string_view(ctx_.target).substr(0, ctx_.target.find('?'));
    LogDebug("gRPC call %.*s: ignoring a malformed grpc-timeout", static_cast<int>(path.size()),
             path.data());
    ctx_.headers.Remove("grpc-timeout");
    return;
  }
  // Bounded so that adding it to the clock cannot overflow (8 digits of hours is more).
  call_deadline_ = Now() + std::min<time::Duration>(
                               std::chrono::duration_cast<time::Duration>(*timeout), kNoTimeout);
}

PhaseStatus Stream::RunHook(Hook hook, size_t from, size_t& at) {
  ctx_.waiter = &main_wait_;
  switch (hook) {
    case Hook::kRequestHeaders:
      return phases_.Run(from, at, [this](const Phase& p) { return p.OnRequestHeaders(ctx_); });
    case Hook::kChooseUpstream:
      return phases_.Run(from, at, [this](const Phase& p) { return p.ChooseUpstream(ctx_); });
    case Hook::kResponseHeaders: {
      ResponseHead head{response_status_, response_headers_};
      return phases_.Run(from, at,
                         [this, &head](const Phase& p) { return p.OnResponseHeaders(ctx_, head); });
    }
    case Hook::kResponseTrailers: {
      http::HeaderMap& trailers = upstream_.response_trailers();
      return phases_.Run(from, at, [this, &trailers](const Phase& p) {
        return p.OnResponseTrailers(ctx_, trailers);
      });
    }
  }
  return PhaseStatus::kStop;
}

io::Awaitable<PhaseStatus> Stream::CompletePending(Hook hook, size_t at) {
  const Wait previous_wait = wait_;
  const time::MonotonicTime previous_deadline = deadline_;
  for (;;) {
    // A pending phase is bounded by the route's timeout once a route with one is known
    // (read from the route: a request-head phase runs before route_timeout_ is set), else
    // by the idle timeout; never unbounded.
    Expect(Wait::kPhase, ctx_.route != nullptr && ctx_.route->timeout.count() > 0
                             ? time::Duration(ctx_.route->timeout)
                             : options_.idle_timeout);
    const std::optional<PhaseStatus> resumed = co_await main_wait_.Wait();
    wait_ = previous_wait;
    deadline_ = previous_deadline;
    if (!resumed.has_value()) {
      if (timed_out_ == Wait::kPhase) ctx_.local_reply = PhaseTimeoutReply();
      if (timed_out_ == Wait::kCallDeadline) ctx_.local_reply = DeadlineExceededReply();
      co_return PhaseStatus::kStop;
    }
    if (*resumed != PhaseStatus::kContinue) co_return PhaseStatus::kStop;
    const PhaseStatus status = RunHook(hook, at + 1, at);
    if (status != PhaseStatus::kPending) co_return status;
  }
}

io::Awaitable<StreamResult> Stream::Run(Downstream& downstream) {
  RequestContext& ctx = ctx_;
  downstream_ = &downstream;
  ctx.services = &services_;
  ctx.executor = &executor_;
  ctx.record.start = services_.timing_clock.Now();
  timed_out_ = Wait::kNothing;
  client_gone_ = false;
  response_started_ = false;
  upstream_active_ = false;
  pump_stopped_by_phase_ = false;
  body_too_large_ = false;
  route_timeout_ = kNoTimeout;
  stream_idle_ = options_.idle_timeout;
  const http::BodyInfo request_body = downstream.request_body();
  const bool has_body = request_body.has_body;
  ctx.grpc = http::IsGrpcRequest(ctx.headers);
  StartCallDeadline();

  // The request-head phases, then the choice of upstream cluster.
  size_t at = 0;
  PhaseStatus status = RunHook(Hook::kRequestHeaders, 0, at);
  if (status == PhaseStatus::kPending) {
    status = co_await CompletePending(Hook::kRequestHeaders, at);
  }
  if (ctx.route != nullptr) {
    if (ctx.route->timeout.count() > 0) route_timeout_ = ctx.route->timeout;
    if (ctx.route->idle_timeout.has_value()) {
      stream_idle_ = ctx.route->idle_timeout->count() > 0 ? time::Duration(*ctx.route->idle_timeout)
                                                          : time::Duration(kNoTimeout);
    }
  }
  if (status == PhaseStatus::kContinue) {
    status = RunHook(Hook::kChooseUpstream, 0, at);
    if (status == PhaseStatus::kPending) {
      status = co_await CompletePending(Hook::kChooseUpstream, at);
    }
  }
  if (client_gone_) co_return End(StreamEnd::kClientGone, true);
  if (status != PhaseStatus::kContinue || ctx.cluster == nullptr) {
    if (status == PhaseStatus::kContinue) {
      ctx.local_reply = {500, "no_upstream", "no phase chose an upstream cluster"};
    }
    co_return co_await ReplyAndEnd(ctx.local_reply, /*close=*/false);
  }

  if (const uint64_t limit = RequestBodyLimit();
      limit > 0 && request_body.length_known && request_body.length > limit) {
    co_return co_await ReplyAndEnd(BodyTooLargeReply(), /*close=*/true);
  }

  const runtime::Cluster& cluster = *ctx.cluster;
  const bool is_head = ctx.method == "HEAD";
  // A WebSocket goes upstream as an HTTP/1.1 upgrade, whatever the client spoke.
  ctx.endpoint = &upstream_.ChooseEndpoint(*ctx.config, cluster,
                                           ctx.protocol == "HTTP/2" && !ctx.websocket_upgrade);
  // Requests go upstream as HTTP/1.1, which requires Host; an HTTP/1.0 client may have
  // sent none.
  if (!ctx.headers.Has("host")) ctx.headers.Add("host", ctx.endpoint->authority);
  next_client_check_ = Now() + kClientCheckInterval;
  upstream_active_ = true;

  // A request without a body that fails on a reused connection before any response byte
  // arrived is sent once more on a new connection: the peer closed the idle connection
  // while we picked it, and nothing was processed.
  for (int attempt = 0;; ++attempt) {
    // A pooled connection first (no coroutine frame on this common path); a new one else.
    // Requests that cannot be retried only take pooled connections that look open.
    if (attempt == 0) upstream_.TakePooled(/*verify_open=*/has_body);
    error_code ec;
    if (!upstream_.connected()) {
      timed_out_ = Wait::kNothing;
      Expect(Wait::kConnect, cluster.connect_timeout);
      ec = co_await upstream_.Connect();
      if (ec) {
        const bool timed_out = timed_out_ == Wait::kConnect;
        LogDebug("connect to %s (cluster %s) failed: %s", ctx.endpoint->authority.c_str(),
                 cluster.name.c_str(), timed_out ? "timed out" : ec.message().c_str());
        upstream_.Finish(upstream::EndpointOutcome::kConnectFailed, false, 0);
        upstream_active_ = false;
        if (client_gone_) co_return End(StreamEnd::kClientGone, true);
        if (timed_out_ == Wait::kCallDeadline) {
          co_return co_await ReplyAndEnd(DeadlineExceededReply(), /*close=*/false);
        }
        const http::LocalReply failure =
            upstream_.tls_failed()
                ? http::LocalReply{503, "upstream_tls_failed",
                                   "the TLS handshake with cluster '" + cluster.name + "' failed"}
                : http::LocalReply{
                      503, "upstream_connect_failed",
                      std::string(timed_out ? "connecting to cluster '" : "cluster '") +
                          cluster.name + (timed_out ? "' timed out" : "' refused the connection")};
        co_return co_await ReplyAndEnd(failure, /*close=*/false);
      }
    }
    ctx.record.upstream_connected = services_.timing_clock.Now();
    const bool may_retry = upstream_.reused() && !has_body && attempt == 0;
    timed_out_ = Wait::kNothing;
    if (call_deadline_ != time::MonotonicTime::max()) {
      // What is left of the call's deadline, so the upstream gives up when the client does.
      ctx.headers.Set("grpc-timeout", http::FormatGrpcTimeout(call_deadline_ - Now()));
    }
    // gRPC servers require "te: trailers" (RFC 9113 allows it as the one TE value), which
    // the hop-by-hop rules removed; over HTTP/1.1 it would mean nothing.
    if (ctx.grpc && upstream_.http2()) ctx.headers.Set("te", "trailers");

    if (!upstream_.SendHeadNow(ctx.method, ctx.upstream_target, ctx.headers, request_body, ec)) {
      ec = co_await upstream_.SendRestOfHead();
    }
    if (ec && may_retry) {
      upstream_.DropConnection();
      continue;
    }
    if (!ec && has_body) {
      pump_running_ = true;
      pump_ok_ = false;
      pump_malformed_ = false;
      if (!pump_done_) pump_done_.emplace(executor_);
      pump_done_->expires_at(time::MonotonicTime::max());
      Expect(Wait::kStreamProgress, stream_idle_);
      body_start_ = Now();
      net::co_spawn(
          executor_, [this]() -> io::Awaitable<void> { co_await PumpRequestBody(); },
          net::detached);
    } else if (!ec) {
      Expect(Wait::kResponseHeader, route_timeout_);
    }

    // The response head, relaying any 1xx heads before it.
    bool received_any = false;
    upstream::ResponseHeadInfo head;
    bool head_failed = static_cast<bool>(ec);
    while (!head_failed) {
      upstream_.BeginHead(response_headers_, is_head);
      while (!upstream_.ParseHead(head, ec)) {
        SWITCHYARD_UPSTREAM_RECEIVE(upstream_, ec);
        if (ec) break;
        received_any = true;
      }
      // A 101 accepts a WebSocket upgrade this route tunnels (its Upgrade went upstream);
      // any other 101 was never asked for.
      if (!ec && head.status == 101 && ctx.websocket_upgrade && ctx.route != nullptr &&
          ctx.route->websocket && UpstreamAcceptedOurKey()) {
        break;
      }
      // A tunnel-only request's 2xx would tell the client its tunnel is open: an upstream
      // that served the upgrade as a plain GET gave an invalid answer.
      if (ec || head.status == 101 || (ctx.tunnel_only && head.status / 100 == 2)) {
        head_failed = true;
        break;
      }
      if (head.status >= 200) break;
      ec = co_await downstream.SendInterimHead(head.status, response_headers_);
      head_failed = static_cast<bool>(ec);
    }

    if (head_failed) {
      if (pump_running_) {
        co_await StopPump();
      }
      // An HTTP/2 stream the endpoint refused was never processed, whatever came before.
      if (may_retry && (!received_any || upstream_.refused()) && timed_out_ == Wait::kNothing &&
          !client_gone_) {
        upstream_.DropConnection();
        continue;
      }
      const bool timed_out =
          timed_out_ == Wait::kResponseHeader || timed_out_ == Wait::kCallDeadline;
      upstream_.Finish(
          timed_out ? upstream::EndpointOutcome::kTimeout : upstream::EndpointOutcome::kReset,
          false, 0);
      upstream_active_ = false;
      if (client_gone_) co_return End(StreamEnd::kClientGone, true);
      if (pump_malformed_) {
        const http::LocalReply reply = {400, "bad_request",
                                        "the request is malformed or its framing is ambiguous"};
        co_return co_await ReplyAndEnd(reply, /*close=*/true);
      }
      if (body_too_large_) {
        co_return co_await ReplyAndEnd(BodyTooLargeReply(), /*close=*/true);
      }
      if (pump_stopped_by_phase_) {
        co_return co_await ReplyAndEnd(ctx.local_reply, true);
      }
      LogDebug("request %s: upstream %s failed before the response head: %s",
               ctx.request_id.c_str(), ctx.endpoint->authority.c_str(), ec.message().c_str());
      const http::LocalReply reply = UpstreamFailure(!received_any);
      co_return co_await ReplyAndEnd(reply, /*close=*/true);
    }

    if (head.status == 101) {
      co_return co_await RunTunnel();
    }

    // The final response head: its phases, then the response.
    ctx.record.response_head = services_.timing_clock.Now();
    response_status_ = head.status;
    status = RunHook(Hook::kResponseHeaders, 0, at);
    if (status == PhaseStatus::kPending) {
      status = co_await CompletePending(Hook::kResponseHeaders, at);
    }
    if (status != PhaseStatus::kContinue) {
      if (pump_running_) {
        co_await StopPump();
      }
      upstream_.Finish(upstream::EndpointOutcome::kSuccess, false, 0);
      upstream_active_ = false;
      if (client_gone_) co_return End(StreamEnd::kClientGone, true);
      co_return co_await ReplyAndEnd(ctx.local_reply, /*close=*/true);
    }
    response_started_ = true;
    Expect(Wait::kStreamProgress, stream_idle_);
    downstream.StartResponse(response_status_, response_headers_, head.body);
    ctx.record.status = response_status_;

    // The body. The head goes out with the first piece: one write for small replies.
    bool end = !head.body.has_body;
    bool upstream_failed = false;
    bool client_failed = false;
    bool cut_by_phase = false;
    if (end) {
      std::string_view nothing;
      if (!downstream.SendBodyNow(nothing, true, ec)) {
        ec = co_await downstream.SendBody(nothing, true);
      }
      client_failed = static_cast<bool>(ec);
    }
    while (!end) {
      std::string_view piece;
      if (!upstream_.NextBufferedBodyPiece(piece, end, ec)) {
        ec = co_await upstream_.ReadBody(piece, end);
      }
      if (ec) {
        upstream_failed = true;
        break;
      }
      // Trailers (HTTP/1.1 chunked trailers) go to the phases before the last piece goes
      // out, so that stopping can still cut the response; what may be forwarded then goes
      // with the last piece.
      if (end && !upstream_.response_trailers().empty()) {
        status = RunHook(Hook::kResponseTrailers, 0, at);
        if (status == PhaseStatus::kPending) {
          status = co_await CompletePending(Hook::kResponseTrailers, at);
        }
        if (status != PhaseStatus::kContinue) {
          cut_by_phase = true;
          break;
        }
        http::RemoveForbiddenTrailers(upstream_.response_trailers());
        downstream.SetResponseTrailers(upstream_.response_trailers());
      }
      if (!downstream.SendBodyNow(piece, end, ec)) {
        ec = co_await downstream.SendBody(piece, end);
      }
      if (ec) {
        client_failed = true;
        break;
      }
      ctx.record.response_body_bytes += piece.size();
      Expect(Wait::kStreamProgress, stream_idle_);
    }
    if (upstream_failed || client_failed || cut_by_phase) {
      // Mid-response: no local reply is possible; closing tells the client the body is cut.
      LogDebug("request %s: response stream failed: %s", ctx.request_id.c_str(),
               cut_by_phase ? "a phase stopped at the trailers" : ec.message().c_str());
      if (pump_running_) {
        co_await StopPump();
      }
      upstream_.Finish(
          upstream_failed ? upstream::EndpointOutcome::kReset : upstream::EndpointOutcome::kSuccess,
          false, 0);
      upstream_active_ = false;
      if (cut_by_phase) co_return End(StreamEnd::kCutByPhase, true);
      if (timed_out_ == Wait::kCallDeadline) co_return End(StreamEnd::kDeadlineExceeded, true);
      co_return End(upstream_failed ? StreamEnd::kUpstreamFailed : StreamEnd::kClientGone, true);
    }

    // The response is complete. A request body still arriving cannot be used any more.
    const bool pump_was_running = pump_running_;
    if (pump_running_) {
      co_await StopPump();
    }
    upstream_.Finish(upstream::EndpointOutcome::kSuccess, !has_body || pump_ok_,
                     cluster.max_idle_connections);
    upstream_active_ = false;
    co_return End(StreamEnd::kCompleted, pump_was_running);
  }
}

io::Awaitable<StreamResult> Stream::RunTunnel() {
  RequestContext& ctx = ctx_;
  ctx.record.response_head = services_.timing_clock.Now();
  response_status_ = 101;
  size_t at = 0;
  PhaseStatus status = RunHook(Hook::kResponseHeaders, 0, at);
  if (status == PhaseStatus::kPending) {
    status = co_await CompletePending(Hook::kResponseHeaders, at);
  }
  upstream_active_ = false;  // from here the tunnel reads the client itself
  if (status != PhaseStatus::kContinue) {
    upstream_.Finish(upstream::EndpointOutcome::kSuccess, false, 0);
    if (client_gone_) co_return End(StreamEnd::kClientGone, true);
    co_return co_await ReplyAndEnd(ctx.local_reply, /*close=*/true);
  }
  response_started_ = true;
  ctx.record.status = 101;
  // The tunnel's own idle timeout: the route's idle_timeout, else the proxy's. No body
  // rate applies (response_started_), and a config swap leaves the tunnel alone: it
  // pinned its snapshot like any request.
  Expect(Wait::kStreamProgress, stream_idle_);
  error_code ec = co_await downstream_->AcceptUpgrade(response_headers_);
  if (ec) {
    upstream_.Finish(upstream::EndpointOutcome::kSuccess, false, 0);
    co_return End(StreamEnd::kClientGone, true);
  }

  // Client to upstream on a coroutine of its own; upstream to client here. Each side's
  // end is passed on as a half-close, so a closing handshake in flight the other way is
  // still delivered; the tunnel ends when both sides have ended, or on an error or the
  // idle timeout.
  pump_running_ = true;
  pump_ok_ = false;
  if (!pump_done_) pump_done_.emplace(executor_);
  pump_done_->expires_at(time::MonotonicTime::max());
  net::co_spawn(
      executor_, [this]() -> io::Awaitable<void> { co_await PumpTunnel(); }, net::detached);
  bool client_failed = false;
  bool upstream_failed = false;
  for (;;) {
    std::string_view piece;
    ec = co_await upstream_.ReadTunnel(piece);
    if (ec == net::error::eof) {
      downstream_->ShutdownTunnelWrite();
      break;
    }
    if (ec) {
      upstream_failed = true;
      break;
    }
    ec = co_await downstream_->WriteTunnel(piece);
    if (ec) {
      client_failed = true;
      break;
    }
    ctx.record.response_body_bytes += piece.size();
    Expect(Wait::kStreamProgress, stream_idle_);
  }
  if (upstream_failed && !pump_running_ && !pump_ok_ && timed_out_ == Wait::kNothing) {
    // The client's side failed first, and cancelled this read.
    upstream_failed = false;
    client_failed = true;
  }
  if (pump_running_) {
    if (client_failed || upstream_failed) {
      co_await StopPump();
    } else {
      // The upstream ended cleanly: the client's side may still finish its part.
      error_code ignored;
      co_await pump_done_->async_wait(io::AwaitInto(ignored));
    }
  }
  upstream_.Finish(upstream_failed && timed_out_ == Wait::kNothing
                       ? upstream::EndpointOutcome::kReset
                       : upstream::EndpointOutcome::kSuccess,
                   false, 0);
  if (timed_out_ == Wait::kCallDeadline) co_return End(StreamEnd::kDeadlineExceeded, true);
  if (timed_out_ != Wait::kNothing || (!client_failed && !upstream_failed)) {
    co_return End(StreamEnd::kCompleted, true);  // both sides ended, or it was idle too long
  }
  co_return End(client_failed ? StreamEnd::kClientGone : StreamEnd::kUpstreamFailed, true);
}

io::Awaitable<void> Stream::PumpTunnel() {
  RequestContext& ctx = ctx_;
  for (;;) {
    std::string_view piece;
    error_code ec = co_await downstream_->ReadTunnel(piece);
    if (ec == net::error::eof) {
      upstream_.ShutdownTunnelWrite();
      pump_ok_ = true;
      break;
    }
    if (ec) break;
    ec = co_await upstream_.WriteTunnel(piece);
    if (ec) break;
    ctx.record.request_body_bytes += piece.size();
    Expect(Wait::kStreamProgress, stream_idle_);
  }
  pump_running_ = false;
  // A failed client side ends the other direction too.
  if (!pump_ok_) upstream_.Cancel();
  pump_done_->cancel();
}

template <typename HookFn>
io::Awaitable<PhaseStatus> Stream::RunPumpHook(HookFn hook) {
  ctx_.waiter = &pump_wait_;
  size_t at = 0;
  PhaseStatus status = phases_.Run(0, at, hook);
  while (status == PhaseStatus::kPending) {
    const std::optional<PhaseStatus> resumed = co_await pump_wait_.Wait();
    if (!resumed.has_value() || *resumed != PhaseStatus::kContinue) co_return PhaseStatus::kStop;
    status = phases_.Run(at + 1, at, hook);
  }
  co_return status;
}

io::Awaitable<void> Stream::PumpRequestBody() {
  RequestContext& ctx = ctx_;
  error_code ec;
  bool end = false;
  bool stopped = false;
  while (!end && !ec && !stopped) {
    std::string_view piece;
    ec = co_await downstream_->ReadBody(piece, end);
    if (ec) break;
    if (!piece.empty() && !response_started_) Expect(Wait::kStreamProgress, stream_idle_);
    ctx.record.request_body_bytes += piece.size();
    if (const uint64_t limit = RequestBodyLimit();
        limit > 0 && ctx.record.request_body_bytes > limit) {
      body_too_large_ = true;
      stopped = true;
      break;
    }
    const auto on_body = [&](const Phase& p) { return p.OnRequestBody(ctx, piece, end); };
    if (co_await RunPumpHook(on_body) != PhaseStatus::kContinue) {
      stopped = true;
      pump_stopped_by_phase_ = true;
      break;
    }
    ec = co_await upstream_.SendBody(piece);
  }
  // Trailers go to the phases, then what may be forwarded goes upstream with the end of
  // the body (when it is chunked).
  if (!ec && end && !stopped && !downstream_->request_trailers().empty()) {
    http::HeaderMap& trailers = downstream_->request_trailers();
    const auto on_trailers = [&](const Phase& p) { return p.OnRequestTrailers(ctx, trailers); };
    if (co_await RunPumpHook(on_trailers) != PhaseStatus::kContinue) {
      stopped = true;
      pump_stopped_by_phase_ = true;
    }
  }
  if (!ec && end && !stopped) {
    http::HeaderMap& trailers = downstream_->request_trailers();
    http::RemoveForbiddenTrailers(trailers);
    ec = co_await upstream_.EndBody(trailers);
  }
  pump_ok_ = !ec && end && !stopped;
  pump_malformed_ = downstream_->body_malformed();
  pump_running_ = false;
  // The request can never be completed: abandon the upstream exchange rather than let the
  // upstream wait for a body that will not come. The relay sees the close.
  if (!pump_ok_) upstream_.Abandon();
  // The route's timeout runs from the end of the request.
  if (pump_ok_ && !response_started_) Expect(Wait::kResponseHeader, route_timeout_);
  pump_done_->cancel();
}

io::Awaitable<void> Stream::StopPump() {
  // It may be reading the client or writing upstream; both end now.
  downstream_->CancelIo();
  pump_wait_.Abort();
  upstream_.Abandon();
  error_code ignored;
  co_await pump_done_->async_wait(io::AwaitInto(ignored));
}

io::Awaitable<StreamResult> Stream::ReplyAndEnd(const http::LocalReply& answer, bool close) {
  RequestContext& ctx = ctx_;
  // Sent from ctx.local_reply, so that phases can add to it (OnLocalReply).
  if (&answer != &ctx.local_reply) ctx.local_reply = answer;
  http::LocalReply& reply = ctx.local_reply;
  phases_.RunLocalReply(ctx, reply);
  if (ctx.request_id.empty()) services_.request_ids.Next(ctx.request_id);
  ctx.record.status = reply.status;
  ctx.record.local_reply_error = reply.error;
  Expect(Wait::kStreamProgress, options_.idle_timeout);  // bounds the write, whatever the route
  const http::LocalReplyFormat format =
      ctx.grpc ? http::LocalReplyFormat::kGrpc : http::LocalReplyFormat::kJson;
  const error_code ec = co_await downstream_->SendLocalReply(reply, ctx.request_id, format, close);
  co_return End(ec ? StreamEnd::kClientGone : StreamEnd::kLocalReply, close || ec);
}

StreamResult Stream::End(StreamEnd end, bool close) {
  ExpectNothing();
  call_deadline_ = time::MonotonicTime::max();
  main_wait_.Abort();
  pump_wait_.Abort();
  ctx_.record.end = end;
  ctx_.record.finish = services_.timing_clock.Now();
  phases_.RunRequestEnd(ctx_);
  return {.close = close};
}

bool Stream::UpstreamAcceptedOurKey() const {
  if (!ctx_.tunnel_only) return true;
  const std::string* key = ctx_.headers.Get("sec-websocket-key");
  const std::string* accept = response_headers_.Get("sec-websocket-accept");
  return key != nullptr && accept != nullptr && *accept == http::WebSocketAccept(*key);
}

http::LocalReply Stream::UpstreamFailure(bool upstream_sent_nothing) const {
  if (timed_out_ == Wait::kCallDeadline) return DeadlineExceededReply();
  if (timed_out_ == Wait::kResponseHeader) {
    return {504, "upstream_timeout", "the upstream did not answer within the route's timeout"};
  }
  if (timed_out_ == Wait::kStreamProgress) {
    return {408, "request_timeout", "the request body stalled"};
  }
  if (timed_out_ == Wait::kBodyRate) {
    return {408, "request_timeout", "the request body arrived too slowly"};
  }
  if (upstream_sent_nothing) {
    return {502, "upstream_reset", "the upstream closed the connection before responding"};
  }
  return {502, "upstream_protocol_error", "the upstream sent an invalid response"};
}

}  // namespace switchyard::proxy
