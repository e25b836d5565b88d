#include "tests/e2e/support/http_connection.h"

#include <utility>

#include "tests/support/http_message.h"

namespace switchyard::e2e {

using ::switchyard::testing::Deadline;
using ::switchyard::testing::HttpMessage;
using ::switchyard::testing::IoStatus;
using ::switchyard::testing::IoStatusName;
using ::switchyard::testing::MessageParser;
using ::switchyard::testing::Socket;

HttpConnection::HttpConnection(uint16_t port, Clock::duration connect_timeout) {
  std::string error;
  socket_ = Socket::Connect(port, connect_timeout, &error);
  connect_error_ = std::move(error);
}

bool HttpConnection::Send(std::string_view bytes, Clock::duration timeout) {
  return socket_.valid() && socket_.WriteAll(bytes, Deadline::After(timeout)) == IoStatus::kOk;
}

HttpConnection::Response HttpConnection::ReadResponse(Clock::duration timeout) {
  Response resp;
  if (!socket_.valid()) {
    resp.error = "not connected";
    return resp;
  }
  const Deadline deadline = Deadline::After(timeout);
  for (;;) {
    MessageParser parser(/*is_request=*/false);
    MessageParser::Result r;
    for (;;) {
      r = parser.Feed(&buffer_);
      if (r == MessageParser::Result::kHeaderDone) continue;
      if (r != MessageParser::Result::kNeedMore) break;
      if (eof_) {
        r = parser.FeedEof();
        if (r == MessageParser::Result::kError) {
          resp.error = parser.header_done() || !buffer_.empty() ? "eof inside a response"
                                                                : "eof before a response";
        }
        break;
      }
      const IoStatus st = socket_.ReadSome(&buffer_, 64 * 1024, deadline);
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
    if (done && m.status >= 100 && m.status < 200) {
      resp.interim.push_back(std::move(m));
      continue;
    }
    static_cast<HttpMessage&>(resp) = std::move(m);
    resp.complete = done;
    return resp;
  }
}

HttpConnection::Response HttpConnection::RoundTrip(std::string_view request,
                                                   Clock::duration timeout) {
  if (!Send(request, timeout)) {
    // The server may have answered and closed before reading all of the request.
    Response late = ReadResponse(timeout);
    if (!late.complete) late.error = "send failed (" + late.error + ")";
    return late;
  }
  return ReadResponse(timeout);
}

}  // namespace switchyard::e2e
