// Limits and timeouts of the proxy's listeners, from the bootstrap flags.
#ifndef SWITCHYARD_DATAPLANE_SERVER_SERVER_OPTIONS_H_
#define SWITCHYARD_DATAPLANE_SERVER_SERVER_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "dataplane/http/message_parser.h"
#include "dataplane/http/path_normalizer.h"
#include "dataplane/overload/overload.h"
#include "dataplane/server/connection_limits.h"
#include "dataplane/server/proxy_protocol.h"

namespace switchyard::server {

// HTTP/2 towards clients (http2_session.h).
struct Http2Options {
  // SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open at once.
  uint32_t max_concurrent_streams = 100;
  // SETTINGS_INITIAL_WINDOW_SIZE: request bytes a stream may send ahead of the upstream.
  uint32_t initial_window_size = 65535;
  // Streams the client may reset: a burst, then this many a second (nghttp2's limiter,
  // against rapid reset); beyond, GOAWAY.
  uint64_t reset_burst = 1000;
  uint64_t reset_rate = 33;
  // CONTINUATION frames after one HEADERS frame; beyond, GOAWAY.
  size_t max_continuations = 8;
};

struct ServerOptions {
  // Applied to client requests and, for headers, to upstream responses.
  http::ParserLimits limits;
  // From the first byte of a request to the end of its headers; 408 when exceeded.
  std::chrono::milliseconds request_headers_timeout{10'000};
  // A keep-alive connection waiting for its next request, or a stream with no progress in
  // either direction, is closed after this long.
  std::chrono::milliseconds idle_timeout{60'000};
  // Pooled upstream connections idle for longer are closed instead of reused.
  std::chrono::milliseconds upstream_idle_timeout{30'000};
  // Connections each worker accepts at most; further ones wait in the kernel's backlog.
  size_t max_connections_per_worker = 10'000;
  // How request paths are normalized before routing and forwarding.
  http::PathNormalizationOptions paths;
  // Added as "Via: 1.1 <via>"; empty: no Via.
  std::string via;
  // Shared by all workers, owned by main; null: no such limit.
  ConnectionLimits* connection_limits = nullptr;
  const overload::OverloadMonitor* overload = nullptr;
  // Whether connections start with a PROXY protocol header naming the real client.
  ProxyProtocolMode proxy_protocol = ProxyProtocolMode::kOff;
  Http2Options http2;
};

}  // namespace switchyard::server

#endif  // SWITCHYARD_DATAPLANE_SERVER_SERVER_OPTIONS_H_
