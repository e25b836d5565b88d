#include "dataplane/server/http2_session.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/write.hpp"
#include "common/log.h"
#include "dataplane/http/h2_fields.h"
#include "dataplane/http/h2_request.h"
#include "dataplane/http/local_reply.h"
#include "dataplane/http/proxy_headers.h"
#include "dataplane/io/read_some.h"
#include "dataplane/proxy/downstream.h"
#include "dataplane/server/http1_exchange.h"
#include "dataplane/server/worker.h"
#include "dataplane/tls/certificate_set.h"
#include "dataplane/tls/client_identity.h"

namespace switchyard::server {
namespace {

namespace net = boost::asio;
using boost::system::error_code;

// Request data a connection may have received ahead of its streams' upstreams, at least.
constexpr uint32_t kConnectionWindow = 1024 * 1024;
// A session that is closing gets this long to send its last frames (GOAWAY) to a client
// that may not be reading.
constexpr auto kClosingTimeout = std::chrono::seconds(1);
// Bytes sent to the socket per write at most.
constexpr size_t kWriteChunk = size_t{64} * 1024;
// Response pieces up to this size are copied and queued without waiting (H2Stream::
// QueueCopy): a small response's stream finishes without a turn of the event loop.
constexpr size_t kCopyPieceAtMost = size_t{16} * 1024;

}  // namespace

// One stream: its request as it arrives, the proxy::Stream serving it, and its response
// on its way out. Implements proxy::Downstream for that stream alone.
class Http2Session::H2Stream final : public proxy::Downstream {
 public:
  H2Stream(Http2Session& session, int32_t id)
      : session_(session),
        id_(id),
        exchange_(session.worker_.TakeExchange()),
        readable_(session.socket_.get_executor()),
        writable_(session.socket_.get_executor()) {
    exchange_->ResetConnectionState();
  }
  ~H2Stream() {
    exchange_->stream.Reset();
    session_.worker_.GiveExchange(exchange_);
  }

  int32_t StreamId() const { return id_; }
  proxy::Stream& ProxyStream() { return exchange_->stream; }
  proxy::RequestContext& Context() { return exchange_->stream.context(); }

  // --- Filled by the session's nghttp2 callbacks.
  // False (stream refused) when the field is refused or the head grows past the limits.
  bool AddHeader(std::string_view name, std::string_view value, bool trailer) {
    http::H2RequestFields fields = Fields();
    const auto result = builder_.Add(name, value, trailer, fields);
    rejected_header_ = result == http::H2RequestBuilder::FieldResult::kRefused;
    return result == http::H2RequestBuilder::FieldResult::kOk;
  }
  void AddData(std::string_view data) {
    incoming_.append(data);
    readable_.Notify();
  }
  void MarkRemoteEnded() {
    remote_ended_ = true;
    readable_.Notify();
  }
  // nghttp2 closed the stream (both sides done, or reset by either).
  void Closed(uint32_t error_code) {
    closed_ = true;
    reset_ = error_code != NGHTTP2_NO_ERROR;
    readable_.Notify();
    writable_.Notify();
  }
  bool IsClosed() const { return closed_; }
  // AddHeader refused a field by --headers_with_underscores=reject.
  bool RejectedHeader() const { return rejected_header_; }
  bool IsFinished() const { return finished_; }
  void MarkFinished(time::MonotonicTime now) {
    finished_ = true;
    finished_at_ = now;
  }
  // Its coroutine is done but its last piece still waits for the client's window (see
  // QueueCopy), since `FinishedAt()`.
  time::MonotonicTime FinishedAt() const { return finished_at_; }
  // The response's end has gone into a frame, or is queued to (after a copied piece, or a
  // tunnel's half-close).
  bool ResponseComplete() const { return response_complete_ || out_end_; }
  // The response's end has gone into a frame.
  bool ResponseFramed() const { return response_complete_; }
  // The request still arrives after a complete response: once the response's last frame
  // is out, RST_STREAM NO_ERROR tells the client to stop sending (RFC 9113 8.1).
  void ResetAfterResponse() { reset_after_response_ = true; }
  bool WantsResetAfterResponse() const { return reset_after_response_; }
  bool HasRemoteEnded() const { return remote_ended_; }

