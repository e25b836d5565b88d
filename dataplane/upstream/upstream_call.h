// One whole exchange that the gateway itself starts with a cluster of the snapshot, rather
// than one it relays for a client: an external authorization check, a JWKS fetch
// (docs/auth.md). The request is built in memory and the response is read whole, up to a
// bound. It goes the way proxied requests go: the cluster's load balancing, its pooled
// connections, its TLS settings and its protocol (HTTP/1.1 or HTTP/2, so gRPC works over
// an HTTP2 cluster), and its outcome counts in the endpoint's state. Like a proxied
// request, it is sent once more on a new connection when the endpoint cannot have
// processed it (a refused HTTP/2 stream, a pooled connection that turned out closed).
//
// The caller bounds the call in time: Cancel() (from its deadline) makes the pending
// operation end with operation_aborted, and Run returns. One call at a time per object;
// used on one thread (a worker's, or the key fetcher's).
#ifndef SWITCHYARD_DATAPLANE_UPSTREAM_UPSTREAM_CALL_H_
#define SWITCHYARD_DATAPLANE_UPSTREAM_UPSTREAM_CALL_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "boost/system/error_code.hpp"
#include "dataplane/http/header_map.h"
#include "dataplane/io/io_types.h"
#include "dataplane/runtime/runtime_config.h"
#include "dataplane/upstream/upstream_request.h"

namespace switchyard::upstream {

struct CallRequest {
  std::string method = "GET";
  std::string target;  // path and query
  // Sent as they are; a missing Host (HTTP/2's :authority) becomes the endpoint's address.
  http::HeaderMap headers;
  std::string body;
};

struct CallResponse {
  int status = 0;
  http::HeaderMap headers;
  // HTTP/2 trailers or HTTP/1.1 chunked trailers (gRPC's grpc-status is one).
  http::HeaderMap trailers;
  std::string body;
};

class UpstreamCall {
 public:
  // `limits` bound the response head; `max_body` its body.
  UpstreamCall(const io::Executor& executor, UpstreamServices services,
               const http::ParserLimits& limits, size_t max_body);
  UpstreamCall(const UpstreamCall&) = delete;
  UpstreamCall& operator=(const UpstreamCall&) = delete;

  // Sends `request` to an endpoint of `cluster` (of `config`, which the caller keeps alive
  // until Run returns) and reads the final response into `response`. Errors: the
  // connection's (refused, reset, a TLS failure), operation_aborted after Cancel(),
  // message_size when the body exceeds max_body.
  io::Awaitable<boost::system::error_code> Run(const runtime::RuntimeConfig& config,
                                               const runtime::Cluster& cluster,
                                               CallRequest& request, CallResponse& response);

  // Ends the call: what is pending fails, and Run returns operation_aborted. Safe at any
  // time, also before Run starts (it then fails at once) and after it ended.
  void Cancel();

 private:
  // One attempt on the connection taken; `answered` once any byte of a response came.
  io::Awaitable<boost::system::error_code> Exchange(CallRequest& request, CallResponse& response,
                                                    bool& answered);

  UpstreamRequest upstream_;
  const size_t max_body_;
  bool cancelled_ = false;
};

}  // namespace switchyard::upstream

#endif  // SWITCHYARD_DATAPLANE_UPSTREAM_UPSTREAM_CALL_H_
