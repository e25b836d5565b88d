// What an HTTP/1.1 connection needs only while a request is in progress: the stream (with
// its context, maps and upstream request), the request parser, and the bytes being
// written. The worker keeps idle ones in a free list, so idle connections hold none and
// busy ones reuse warm storage (no allocation per request).
#ifndef SWITCHYARD_DATAPLANE_SERVER_HTTP1_EXCHANGE_H_
#define SWITCHYARD_DATAPLANE_SERVER_HTTP1_EXCHANGE_H_

#include <optional>
#include <string>

#include "dataplane/http/message_parser.h"
#include "dataplane/proxy/stream.h"

namespace switchyard::server {

struct Http1Exchange {
  Http1Exchange(const io::Executor& executor, const proxy::PhaseChain& phases,
                proxy::WorkerServices& services, const proxy::StreamOptions& options)
      : stream(executor, phases, services, options) {}

  proxy::Stream stream;
  std::optional<http::RequestParser> parser;
  // Chunked trailer fields of the request, for phases.
  http::HeaderMap request_trailers;
  // The response head, or a local reply, being written.
  std::string out;
  std::string chunk_header;
  // The last chunk with the response's trailer section; empty: plain kLastChunk.
  std::string last_chunk;

  // The connection's per-request state, here so an idle connection does not carry it.
  http::BodyInfo request_body;
  // Bytes of the read buffer that the body piece last handed out still occupies.
  size_t body_consumed = 0;
  bool client_close = false;
  bool client_can_chunk = true;
  bool head_pending = false;
  bool chunk_out = false;
  bool response_close = false;
  // Bytes of the next SendBody's buffers that SendBodyNow already wrote.
  size_t body_sent_now = 0;

  void ResetConnectionState() {
    request_body = {};
    body_consumed = 0;
    client_close = false;
    client_can_chunk = true;
    head_pending = false;
    chunk_out = false;
    response_close = false;
    body_sent_now = 0;
    last_chunk.clear();
  }
};

}  // namespace switchyard::server

#endif  // SWITCHYARD_DATAPLANE_SERVER_HTTP1_EXCHANGE_H_
