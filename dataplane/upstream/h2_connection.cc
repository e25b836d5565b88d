#include "dataplane/upstream/h2_connection.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/error.hpp"
#include "boost/asio/write.hpp"
#include "dataplane/http/h2_fields.h"
#include "dataplane/io/read_some.h"
#include "dataplane/io/tls_layer.h"

namespace switchyard::upstream {
namespace {

namespace net = boost::asio;
using boost::system::error_code;

// Per stream: what one response may have in flight here before its reader takes it.
constexpr int32_t kStreamWindow = 256 * 1024;
// Per connection: enough for many streams' windows at once, so that one slow reader does
// not stall the others.
constexpr int32_t kConnectionWindow = 16 * 1024 * 1024;
// What the writer gathers into one write.
constexpr size_t kWriteChunk = size_t{64} * 1024;

std::string_view View(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace

void H2Exchange::Reset(http::HeaderMap* trailers_out) {
  stream_id = -1;
  heads.clear();
  receiving = {};
  final_head_seen = false;
  trailers = trailers_out;
  if (trailers != nullptr) trailers->clear();
  header_bytes = 0;
  incoming.clear();
  handed.clear();
  remote_ended = false;
  closed = false;
  close_error = 0;
  refused = false;
  out_piece = {};
  out_sent = 0;
  out_end = false;
  out_done = false;
  out_trailers = nullptr;
  read_cancelled = false;
  write_cancelled = false;
}

// nghttp2's callbacks, with the connection as user data.
struct H2Connection::Callbacks {
  static H2Connection& Self(void* user_data) { return *static_cast<H2Connection*>(user_data); }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                      void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    H2Exchange* ex = Self(user_data).Find(frame->hd.stream_id);
    if (ex == nullptr) return 0;
    ex->header_bytes += namelen + valuelen + 32;  // RFC 9113's accounting, per field
    if (ex->header_bytes > Self(user_data).limits_.max_header_bytes) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream
    }
    const std::string_view n = View(name, namelen);
    const std::string_view v = View(value, valuelen);
    if (ex->final_head_seen) {
      // Trailers; nghttp2 has refused pseudo-headers in them already.
      if (ex->trailers != nullptr) ex->trailers->Add(n, v);
      return 0;
    }
    if (n == ":status") {
      int status = 0;
      for (char c : v) status = status * 10 + (c - '0');  // nghttp2 checked: 3 digits
      ex->receiving.status = status;
      return 0;
    }
    ex->receiving.fields.Add(n, v);
    return 0;
  }

  static int OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t len, void* user_data) {
    H2Connection& self = Self(user_data);
    H2Exchange* ex = self.Find(stream_id);
    if (ex == nullptr) {
      // Detached: nobody reads it, but the windows must not shrink for good.
      nghttp2_session_consume(self.session_, stream_id, len);
      return 0;
    }
    ex->incoming.append(reinterpret_cast<const char*>(data), len);
    if (ex->read_waiting) ex->readable.Notify();
    return 0;
  }

  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    H2Connection& self = Self(user_data);
    switch (frame->hd.type) {
      case NGHTTP2_SETTINGS:
        if ((frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) self.UpdateMaxStreams();
        return 0;
      case NGHTTP2_GOAWAY:
        self.goaway_ = true;
        return 0;
      case NGHTTP2_HEADERS:
      case NGHTTP2_DATA:
        break;
      default:
        return 0;
    }
    H2Exchange* ex = self.Find(frame->hd.stream_id);
    if (ex == nullptr) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && !ex->final_head_seen) {
      ex->final_head_seen = ex->receiving.status >= 200;
      ex->heads.push_back(std::move(ex->receiving));
      ex->receiving = {};
      ex->header_bytes = 0;
    }
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) ex->remote_ended = true;
    if (ex->read_waiting) ex->readable.Notify();
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user_data) {
    H2Connection& self = Self(user_data);
    H2Exchange* ex = self.Find(stream_id);
    if (ex == nullptr) return 0;
    ex->closed = true;
    ex->close_error = error_code;
    // Refused streams were never processed: the endpoint said so, or the stream was past
    // the last one a GOAWAY let through (nghttp2 closes those with REFUSED_STREAM too).
    ex->refused = error_code == NGHTTP2_REFUSED_STREAM && ex->heads.empty() &&
                  !ex->final_head_seen && ex->incoming.empty();
    self.exchanges_.erase(stream_id);
    ex->stream_id = -1;
    ex->readable.Notify();
    ex->writable.Notify();
    return 0;
  }

  static ssize_t ReadRequestData(nghttp2_session* session, int32_t stream_id, uint8_t* buf,
                                 size_t length, uint32_t* data_flags, nghttp2_data_source* source,
                                 void*) {
    auto* ex = static_cast<H2Exchange*>(source->ptr);
    const size_t left = ex->out_piece.size() - ex->out_sent;
    if (left == 0 && !ex->out_end) return NGHTTP2_ERR_DEFERRED;
    const size_t n = std::min(length, left);
    if (n > 0) std::memcpy(buf, ex->out_piece.data() + ex->out_sent, n);
    ex->out_sent += n;
    if (ex->out_sent == ex->out_piece.size()) {
      if (ex->out_end) {
        if (ex->out_trailers != nullptr && !ex->out_trailers->empty()) {
          std::vector<nghttp2_nv> nva;
          http::AppendHttp2Fields(*ex->out_trailers, nva);
          if (nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size()) == 0) {
            *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
          }
        }
        *data_flags |= NGHTTP2_DATA_FLAG_EOF;
        ex->out_done = true;
      }
      if (ex->write_waiting) ex->writable.Notify();
    }
    return static_cast<ssize_t>(n);
  }
};

