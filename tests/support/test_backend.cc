#include "tests/support/test_backend.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ascii.h"
#include "tests/support/pattern.h"

namespace switchyard::testing {
namespace {

// Writes to the proxy give up after this long; only a proxy that stops reading for a
// whole minute hits it, and then the test has failed anyway.
constexpr auto kWriteTimeout = std::chrono::seconds(60);
constexpr size_t kReadSize = size_t{256} * 1024;

bool StatusHasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

bool WantsClose(const HttpMessage& m) {
  const std::string conn = m.headers.Joined("connection");
  std::string lower = conn;
  LowerInPlace(lower);
  if (lower.find("close") != std::string::npos) return true;
  return m.version == 10 && lower.find("keep-alive") == std::string::npos;
}

std::string HeadBytes(int status, const Headers& headers) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + ReasonPhrase(status) + "\r\n";
  for (const auto& [n, v] : headers.fields()) out.append(n).append(": ").append(v).append("\r\n");
  out.append("\r\n");
  return out;
}

char HexDigit(unsigned v) { return "0123456789abcdef"[v & 15]; }

std::string ChunkHeader(uint64_t size) {
  std::string hex;
  do {
    hex.insert(hex.begin(), HexDigit(static_cast<unsigned>(size & 15)));
    size >>= 4;
  } while (size != 0);
  return hex + "\r\n";
}

}  // namespace

BackendExchange::BackendExchange(TestBackend* backend, Socket* socket, std::string* buffer,
                                 ReceivedRequest request, std::unique_ptr<MessageParser> parser,
                                 size_t record_index)
    : backend_(backend),
      record_index_(record_index),
      socket_(socket),
      buffer_(buffer),
      request_(std::move(request)),
      parser_(std::move(parser)) {}

bool BackendExchange::ReadBodyInto(const std::function<void(std::string_view)>* sink) {
  if (request_.body_complete || closed_ || peer_gone_) return request_.body_complete;
  if (sink != nullptr) {
    parser_->set_body_sink(*sink);
  } else if (!backend_->options_.record_body) {
    parser_->set_body_sink([](std::string_view) {});
  }
  for (;;) {
    const MessageParser::Result r = parser_->Feed(buffer_);
    if (r == MessageParser::Result::kDone) break;
    if (r == MessageParser::Result::kError) {
      backend_->RecordParseError("request body: " + parser_->error());
      peer_gone_ = true;
      break;
    }
    const IoStatus st =
        socket_->ReadSome(buffer_, kReadSize, Deadline::Never(), backend_->stop_.fd());
    if (st != IoStatus::kOk) {
      // The proxy gave up on this request (or the backend is stopping): the body is
      // incomplete, which the recorded request shows.
      peer_gone_ = true;
      break;
    }
  }
  parser_->set_body_sink(nullptr);
  const HttpMessage& m = parser_->message();
  request_.body += m.body;
  parser_->message().body.clear();
  request_.body_bytes = m.body_bytes;
  request_.chunk_sizes = m.chunk_sizes;
  request_.trailers = m.trailers;
  request_.body_complete = parser_->done();
  // Recorded before the handler can respond, so a test that has its response can already
  // see what the backend received.
  backend_->RecordBody(record_index_, request_);
  return request_.body_complete;
}

const std::string& BackendExchange::ReadBody() {
  ReadBodyInto(nullptr);
  return request_.body;
}

uint64_t BackendExchange::StreamBody(const std::function<void(std::string_view)>& sink) {
  const uint64_t before = request_.body_bytes;
  ReadBodyInto(&sink);
  return request_.body_bytes - before;
}

bool BackendExchange::Write(std::string_view bytes) {
  if (closed_) return false;
  // Slices keep bytes_sent() current while a big write is blocked on backpressure.
  constexpr size_t kSlice = size_t{64} * 1024;
  const Deadline deadline = Deadline::After(kWriteTimeout);
  while (!bytes.empty()) {
    const std::string_view slice = bytes.substr(0, kSlice);
    uint64_t written = 0;
    const IoStatus st = socket_->WriteAll(slice, deadline, backend_->stop_.fd(), &written);
    backend_->bytes_sent_ += written;
    if (st != IoStatus::kOk) {
      peer_gone_ = true;
      return false;
    }
    bytes.remove_prefix(slice.size());
  }
  return true;
}

