// HTTP/2 towards clients (RFC 9113), framing and HPACK by nghttp2: one session per
// connection, each stream served by a proxy::Stream exactly as an HTTP/1.1 request is
// (same phases, router, limits and swaps). docs/http2.md.
//
// The connection (Http1Connection, which owns the socket and is what the worker tracks)
// hands over to a session when the client's first bytes are the HTTP/2 connection
// preface (h2c with prior knowledge). The session then runs until the connection ends:
// a reader feeds nghttp2, a writer sends what nghttp2 queues, and one coroutine per
// stream runs its proxy::Stream.
//
// Flow control is end to end: request data is given back to the client's window only
// when the stream has passed it upstream (nghttp2's automatic WINDOW_UPDATE is off), and
// a stream is at most one response piece (a copy of up to 16 KiB, or its own buffer)
// ahead of what nghttp2 has framed, which it does as the client's window allows. So a slow
// reader on either side holds at most a window and a piece of data here.
//
// Defences set on every session: concurrent streams, header list size and HPACK table
// bounded; nghttp2's rate limit on streams reset by the client (CVE-2023-44487) and on
// CONTINUATION frames (CVE-2024-28182); its own limits on SETTINGS, PING and empty DATA
// floods. A violation ends the connection with GOAWAY.
//
// One worker thread; not thread-safe.
#ifndef SWITCHYARD_DATAPLANE_SERVER_HTTP2_SESSION_H_
#define SWITCHYARD_DATAPLANE_SERVER_HTTP2_SESSION_H_

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "boost/beast/core/flat_buffer.hpp"
#include "dataplane/io/io_types.h"
#include "dataplane/io/tls_layer.h"
#include "dataplane/io/wakeup.h"
#include "dataplane/time/clock.h"

namespace switchyard::server {

class Worker;

// The client connection preface every HTTP/2 connection starts with.
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

class Http2Session {
 public:
  // `socket`, `tls` (null for h2c) and `client_ip` belong to the connection and outlive
  // the session.
  Http2Session(Worker& worker, io::Socket& socket, io::TlsLayer* tls, const std::string& client_ip);
  ~Http2Session();
  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  // Serves the connection until it ends. `received` holds what the connection has read
  // so far (the preface's start); it is consumed.
  io::Awaitable<void> Run(boost::beast::flat_buffer& received);

  // The worker's sweep: streams' deadlines, and the idle timeout of a connection with no
  // stream open.
  void Sweep(time::MonotonicTime now);
  // Draining: GOAWAY now; streams already begun finish, then the connection closes.
  void Shutdown();
  // Worker shutdown: every stream abandoned, the connection closed.
  void Abort();

 private:
  class H2Stream;
  friend class H2Stream;
  struct Callbacks;

  // Feeds received bytes to nghttp2; false when the session must end.
  bool Receive(std::string_view bytes);
  io::Awaitable<void> WriteLoop();
  io::Awaitable<void> ServeStream(H2Stream* stream);
  // Runs nghttp2's sending side and wakes the writer.
  void WantWrite() { writer_wakeup_.Notify(); }
  // Submits GOAWAY once.
  void SendGoaway();
  // RST_STREAM NO_ERROR for a stream whose response is complete while its request still
  // arrives; nothing when either side has already ended it.
  void ResetFinishedStream(H2Stream& stream);
  // Drops a stream once both nghttp2 and its coroutine are done with it.
  void MaybeRelease(H2Stream* stream);
  H2Stream* Find(int32_t stream_id);
  void CloseSocket();

  Worker& worker_;
  io::Socket& socket_;
  io::TlsLayer* const tls_;
  const std::string& client_ip_;
  nghttp2_session* session_ = nullptr;
  absl::flat_hash_map<int32_t, std::unique_ptr<H2Stream>> streams_;
  // Response fields being submitted (H2Stream::ResponseNv); reused, never held.
  std::vector<nghttp2_nv> nv_scratch_;
  io::Wakeup writer_wakeup_;
  io::Wakeup done_wakeup_;  // a stream coroutine or the writer ended
  int running_streams_ = 0;
  bool writer_running_ = false;
  bool closing_ = false;  // the reader stopped or the session failed: the writer flushes and ends
  bool goaway_sent_ = false;
  bool socket_closed_ = false;
  time::MonotonicTime idle_since_{};
  time::MonotonicTime closing_since_{};
};

}  // namespace switchyard::server

#endif  // SWITCHYARD_DATAPLANE_SERVER_HTTP2_SESSION_H_
