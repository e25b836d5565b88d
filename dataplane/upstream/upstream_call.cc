#include "dataplane/upstream/upstream_call.h"

#include <utility>

#include "boost/asio/error.hpp"

namespace switchyard::upstream {
namespace {

namespace net = boost::asio;
using boost::system::error_code;

}  // namespace

UpstreamCall::UpstreamCall(const io::Executor& executor, UpstreamServices services,
                           const http::ParserLimits& limits, size_t max_body)
    : upstream_(executor, services, limits), max_body_(max_body) {}

void UpstreamCall::Cancel() {
  cancelled_ = true;
  upstream_.Cancel();
}

io::Awaitable<error_code> UpstreamCall::Run(const runtime::RuntimeConfig& config,
                                            const runtime::Cluster& cluster, CallRequest& request,
                                            CallResponse& response) {
  const runtime::Endpoint& endpoint =
      upstream_.ChooseEndpoint(config, cluster, /*client_http2=*/false);
  if (!request.headers.Has("host")) request.headers.Add("host", endpoint.authority);
  error_code ec;
  // Sent once more on a new connection when the first was refused (an HTTP/2 stream past
  // the endpoint's GOAWAY) or a pooled one failed before any answer (the peer had closed
  // it): as proxied requests are, since the endpoint processed nothing.
  for (int attempt = 0;; ++attempt) {
    if (cancelled_) {
      upstream_.Finish(EndpointOutcome::kTimeout, false, 0);
      co_return net::error::operation_aborted;
    }
    if (attempt > 0 || !upstream_.TakePooled(/*verify_open=*/true)) {
      ec = co_await upstream_.Connect();
      if (ec || cancelled_) {
        upstream_.Finish(cancelled_ ? EndpointOutcome::kTimeout : EndpointOutcome::kConnectFailed,
                         false, 0);
        co_return cancelled_ ? net::error::operation_aborted : ec;
      }
    }
    bool answered = false;
    ec = co_await Exchange(request, response, answered);
    if (ec && !cancelled_ && attempt == 0 &&
        (upstream_.refused() || (upstream_.reused() && !answered))) {
      upstream_.DropConnection();
      continue;
    }
    break;
  }
  if (cancelled_) ec = net::error::operation_aborted;
  const EndpointOutcome outcome = !ec                                   ? EndpointOutcome::kSuccess
                                  : ec == net::error::operation_aborted ? EndpointOutcome::kTimeout
                                                                        : EndpointOutcome::kReset;
  upstream_.Finish(outcome, /*reusable=*/!ec, cluster.max_idle_connections);
  co_return ec;
}

io::Awaitable<error_code> UpstreamCall::Exchange(CallRequest& request, CallResponse& response,
                                                 bool& answered) {
  error_code ec;
  const http::BodyInfo body_info = {
      .has_body = !request.body.empty(), .length_known = true, .length = request.body.size()};
  if (!upstream_.SendHeadNow(request.method, request.target, request.headers, body_info, ec)) {
    ec = co_await upstream_.SendRestOfHead();
  }
  if (ec) co_return ec;
  if (body_info.has_body) {
    const std::string_view body = request.body;
    ec = co_await upstream_.SendBody(body);
    if (ec) co_return ec;
    const http::HeaderMap no_trailers;
    ec = co_await upstream_.EndBody(no_trailers);
    if (ec) co_return ec;
  }

  ResponseHeadInfo head;
  do {  // interim (1xx) heads are skipped
    upstream_.BeginHead(response.headers, request.method == "HEAD");
    while (!upstream_.ParseHead(head, ec)) {
      SWITCHYARD_UPSTREAM_RECEIVE(upstream_, ec);
      if (ec) co_return ec;
      answered = true;
    }
    if (ec) co_return ec;
  } while (head.status < 200);
  response.status = head.status;

  response.body.clear();
  if (head.body.has_body) {
    if (head.body.length_known && head.body.length > max_body_) co_return net::error::message_size;
    std::string_view piece;
    bool end = false;
    while (!end) {
      if (!upstream_.NextBufferedBodyPiece(piece, end, ec)) {
        ec = co_await upstream_.ReadBody(piece, end);
      }
      if (ec) co_return ec;
      if (response.body.size() + piece.size() > max_body_) co_return net::error::message_size;
      response.body.append(piece);
    }
  }
  response.trailers = std::move(upstream_.response_trailers());
  upstream_.response_trailers().clear();
  co_return ec;
}

}  // namespace switchyard::upstream
