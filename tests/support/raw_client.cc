#include "tests/support/raw_client.h"

#include <atomic>
#include <thread>

namespace switchyard::testing {

std::string Response::DebugString() const {
  std::string out;
  for (const HttpMessage& m : interim) out += "[interim " + std::to_string(m.status) + "] ";
  out += "status=" + std::to_string(status) + " complete=" + (complete ? "yes" : "no");
  if (!error.empty()) out += " error=" + error;
  out += "\n" + headers.DebugString();
  if (body.size() <= 2000) {
    out += body;
  } else {
    out += body.substr(0, 2000) + "...(" + std::to_string(body.size()) + " bytes)";
  }
  return out;
}

RawClient::RawClient(uint16_t port, Clock::duration connect_timeout)
    : socket_(Socket::Connect(port, connect_timeout, &connect_error_)) {}

bool RawClient::Send(std::string_view bytes, Clock::duration timeout) {
  if (!socket_.valid()) return false;
  return socket_.WriteAll(bytes, Deadline::After(timeout)) == IoStatus::kOk;
}

IoStatus RawClient::SendCounted(std::string_view bytes, std::atomic<uint64_t>* sent,
                                Clock::duration timeout) {
  // Write in slices so the counter moves while a large write is blocked on backpressure.
  constexpr size_t kSlice = size_t{64} * 1024;
  const Deadline deadline = Deadline::After(timeout);
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), kSlice);
    uint64_t written = 0;
    const IoStatus st = socket_.WriteAll(bytes.substr(0, n), deadline, -1, &written);
    sent->fetch_add(written);
    if (st != IoStatus::kOk) return st;
    bytes.remove_prefix(n);
  }
  return IoStatus::kOk;
}

Response RawClient::ReadResponse(const ReadOptions& options) {
  Response resp;
  if (!socket_.valid()) {
    resp.error = "not connected";
    return resp;
  }
  const Deadline deadline = Deadline::After(options.timeout);
  for (;;) {
    MessageParser parser(/*is_request=*/false, options.head_request);
    if (options.body_sink) parser.set_body_sink(options.body_sink);
    MessageParser::Result r;
    for (;;) {
      r = parser.Feed(&buffer_);
      if (r == MessageParser::Result::kHeaderDone) continue;
      if (r != MessageParser::Result::kNeedMore) break;
      if (eof_) {
        r = parser.FeedEof();
        if (r == MessageParser::Result::kError) {
          // A message cut short by the close, or nothing at all.
          resp.error = parser.header_done() || !buffer_.empty() ? "eof: " + parser.error()
                                                                : "eof before response";
        }
        break;
      }
      const IoStatus st = socket_.ReadSome(&buffer_, options.read_size, deadline);
      if (st == IoStatus::kEof) {
        eof_ = true;
      } else if (st != IoStatus::kOk) {
        resp.error = IoStatusName(st);
        if (st == IoStatus::kReset) eof_ = true;
        break;
      }
    }
    if (r == MessageParser::Result::kError && resp.error.empty()) {
      resp.error = "parse error: " + parser.error();
    }
    HttpMessage& m = parser.message();
    const bool done = parser.done();
    if (done && m.status >= 100 && m.status < 200 && !options.stop_at_interim) {
      resp.interim.push_back(std::move(m));
      continue;
    }
    static_cast<HttpMessage&>(resp) = std::move(m);
    resp.complete = done;
    return resp;
  }
}

Response RawClient::RoundTrip(std::string_view request, const ReadOptions& options) {
  if (!Send(request)) {
    Response resp;
    resp.error = "send failed";
    // The proxy may have answered and closed before reading everything we sent.
    Response late = ReadResponse(options);
    return late.complete ? late : resp;
  }
  return ReadResponse(options);
}

RawClient::CloseResult RawClient::WaitForClose(Clock::duration timeout) {
  CloseResult result;
  result.data = std::move(buffer_);
  buffer_.clear();
  if (eof_) {
    result.closed = true;
    return result;
  }
  const Deadline deadline = Deadline::After(timeout);
  for (;;) {
    const IoStatus st = socket_.ReadSome(&result.data, size_t{64} * 1024, deadline);
    if (st == IoStatus::kOk) continue;
    if (st == IoStatus::kEof || st == IoStatus::kReset) {
      eof_ = true;
      result.closed = true;
      result.reset = st == IoStatus::kReset;
    }
    return result;
  }
}

std::string RawClient::ReadAvailable(Clock::duration wait) {
  std::string data = std::move(buffer_);
  buffer_.clear();
  if (eof_) return data;
  const IoStatus st = socket_.ReadSome(&data, size_t{64} * 1024, Deadline::After(wait));
  if (st == IoStatus::kEof || st == IoStatus::kReset) eof_ = true;
  return data;
}

bool RawClient::StaysOpenFor(Clock::duration d) {
  if (eof_ || !buffer_.empty()) return false;
  std::string data;
  const IoStatus st = socket_.ReadSome(&data, 4096, Deadline::After(d));
  if (st == IoStatus::kTimeout) return true;
  buffer_ += data;
  if (st == IoStatus::kEof || st == IoStatus::kReset) eof_ = true;
  return false;
}

}  // namespace switchyard::testing