  // The request head is complete: fills the rest of the context. False when it cannot be
  // served (no authority at all).
  bool PrepareRequest() {
    proxy::RequestContext& ctx = Context();
    ctx.client_ip = session_.client_ip_;
    ctx.scheme = session_.tls_ != nullptr ? "https" : "http";
    ctx.tls_certificate =
        session_.tls_ != nullptr ? tls::CertificateSet::Chosen(session_.tls_->ssl()) : nullptr;
    ctx.client_identity =
        session_.tls_ != nullptr ? tls::VerifiedClientIdentity(session_.tls_->ssl()) : nullptr;
    ctx.protocol = "HTTP/2";
    ctx.version = 11;  // as the HTTP/1.1 head an upstream request may become
    ctx.config = session_.worker_.config();
    http::H2RequestFields fields = Fields();
    return http::H2RequestBuilder::Finish(remote_ended_, fields, exchange_->request_body);
  }

  // The data provider's read callback.
  ssize_t ReadResponseData(uint8_t* buf, size_t length, uint32_t* data_flags) {
    const size_t left = out_piece_.size() - out_sent_;
    if (left == 0 && !out_end_) return NGHTTP2_ERR_DEFERRED;
    const size_t n = std::min(length, left);
    if (n > 0) std::memcpy(buf, out_piece_.data() + out_sent_, n);
    out_sent_ += n;
    if (out_sent_ == out_piece_.size()) {
      if (out_end_) {
        // Trailers end the stream instead of this DATA frame (nghttp2 sends them next).
        if (response_trailers_ != nullptr) {
          std::vector<nghttp2_nv> nva;
          http::AppendHttp2Fields(*response_trailers_, nva);
          if (nghttp2_submit_trailer(session_.session_, id_, nva.data(), nva.size()) == 0) {
            *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
          }
        }
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        response_complete_ = true;
      }
      writable_.Notify();
    }
    return static_cast<ssize_t>(n);
  }

  // --- proxy::Downstream
  const http::BodyInfo& request_body() const override { return exchange_->request_body; }

  io::Awaitable<error_code> ReadBody(std::string_view& piece, bool& end) override {
    // What the previous call handed out is passed on: the client may send that much more.
    if (!handed_.empty()) {
      if (!closed_) {
        nghttp2_session_consume(session_.session_, id_, handed_.size());
        session_.WantWrite();
      }
      handed_.clear();
    }
    piece = {};
    end = false;
    for (;;) {
      if (!incoming_.empty()) {
        handed_.swap(incoming_);  // incoming_ may grow while the piece is out
        piece = handed_;
        co_return error_code{};
      }
      if (remote_ended_) {
        end = true;
        co_return error_code{};
      }
      if (reset_ || (closed_ && !remote_ended_)) co_return net::error::connection_reset;
      read_waiting_ = true;
      co_await readable_.Wait();
      read_waiting_ = false;
      if (std::exchange(read_cancelled_, false)) co_return net::error::operation_aborted;
    }
  }
  bool body_malformed() const override { return false; }  // nghttp2 resets such streams
  http::HeaderMap& request_trailers() override { return exchange_->request_trailers; }

  io::Awaitable<error_code> SendInterimHead(int status, http::HeaderMap& headers) override {
    if (closed_) co_return net::error::connection_reset;
    const std::string code = std::to_string(status);
    std::vector<nghttp2_nv>& nva = ResponseNv(code, headers);
    nghttp2_submit_headers(session_.session_, NGHTTP2_FLAG_NONE, id_, nullptr, nva.data(),
                           nva.size(), nullptr);
    session_.WantWrite();
    co_return error_code{};
  }