H2Connection::H2Connection(const io::Executor& executor, const H2ConnectionLimits& limits)
    : UpstreamConnection(executor, kMaxStreamsPerConnection),
      limits_(limits),
      writer_wakeup_(executor) {}

H2Connection::~H2Connection() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

bool H2Connection::Start() {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) return false;
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Callbacks::OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Callbacks::OnDataChunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Callbacks::OnFrameRecv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Callbacks::OnStreamClose);
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_max_deflate_dynamic_table_size(option, 4096);
  const int made = nghttp2_session_client_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  if (made != 0) {
    session_ = nullptr;
    return false;
  }
  // No push; our streams' window; the list size we accept (the endpoint may honour it).
  const std::array<nghttp2_settings_entry, 3> settings = {{
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(limits_.max_header_bytes)},
  }};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  started_ = true;
  net::co_spawn(socket.get_executor(), ReadLoop(), net::detached);
  net::co_spawn(socket.get_executor(), WriteLoop(), net::detached);
  return true;
}

bool H2Connection::AcceptsNewStreams() const {
  return started_ && !failed_ && !goaway_ && socket.is_open() &&
         nghttp2_session_check_request_allowed(session_) != 0;
}

void H2Connection::UpdateMaxStreams() {
  const uint32_t allowed =
      nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  set_max_streams(std::max<uint32_t>(1, std::min(allowed, kMaxStreamsPerConnection)));
}

H2Exchange* H2Connection::Find(int32_t stream_id) const {
  const auto it = exchanges_.find(stream_id);
  return it == exchanges_.end() ? nullptr : it->second;
}

bool H2Connection::Open(H2Exchange& exchange, std::span<const nghttp2_nv> fields, bool with_body) {
  if (!AcceptsNewStreams()) return false;
  nghttp2_data_provider provider{};
  provider.source.ptr = &exchange;
  provider.read_callback = &Callbacks::ReadRequestData;
  const int32_t id = nghttp2_submit_request(session_, nullptr, fields.data(), fields.size(),
                                            with_body ? &provider : nullptr, nullptr);
  if (id < 0) return false;
  exchange.stream_id = id;
  exchange.out_done = !with_body;
  exchanges_[id] = &exchange;
  WantWrite();
  return true;
}