bool BackendExchange::SendInterim(int status, const Headers& headers) {
  return Write(HeadBytes(status, headers));
}

bool BackendExchange::Reply(int status, std::string_view body, const Headers& headers) {
  Headers h = headers;
  if (!h.Has("content-length") && !h.Has("transfer-encoding") && !StatusHasNoBody(status)) {
    h.Add("Content-Length", std::to_string(body.size()));
  }
  responded_ = true;
  if (h.Get("connection").value_or("") == "close") keep_alive_ = false;
  std::string out = HeadBytes(status, h);
  if (request_.method != "HEAD" && !StatusHasNoBody(status)) out.append(body);
  return Write(out);
}

bool BackendExchange::SendHead(int status, const Headers& headers) {
  if (status >= 200) responded_ = true;
  return Write(HeadBytes(status, headers));
}

bool BackendExchange::Send(std::string_view bytes) {
  responded_ = true;
  return Write(bytes);
}

bool BackendExchange::SendPatternBody(uint64_t size, bool chunked, bool finish_chunked) {
  responded_ = true;
  PatternSource source(size, kPatternPeriod * 256);
  for (std::string_view block = source.Next(); !block.empty(); block = source.Next()) {
    if (chunked && !Write(ChunkHeader(block.size()))) return false;
    if (!Write(block)) return false;
    if (chunked && !Write("\r\n")) return false;
  }
  if (chunked && finish_chunked) return Write("0\r\n\r\n");
  return true;
}

bool BackendExchange::StreamPatternResponse(int status, uint64_t size, bool chunked,
                                            const Headers& extra) {
  Headers h = extra;
  if (chunked) {
    h.Add("Transfer-Encoding", "chunked");
  } else {
    h.Add("Content-Length", std::to_string(size));
  }
  if (!SendHead(status, h)) return false;
  if (request_.method == "HEAD") return true;
  return SendPatternBody(size, chunked);
}

void BackendExchange::CloseNow() {
  if (closed_) return;
  closed_ = true;
  socket_->ShutdownBoth();
}

void BackendExchange::ResetNow() {
  if (closed_) return;
  closed_ = true;
  socket_->SetLingerZero();
  // close() with zero linger sends RST (shutdown() would send FIN). The destructor may be
  // shutting sockets down concurrently, so the close happens under the backend's lock.
  std::lock_guard<std::mutex> lock(backend_->mu_);
  socket_->Close();
}

bool BackendExchange::WaitForPeerClose(Clock::duration timeout) {
  if (peer_gone_) return true;
  if (closed_) return false;
  const Deadline deadline = Deadline::After(timeout);
  for (;;) {
    std::string discard;
    const IoStatus st =
        socket_->ReadSome(&discard, size_t{64} * 1024, deadline, backend_->stop_.fd());
    if (st == IoStatus::kOk) continue;
    if (st == IoStatus::kEof || st == IoStatus::kReset || st == IoStatus::kError) {
      peer_gone_ = true;
      return true;
    }
    return false;
  }
}