  void StartResponse(int status, http::HeaderMap& headers, const http::BodyInfo& body) override {
    http::PrepareDownstreamResponseHeaders(headers, session_.worker_.options().via);
    // The stream leaves framing to the codec: HTTP/2 frames the body itself, and keeps a
    // known length as content-length (so HEAD and 304 answers tell it too).
    if (body.length_known) {
      headers.Set("content-length", std::to_string(body.length));
    } else {
      headers.Remove("content-length");
    }
    response_status_ = status;
    response_headers_ = &headers;
    response_has_body_ = body.has_body;
  }

  void SetResponseTrailers(const http::HeaderMap& trailers) override {
    // Only after a body: a response without one ends with its HEADERS frame.
    if (response_has_body_ && !trailers.empty()) response_trailers_ = &trailers;
  }

  io::Awaitable<error_code> SendBody(std::string_view piece, bool end) override {
    if (closed_) co_return net::error::connection_reset;
    if (!submitted_) {
      const std::string code = std::to_string(response_status_);
      std::vector<nghttp2_nv>& nva = ResponseNv(code, *response_headers_);
      if (!response_has_body_ && end && piece.empty()) {
        response_complete_ = true;
        Submit(nva, /*with_body=*/false);
        co_return error_code{};
      }
      Submit(nva, /*with_body=*/true);
    }
    if (QueueCopy(piece, end)) co_return error_code{};
    co_return co_await SendPiece(piece, end);
  }

  io::Awaitable<error_code> SendLocalReply(const http::LocalReply& reply,
                                           std::string_view request_id,
                                           http::LocalReplyFormat format, bool close) override {
    (void)close;  // the connection's other streams are unaffected: this one ends
    if (closed_) co_return net::error::connection_reset;
    if (submitted_) co_return net::error::operation_not_supported;
    std::string id(request_id);
    if (id.empty()) session_.worker_.services().request_ids.Next(id);
    http::HeaderMap headers;
    const int status = http::BuildLocalReply(reply, id, format, headers, local_body_);
    const std::string code = std::to_string(status);
    if (local_body_.empty()) {
      // gRPC's trailers-only response: one HEADERS frame that ends the stream.
      std::vector<nghttp2_nv>& nva = ResponseNv(code, headers);
      response_complete_ = true;
      Submit(nva, /*with_body=*/false);
      co_return error_code{};
    }
    headers.Add("content-length", std::to_string(local_body_.size()));
    std::vector<nghttp2_nv>& nva = ResponseNv(code, headers);
    Submit(nva, /*with_body=*/true);
    if (QueueCopy(local_body_, /*end=*/true)) co_return error_code{};
    co_return co_await SendPiece(local_body_, /*end=*/true);
  }

  // A WebSocket over HTTP/2 (RFC 8441; docs/websocket.md, "Over HTTP/2"): the upstream's
  // 101 becomes a 200 that leaves the stream open, and the stream's DATA frames carry the
  // tunnel both ways, under the same flow control as a body. END_STREAM is the
  // half-close.
  io::Awaitable<error_code> AcceptUpgrade(http::HeaderMap& headers) override {
    if (closed_) co_return net::error::connection_reset;
    http::PrepareDownstreamResponseHeaders(headers, session_.worker_.options().via);
    // The key was ours, made for the upstream; an HTTP/2 client has none to check.
    headers.Remove("sec-websocket-accept");
    headers.Remove("content-length");
    response_status_ = 200;
    response_has_body_ = true;
    std::vector<nghttp2_nv>& nva = ResponseNv("200", headers);
    Submit(nva, /*with_body=*/true);  // DATA follows as WriteTunnel hands it over
    co_return error_code{};
  }
  io::Awaitable<error_code> ReadTunnel(std::string_view& piece) override {
    bool end = false;
    error_code ec = co_await ReadBody(piece, end);
    if (!ec && end) ec = net::error::eof;
    co_return ec;
  }
  io::Awaitable<error_code> WriteTunnel(std::string_view piece) override {
    if (QueueCopy(piece, /*end=*/false)) co_return error_code{};
    co_return co_await SendPiece(piece, /*end=*/false);
  }
  void ShutdownTunnelWrite() override {
    // The data provider ends the stream after what is still queued. Nobody waits for it:
    // the stream counts as complete once it is queued (ResponseComplete).
    out_end_ = true;
    nghttp2_session_resume_data(session_.session_, id_);
    session_.WantWrite();
  }