io::Awaitable<error_code> H2Connection::SendBody(H2Exchange& exchange, std::string_view piece,
                                                 bool end, const http::HeaderMap* trailers) {
  if (exchange.stream_id < 0 || exchange.out_done) co_return net::error::connection_reset;
  exchange.out_piece = piece;
  exchange.out_sent = 0;
  exchange.out_end = end;
  exchange.out_trailers = trailers;
  nghttp2_session_resume_data(session_, exchange.stream_id);
  WantWrite();
  while (exchange.out_sent < exchange.out_piece.size() || (end && !exchange.out_done)) {
    if (exchange.closed || exchange.stream_id < 0) co_return net::error::connection_reset;
    exchange.write_waiting = true;
    co_await exchange.writable.Wait();
    exchange.write_waiting = false;
    if (std::exchange(exchange.write_cancelled, false)) co_return net::error::operation_aborted;
  }
  exchange.out_piece = {};
  exchange.out_sent = 0;
  co_return error_code{};
}

io::Awaitable<error_code> H2Connection::WaitReadable(H2Exchange& exchange) {
  if (exchange.closed) co_return error_code{};
  exchange.read_waiting = true;
  co_await exchange.readable.Wait();
  exchange.read_waiting = false;
  if (std::exchange(exchange.read_cancelled, false)) co_return net::error::operation_aborted;
  co_return error_code{};
}

void H2Connection::GiveBack(int32_t stream_id, size_t bytes) {
  if (bytes == 0 || failed_) return;
  // A closed stream has no window left, but the connection's still counts the bytes.
  if (stream_id >= 0) {
    nghttp2_session_consume(session_, stream_id, bytes);
  } else {
    nghttp2_session_consume_connection(session_, bytes);
  }
  WantWrite();
}

void H2Connection::Consume(H2Exchange& exchange) {
  GiveBack(exchange.stream_id, exchange.handed.size());
  exchange.handed.clear();
}

void H2Connection::Cancel(H2Exchange& exchange) {
  if (exchange.read_waiting) {
    exchange.read_cancelled = true;
    exchange.readable.Notify();
  }
  if (exchange.write_waiting) {
    exchange.write_cancelled = true;
    exchange.writable.Notify();
  }
}

void H2Connection::Detach(H2Exchange& exchange) {
  const int32_t id = exchange.stream_id;
  // Data never read still holds the connection's window.
  GiveBack(id, exchange.incoming.size() + exchange.handed.size());
  exchange.incoming.clear();
  exchange.handed.clear();
  if (id < 0) return;
  exchanges_.erase(id);
  exchange.stream_id = -1;
  if (!exchange.closed) {
    if (!failed_) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      WantWrite();
    }
    // Whoever waits on the exchange (a body pump, a response reader) sees it end.
    exchange.closed = true;
    exchange.close_error = NGHTTP2_CANCEL;
    exchange.readable.Notify();
    exchange.writable.Notify();
  }
}

void H2Connection::Fail() {
  failed_ = true;
  for (auto& [id, ex] : exchanges_) {
    ex->closed = true;
    ex->close_error = NGHTTP2_CONNECT_ERROR;
    ex->stream_id = -1;
    ex->readable.Notify();
    ex->writable.Notify();
  }
  exchanges_.clear();
  error_code ignored;
  socket.close(ignored);
  WantWrite();  // the writer sees the failure and ends
}

io::Awaitable<void> H2Connection::ReadLoop() {
  const std::shared_ptr<H2Connection> self = shared_from_this();
  buffer.max_size(io::kReadChunk * 4);
  while (!failed_ && socket.is_open() && nghttp2_session_want_read(session_)) {
    error_code ec;
    SWITCHYARD_CONNECTION_READ_SOME(tls.get(), socket, buffer, ec);
    if (ec) break;
    const std::string_view bytes = io::Readable(buffer);
    const ssize_t n = nghttp2_session_mem_recv(
        session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    buffer.consume(buffer.size());
    if (n < 0) break;
    WantWrite();
  }
  if (!failed_) Fail();
}

io::Awaitable<void> H2Connection::WriteLoop() {
  const std::shared_ptr<H2Connection> self = shared_from_this();
  std::string out;
  while (!failed_) {
    out.clear();
    for (;;) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        Fail();
        co_return;
      }
      if (n == 0) break;
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
      if (out.size() >= kWriteChunk) break;
    }
    if (out.empty()) {
      co_await writer_wakeup_.Wait();
      continue;
    }
    error_code ec;
    SWITCHYARD_CONNECTION_WRITE(tls.get(), socket, net::buffer(out), ec);
    if (ec) break;
  }
  if (!failed_) Fail();
}

}  // namespace switchyard::upstream