bool BackendExchange::WaitUntil(const std::function<bool()>& done, Clock::duration timeout) {
  const auto end = Clock::now() + timeout;
  while (!done()) {
    if (backend_->stopping() || Clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

bool BackendExchange::Delay(Clock::duration d) {
  WaitUntil([] { return false; }, d);
  return !backend_->stopping();
}

TestBackend::TestBackend(std::string name, Handler handler, BackendOptions options)
    : name_(std::move(name)), handler_(std::move(handler)), options_(options) {
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

TestBackend::~TestBackend() {
  stop_.Trigger();
  accept_thread_.join();
  std::list<Conn> conns;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Conn& c : conns_) c.socket.ShutdownBoth();
    conns.swap(conns_);
  }
  for (Conn& c : conns) c.thread.join();
}

void TestBackend::DefaultReply(BackendExchange& ex) const {
  ex.Reply(200, name_, {{"x-backend", name_}});
}

void TestBackend::AcceptLoop() {
  int next_id = 0;
  for (;;) {
    Socket s = listener_.Accept(Deadline::Never(), stop_.fd());
    if (!s.valid()) return;
    std::lock_guard<std::mutex> lock(mu_);
    ++connections_accepted_;
    ++open_connections_;
    // Reap finished connection threads so long tests do not accumulate them.
    for (auto it = conns_.begin(); it != conns_.end();) {
      if (it->finished) {
        it->thread.join();
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
    conns_.emplace_back();
    Conn* conn = &conns_.back();
    conn->socket = std::move(s);
    const int id = ++next_id;
    conn->thread = std::thread([this, conn, id] { Serve(conn, id); });
  }
}

void TestBackend::Serve(Conn* conn, int connection_id) {
  Socket& sock = conn->socket;
  std::string buffer;
  for (int index = 0; !stopping(); ++index) {
    auto parser = std::make_unique<MessageParser>(/*is_request=*/true);
    std::string raw_head;
    bool have_head = false;
    bool clean_eof = false;
    while (!have_head) {
      const std::string before = buffer;
      const MessageParser::Result r = parser->Feed(&buffer);
      raw_head += before.substr(0, before.size() - buffer.size());
      if (r == MessageParser::Result::kError) {
        RecordParseError(
            absl::StrCat("request head: ", parser->error(), " in: ", raw_head, buffer));
        break;
      }
      if (r != MessageParser::Result::kNeedMore) {
        have_head = true;
        break;
      }
      const IoStatus st = sock.ReadSome(&buffer, kReadSize, Deadline::Never(), stop_.fd());
      if (st != IoStatus::kOk) {
        clean_eof = buffer.empty() && raw_head.empty();
        if (!clean_eof && st == IoStatus::kEof) {
          RecordParseError(
              absl::StrCat("connection closed inside a request head: ", raw_head, buffer));
        }
        break;
      }
    }
    if (!have_head) break;

    ReceivedRequest req;
    static_cast<HttpMessage&>(req) = parser->message();
    parser->message().body.clear();
    req.connection_id = connection_id;
    req.index_on_connection = index;
    req.raw_head = raw_head;
    req.body_complete = parser->done();
    size_t record_index;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
      record_index = requests_.size() - 1;
    }
    cv_.notify_all();

    BackendExchange ex(this, &sock, &buffer, std::move(req), std::move(parser), record_index);
    if (options_.read_body_first) ex.ReadBody();
    if (!ex.peer_gone_) {
      if (handler_) {
        handler_(ex);
      } else {
        DefaultReply(ex);
      }
    }
    if (!ex.closed_ && !ex.peer_gone_) {
      if (!ex.body_complete()) ex.ReadBody();
      if (!ex.responded_ && !ex.peer_gone_) DefaultReply(ex);
    }
    if (ex.closed_ || ex.peer_gone_ || !ex.keep_alive_ || WantsClose(ex.request())) break;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    sock.Close();
    conn->finished = true;
    --open_connections_;
  }
  cv_.notify_all();
}

void TestBackend::RecordBody(size_t index, const ReceivedRequest& request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ReceivedRequest& r = requests_[index];
    r.body = request.body;
    r.body_bytes = request.body_bytes;
    r.chunk_sizes = request.chunk_sizes;
    r.trailers = request.trailers;
    r.body_complete = request.body_complete;
  }
  cv_.notify_all();
}

void TestBackend::RecordParseError(std::string error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (error.size() > 2000) error.resize(2000);
    parse_errors_.push_back(std::move(error));
  }
  cv_.notify_all();
}

std::vector<ReceivedRequest> TestBackend::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t TestBackend::request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

size_t TestBackend::completed_request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(
      std::count_if(requests_.begin(), requests_.end(),
                    [](const ReceivedRequest& r) { return r.body_complete; }));
}

std::vector<std::string> TestBackend::parse_errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return parse_errors_;
}

bool TestBackend::WaitForRequests(size_t n, Clock::duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

bool TestBackend::WaitForConnectionsClosed(Clock::duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return open_connections_.load() == 0; });
}

}  // namespace switchyard::testing