  void CancelIo() override {
    // Like cancelling a socket: whatever waits now (the body pump's read, the response's
    // write, or both at once) completes with operation_aborted.
    if (read_waiting_) {
      read_cancelled_ = true;
      readable_.Notify();
    }
    if (write_waiting_) {
      write_cancelled_ = true;
      writable_.Notify();
    }
  }
  bool ClientReset() override { return reset_ || session_.closing_; }

 private:
  // Where the request's fields go.
  http::H2RequestFields Fields() {
    proxy::RequestContext& ctx = Context();
    return {ctx.method,      ctx.target,           ctx.authority,
            protocol_,       ctx.headers,          exchange_->request_trailers,
            ctx.tunnel_only, ctx.websocket_upgrade};
  }
  // The response head as nghttp2 fields, in the session's scratch vector (the next call
  // overwrites it). They point into `status` and `headers`, which must outlive the
  // submission; nghttp2 copies them then.
  std::vector<nghttp2_nv>& ResponseNv(std::string_view status, const http::HeaderMap& headers) {
    std::vector<nghttp2_nv>& nva = session_.nv_scratch_;
    nva.clear();
    nva.push_back(http::Nv(":status", status));
    http::AppendHttp2Fields(headers, nva);
    return nva;
  }

  void Submit(std::vector<nghttp2_nv>& nva, bool with_body) {
    submitted_ = true;
    nghttp2_data_provider provider{};
    provider.source.ptr = this;
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                                uint32_t* data_flags, nghttp2_data_source* source,
                                void*) -> ssize_t {
      return static_cast<H2Stream*>(source->ptr)->ReadResponseData(buf, length, data_flags);
    };
    nghttp2_submit_response(session_.session_, id_, nva.data(), nva.size(),
                            with_body ? &provider : nullptr);
    session_.WantWrite();
  }

  // A small piece, when the one before it has gone into frames, is copied and queued
  // without waiting: the stream goes on (typically to its end) while nghttp2 frames it as
  // the client's window allows. At most one piece is ever ahead of the window, so
  // backpressure holds. False when the piece must go through SendPiece.
  bool QueueCopy(std::string_view piece, bool end) {
    if (closed_ || piece.size() > kCopyPieceAtMost || out_sent_ < out_piece_.size()) {
      return false;
    }
    out_copy_.assign(piece);
    Queue(out_copy_, end);
    return true;
  }
  void Queue(std::string_view piece, bool end) {
    out_piece_ = piece;
    out_sent_ = 0;
    out_end_ = end;
    nghttp2_session_resume_data(session_.session_, id_);
    session_.WantWrite();
  }
  // Waits until the piece queued before has gone into frames, then hands `piece` to
  // nghttp2 and waits until it has too (the caller's memory is framed directly).
  io::Awaitable<error_code> SendPiece(std::string_view piece, bool end) {
    bool queued = false;
    while (!queued || out_sent_ < out_piece_.size() || (out_end_ && !response_complete_)) {
      if (closed_) co_return net::error::connection_reset;
      if (!queued && out_sent_ == out_piece_.size()) {
        Queue(piece, end);
        queued = true;
        continue;
      }
      write_waiting_ = true;
      co_await writable_.Wait();
      write_waiting_ = false;
      if (std::exchange(write_cancelled_, false)) {
        // Nothing of the caller's may be read once it has its memory back.
        if (queued) {
          out_piece_ = {};
          out_sent_ = 0;
          out_end_ = false;
        }
        co_return net::error::operation_aborted;
      }
    }
    out_piece_ = {};
    out_sent_ = 0;
    co_return error_code{};
  }

