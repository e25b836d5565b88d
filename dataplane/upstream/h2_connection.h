// HTTP/2 towards an upstream endpoint (RFC 9113; docs/upstream-http2.md): one client
// session on one connection, framing and HPACK by nghttp2, shared by the requests of one
// worker. The pool (connection_pool.h) hands the connection out while it has a free stream
// and has not been told to go away.
//
// A reader feeds what arrives to nghttp2, whose callbacks fill each stream's H2Exchange
// (heads, data, trailers, the end) and wake its waiter; a writer sends what nghttp2
// queues. Flow control is end to end, as towards clients: response data goes back into the
// windows only when the request has taken it (Consume), and a request body piece is done
// only once nghttp2 has framed it, as the endpoint's window allows. So a slow client holds
// at most a stream window of one response here.
//
// The endpoint's SETTINGS_MAX_CONCURRENT_STREAMS (at most kMaxStreamsPerConnection) caps
// the streams the pool hands out on it; after a GOAWAY it hands out none, the open
// streams finish, and streams the endpoint never processed close as refused (safe to send
// again). A response head larger than the proxy's header limit resets its stream.
//
// One worker thread; not thread-safe.
#ifndef SWITCHYARD_DATAPLANE_UPSTREAM_H2_CONNECTION_H_
#define SWITCHYARD_DATAPLANE_UPSTREAM_H2_CONNECTION_H_

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "boost/system/error_code.hpp"
#include "dataplane/http/header_map.h"
#include "dataplane/io/io_types.h"
#include "dataplane/io/wakeup.h"
#include "dataplane/upstream/connection_pool.h"

namespace switchyard::upstream {

// Streams one connection carries at most, whatever the endpoint allows.
inline constexpr uint32_t kMaxStreamsPerConnection = 100;

// One request's stream, as the connection's callbacks fill it. Owned by the request
// (UpstreamRequest), reused from request to request; attached to a connection from Open
// to Detach.
struct H2Exchange {
  explicit H2Exchange(const io::Executor& executor) : readable(executor), writable(executor) {}

  struct Head {
    int status = 0;
    http::HeaderMap fields;
  };
  // Clears everything for a new request; `trailers` is where response trailers go.
  void Reset(http::HeaderMap* trailers_out);

  int32_t stream_id = -1;
  // Complete heads not yet taken, oldest first (1xx ones, then the final one).
  std::deque<Head> heads;
  // The head being received, and whether the fields now arriving are trailers.
  Head receiving;
  bool final_head_seen = false;
  http::HeaderMap* trailers = nullptr;
  size_t header_bytes = 0;
  // Response data received and not yet handed out; the piece handed out last.
  std::string incoming;
  std::string handed;
  bool remote_ended = false;
  // The stream is closed: after the end both ways, or reset (close_error says why).
  bool closed = false;
  uint32_t close_error = 0;
  // The endpoint never processed the stream (REFUSED_STREAM, or past a GOAWAY).
  bool refused = false;

  // The request body piece being framed, and the end of the body with its trailers.
  std::string_view out_piece;
  size_t out_sent = 0;
  bool out_end = false;
  bool out_done = false;
  const http::HeaderMap* out_trailers = nullptr;

  io::Wakeup readable;
  io::Wakeup writable;
  bool read_waiting = false;
  bool write_waiting = false;
  bool read_cancelled = false;
  bool write_cancelled = false;
};

struct H2ConnectionLimits {
  // A response head (or trailer section) larger than this resets its stream.
  size_t max_header_bytes = 64 * 1024;
};

class H2Connection final : public UpstreamConnection,
                           public std::enable_shared_from_this<H2Connection> {
 public:
  using error_code = boost::system::error_code;

  H2Connection(const io::Executor& executor, const H2ConnectionLimits& limits);
  ~H2Connection() override;

  // Starts the session on the connected (and, for TLS, handshaken) socket: the preface
  // and SETTINGS go out, the reader and writer run until the connection ends. False when
  // nghttp2 cannot make a session.
  bool Start();

  // Whether a new stream may be opened: started, open, and no GOAWAY received.
  bool AcceptsNewStreams() const override;
  bool IdleLooksUsable() override { return AcceptsNewStreams(); }

  // Opens a stream for a request with `fields` (pseudo-headers first) and attaches
  // `exchange`; with `with_body`, the body follows through SendBody. False when the
  // session refuses (the connection is going away).
  bool Open(H2Exchange& exchange, std::span<const nghttp2_nv> fields, bool with_body);
  // Hands `piece` of the request body to the stream and waits until it is framed; `end`
  // with the last one, which then carries `trailers` when set.
  io::Awaitable<error_code> SendBody(H2Exchange& exchange, std::string_view piece, bool end,
                                     const http::HeaderMap* trailers);
  // Waits until the exchange may have news: a head, data, the end or a reset.
  io::Awaitable<error_code> WaitReadable(H2Exchange& exchange);
  // Gives what the exchange handed out last back to the windows.
  void Consume(H2Exchange& exchange);
  // Makes the exchange's pending waits complete with operation_aborted.
  static void Cancel(H2Exchange& exchange);
  // Detaches the exchange; its stream is reset (CANCEL) unless it already closed.
  void Detach(H2Exchange& exchange);

 private:
  struct Callbacks;

  io::Awaitable<void> ReadLoop();
  io::Awaitable<void> WriteLoop();
  void WantWrite() { writer_wakeup_.Notify(); }
  // Returns `bytes` of response data to the windows (the connection's alone once the
  // stream is gone).
  void GiveBack(int32_t stream_id, size_t bytes);
  // The connection ended: every attached exchange sees its stream closed.
  void Fail();
  H2Exchange* Find(int32_t stream_id) const;
  void UpdateMaxStreams();

  H2ConnectionLimits limits_;
  nghttp2_session* session_ = nullptr;
  absl::flat_hash_map<int32_t, H2Exchange*> exchanges_;
  io::Wakeup writer_wakeup_;
  bool started_ = false;
  bool failed_ = false;
  bool goaway_ = false;
};

}  // namespace switchyard::upstream

#endif  // SWITCHYARD_DATAPLANE_UPSTREAM_H2_CONNECTION_H_