  Http2Session& session_;
  const int32_t id_;
  Http1Exchange* exchange_;
  io::Wakeup readable_;
  io::Wakeup writable_;
  http::H2RequestBuilder builder_{session_.worker_.options().limits};
  std::string protocol_;        // :protocol (RFC 8441)
  std::string incoming_;        // request data received, not yet handed out
  std::string handed_;          // the piece ReadBody handed out last
  std::string_view out_piece_;  // the piece being framed: the caller's, or out_copy_
  std::string out_copy_;
  size_t out_sent_ = 0;
  bool out_end_ = false;
  std::string local_body_;
  int response_status_ = 0;
  http::HeaderMap* response_headers_ = nullptr;
  bool response_has_body_ = false;
  // Sent after the body's last DATA frame when set (SetResponseTrailers).
  const http::HeaderMap* response_trailers_ = nullptr;
  bool submitted_ = false;
  bool response_complete_ = false;
  bool remote_ended_ = false;
  bool closed_ = false;
  bool rejected_header_ = false;
  bool reset_ = false;
  bool read_waiting_ = false;
  bool read_cancelled_ = false;
  bool write_waiting_ = false;
  bool write_cancelled_ = false;
  bool finished_ = false;  // its coroutine is done
  bool reset_after_response_ = false;
  time::MonotonicTime finished_at_{};
};

// nghttp2's callbacks, as static functions over the session in user_data.
struct Http2Session::Callbacks {
  static Http2Session& Of(void* user_data) { return *static_cast<Http2Session*>(user_data); }

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    Http2Session& self = Of(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    self.streams_.emplace(frame->hd.stream_id,
                          std::make_unique<H2Stream>(self, frame->hd.stream_id));
    return 0;
  }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                      void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    H2Stream* stream = Of(user_data).Find(frame->hd.stream_id);
    if (stream == nullptr) return 0;
    const bool trailer = frame->headers.cat == NGHTTP2_HCAT_HEADERS;
    if (!stream->AddHeader({reinterpret_cast<const char*>(name), namelen},
                           {reinterpret_cast<const char*>(value), valuelen}, trailer)) {
      // A field the policy refuses: RST_STREAM PROTOCOL_ERROR, as for any malformed
      // field. Over the limits: INTERNAL_ERROR (the stream is reset either way).
      return stream->RejectedHeader() ? NGHTTP2_ERR_HTTP_HEADER
                                      : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    return 0;
  }

  static int OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    Http2Session& self = Of(user_data);
    H2Stream* stream = self.Find(frame->hd.stream_id);
    if (stream == nullptr) return 0;
    const bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      if (end) stream->MarkRemoteEnded();
      if (!stream->PrepareRequest()) {
        nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream->StreamId(),
                                  NGHTTP2_PROTOCOL_ERROR);
        return 0;
      }
      ++self.running_streams_;
      net::co_spawn(self.socket_.get_executor(), self.ServeStream(stream), net::detached);
      return 0;
    }
    if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) && end) {
      stream->MarkRemoteEnded();
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t len, void* user_data) {
    H2Stream* stream = Of(user_data).Find(stream_id);
    if (stream == nullptr || stream->IsFinished()) {
      // Nobody will read it: give the window back at once.
      nghttp2_session_consume(session, stream_id, len);
      return 0;
    }
    stream->AddData({reinterpret_cast<const char*>(data), len});
    return 0;
  }

  static int OnFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0 ||
        (frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS)) {
      return 0;
    }
    Http2Session& self = Of(user_data);
    H2Stream* stream = self.Find(frame->hd.stream_id);
    if (stream != nullptr && stream->WantsResetAfterResponse()) self.ResetFinishedStream(*stream);
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user_data) {
    Http2Session& self = Of(user_data);
    H2Stream* stream = self.Find(stream_id);
    if (stream == nullptr) return 0;
    stream->Closed(error_code);
    self.MaybeRelease(stream);
    return 0;
  }
};

Http2Session::Http2Session(Worker& worker, io::Socket& socket, io::TlsLayer* tls,
                           const std::string& client_ip)
    : worker_(worker),
      socket_(socket),
      tls_(tls),
      client_ip_(client_ip),
      writer_wakeup_(socket.get_executor()),
      done_wakeup_(socket.get_executor()),
      idle_since_(worker.clock().Now()) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &Callbacks::OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Callbacks::OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Callbacks::OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Callbacks::OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Callbacks::OnStreamClose);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Callbacks::OnFrameSend);

  const Http2Options& limits = worker.options().http2;
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096);
  // Rapid reset (CVE-2023-44487) and CONTINUATION floods (CVE-2024-28182), set explicitly
  // rather than left to the library's defaults.
  nghttp2_option_set_stream_reset_rate_limit(option, limits.reset_burst, limits.reset_rate);
  nghttp2_option_set_max_continuations(option, limits.max_continuations);
  nghttp2_session_server_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits.initial_window_size},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<uint32_t>(worker.options().limits.max_header_bytes)},
      // WebSocket over HTTP/2 (RFC 8441): clients may send extended CONNECT.
      {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  // The connection's window bounds what all its streams may have buffered here together;
  // the protocol's 64 KiB would throttle streams below their own windows.
  nghttp2_session_set_local_window_size(
      session_, NGHTTP2_FLAG_NONE, 0,
      static_cast<int32_t>(std::max<uint32_t>(limits.initial_window_size, kConnectionWindow)));
}

Http2Session::~Http2Session() {
  streams_.clear();
  nghttp2_session_del(session_);
}

Http2Session::H2Stream* Http2Session::Find(int32_t stream_id) {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

void Http2Session::MaybeRelease(H2Stream* stream) {
  if (!stream->IsClosed() || !stream->IsFinished()) return;
  streams_.erase(stream->StreamId());
  if (streams_.empty()) idle_since_ = worker_.clock().Now();
}

bool Http2Session::Receive(std::string_view bytes) {
  const ssize_t n = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  WantWrite();
  if (n < 0) {
    // nghttp2 ends the session itself for most violations; for the rest (a flood of
    // frames it must answer, a bad preface) the GOAWAY is queued here.
    nghttp2_session_terminate_session(
        session_, n == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
    LogDebug("client %s: HTTP/2 session ended: %s", client_ip_.c_str(),
             nghttp2_strerror(static_cast<int>(n)));
    return false;
  }
  return true;
}

io::Awaitable<void> Http2Session::Run(boost::beast::flat_buffer& received) {
  writer_running_ = true;
  net::co_spawn(socket_.get_executor(), WriteLoop(), net::detached);
  bool ok = Receive(io::Readable(received));
  received.consume(received.size());
  while (ok && !socket_closed_ &&
         (nghttp2_session_want_read(session_) || nghttp2_session_want_write(session_))) {
    if (!nghttp2_session_want_read(session_)) {
      // Only writing is left (a GOAWAY, the last responses): let the writer finish.
      co_await done_wakeup_.Wait();
      continue;
    }
    error_code ec;
    SWITCHYARD_CONNECTION_READ_SOME(tls_, socket_, received, ec);
    if (ec) break;
    ok = Receive(io::Readable(received));
    received.consume(received.size());
  }
  // The client is gone or the session failed: abandon what runs, let the writer send
  // what nghttp2 still has (a GOAWAY), then wait for every coroutine. Sweep cuts a writer
  // that a client which does not read holds up.
  closing_ = true;
  closing_since_ = worker_.clock().Now();
  WantWrite();
  // Lingering: what the client still sends is read and dropped while the GOAWAY goes
  // out, since closing a socket with unread input resets it, and a reset can destroy the
  // GOAWAY before the client reads it.
  while (!ok && writer_running_ && !socket_closed_) {
    error_code ec;
    SWITCHYARD_CONNECTION_READ_SOME(tls_, socket_, received, ec);
    received.consume(received.size());
    if (ec) break;
  }
  for (auto& [id, stream] : streams_) {
    if (!stream->IsFinished()) stream->ProxyStream().Abort();
    stream->Closed(NGHTTP2_CANCEL);
  }
  WantWrite();
  while (running_streams_ > 0 || writer_running_) {
    co_await done_wakeup_.Wait();
  }
  CloseSocket();
}

io::Awaitable<void> Http2Session::WriteLoop() {
  std::string out;
  for (;;) {
    out.clear();
    for (;;) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        closing_ = true;
        break;
      }
      if (n == 0) break;
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
      if (out.size() >= kWriteChunk) break;
    }
    if (out.empty()) {
      if (closing_ || socket_closed_) break;
      if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) break;
      co_await writer_wakeup_.Wait();
      continue;
    }
    error_code ec;
    SWITCHYARD_CONNECTION_WRITE(tls_, socket_, net::buffer(out), ec);
    if (ec) {
      closing_ = true;
      CloseSocket();  // ends the reader too
      break;
    }
  }
  writer_running_ = false;
  // The session is done (or failed): a reader still waiting for bytes stops now.
  if (!socket_closed_) {
    error_code ignored;
    socket_.cancel(ignored);
  }
  done_wakeup_.Notify();
}

io::Awaitable<void> Http2Session::ServeStream(H2Stream* stream) {
  co_await stream->ProxyStream().Run(*stream);
  // A response that did not end (the stream failed it) or a request still arriving after
  // a complete response: the stream ends here (RFC 9113 8.1).
  if (!stream->IsClosed()) {
    if (!stream->ResponseComplete()) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream->StreamId(),
                                NGHTTP2_INTERNAL_ERROR);
    } else if (!stream->HasRemoteEnded()) {
      // After the response's last frame, not before it: a RST_STREAM sent now would
      // overtake a last piece still queued (QueueCopy) and discard it.
      stream->ResetAfterResponse();
      if (stream->ResponseFramed()) ResetFinishedStream(*stream);
    }
  }
  if (worker_.closing_connections()) SendGoaway();
  stream->MarkFinished(worker_.clock().Now());
  WantWrite();
  --running_streams_;
  MaybeRelease(stream);
  done_wakeup_.Notify();
}

void Http2Session::ResetFinishedStream(H2Stream& stream) {
  if (stream.IsClosed() || stream.HasRemoteEnded()) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.StreamId(), NGHTTP2_NO_ERROR);
  WantWrite();
}

void Http2Session::SendGoaway() {
  if (goaway_sent_) return;
  goaway_sent_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  WantWrite();
}

void Http2Session::Sweep(time::MonotonicTime now) {
  if (closing_) {
    if (now - closing_since_ >= kClosingTimeout) CloseSocket();
    return;
  }
  for (auto& [id, stream] : streams_) {
    if (!stream->IsFinished()) {
      stream->ProxyStream().Sweep(now);
    } else if (!stream->IsClosed() &&
               now - stream->FinishedAt() >= worker_.options().idle_timeout) {
      // A response handed over whole that a client does not take (its window stays shut)
      // is held no longer than an idle stream would be.
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      WantWrite();
    }
  }
  if (streams_.empty() && !goaway_sent_ && now - idle_since_ >= worker_.options().idle_timeout) {
    SendGoaway();  // nghttp2 then wants neither read nor write once it is sent
  }
}

void Http2Session::Shutdown() { SendGoaway(); }

void Http2Session::Abort() {
  closing_ = true;
  CloseSocket();
  WantWrite();
}

void Http2Session::CloseSocket() {
  if (socket_closed_) return;
  socket_closed_ = true;
  if (tls_ != nullptr) tls_->Close();
  error_code ignored;
  socket_.shutdown(io::Socket::shutdown_send, ignored);
  socket_.close(ignored);
}

}  // namespace switchyard::server
