#include "dataplane/io/tls_layer.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "boost/asio/error.hpp"
#include "dataplane/io/read_some.h"

namespace switchyard::io {
namespace {

namespace net = boost::asio;
using boost::system::error_code;

// Pieces smaller than this are gathered into one record with the pieces after them (a
// response head and a short body: one record, one system call, not one each).
constexpr size_t kGatherBelow = 4096;
// The largest TLS record's payload: what one gathered write holds at most.
constexpr size_t kMaxRecordPayload = size_t{16} * 1024;

}  // namespace

TlsLayer::TlsLayer(SSL* ssl, Socket& socket) : ssl_(ssl), socket_(socket) {
  error_code ignored;
  // OpenSSL reads and writes the descriptor itself: it must not block.
  socket_.non_blocking(true, ignored);
  SSL_set_fd(ssl_.get(), socket_.native_handle());
  // A server SSL (from a server method's context) accepts; a client one connects.
  if (SSL_is_server(ssl_.get()) == 1) {
    SSL_set_accept_state(ssl_.get());
  } else {
    SSL_set_connect_state(ssl_.get());
  }
}

TlsLayer::~TlsLayer() = default;

TlsLayer::Step TlsLayer::Classify(int ret) {
  const int error = SSL_get_error(ssl_.get(), ret);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      return Step::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Step::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return Step::kEof;  // close_notify
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) {
        if (errno == 0) return Step::kEof;  // the connection ended without close_notify
        error_detail_ = std::strerror(errno);
        return Step::kFailed;
      }
      break;
    default:
      break;
  }
  const uint64_t code = ERR_peek_error();
  // OpenSSL 3 reports a connection that ended without close_notify as an error; for a
  // server reading requests (each framed by HTTP itself) it is an ordinary end.
  if (ERR_GET_LIB(code) == ERR_LIB_SSL &&
      ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    ERR_clear_error();
    return Step::kEof;
  }
  client_certificate_refused_ = ERR_GET_LIB(code) == ERR_LIB_SSL &&
                                (ERR_GET_REASON(code) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE ||
                                 ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED);
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  error_detail_ = text.data();
  if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    // Which check failed ("unable to get local issuer certificate", "certificate has
    // expired"): what an operator needs to fix a client.
    error_detail_ += ": ";
    error_detail_ += X509_verify_cert_error_string(SSL_get_verify_result(ssl_.get()));
  }
  ERR_clear_error();
  return Step::kFailed;
}

Awaitable<error_code> TlsLayer::WaitFor(Step step) {
  error_code ec;
  co_await socket_.async_wait(step == Step::kWantWrite ? Socket::wait_write : Socket::wait_read,
                              AwaitInto(ec));
  co_return ec;
}

Awaitable<error_code> TlsLayer::Handshake() {
  for (;;) {
    ERR_clear_error();
    const int ret = SSL_do_handshake(ssl_.get());
    if (ret == 1) co_return error_code{};
    const Step step = Classify(ret);
    if (step == Step::kWantRead || step == Step::kWantWrite) {
      const error_code ec = co_await WaitFor(step);
      if (ec) co_return ec;
      continue;
    }
    if (step == Step::kEof && error_detail_.empty()) error_detail_ = "the peer closed";
    co_return net::error::connection_aborted;
  }
}

Awaitable<error_code> TlsLayer::ReadSome(boost::beast::flat_buffer& buffer) {
  for (;;) {
    const size_t room = buffer.max_size() - buffer.size();
    if (room == 0) co_return net::error::no_buffer_space;
    const auto space = buffer.prepare(std::min(room, kReadChunk));
    size_t got = 0;
    ERR_clear_error();
    const int ret = SSL_read_ex(ssl_.get(), space.data(), space.size(), &got);
    if (ret == 1) {
      buffer.commit(got);
      TakeBufferedRecords(buffer);
      co_return error_code{};
    }
    const Step step = Classify(ret);
    if (step == Step::kWantRead || step == Step::kWantWrite) {
      const error_code ec = co_await WaitFor(step);
      if (ec) co_return ec;
      continue;
    }
    co_return step == Step::kEof ? error_code(net::error::eof) : net::error::connection_aborted;
  }
}

void TlsLayer::TakeBufferedRecords(boost::beast::flat_buffer& buffer) {
  // SSL_read returns one record at a time. Records already read from the socket (read
  // ahead) are taken now, without a system call, so that a client's burst (an HTTP/2
  // client's requests, each in a record of its own) is handled as one batch, as it is
  // over plaintext; otherwise each would wait a turn of the event loop.
  while (SSL_has_pending(ssl_.get()) == 1) {
    const size_t room = buffer.max_size() - buffer.size();
    if (room == 0) return;
    const auto space = buffer.prepare(std::min(room, kReadChunk));
    size_t got = 0;
    if (SSL_read_ex(ssl_.get(), space.data(), space.size(), &got) != 1) {
      // A partial record (the rest is not here yet) or an alert: the next ReadSome finds
      // out which, as it would have without this.
      ERR_clear_error();
      return;
    }
    buffer.commit(got);
  }
}

bool TlsLayer::IdleLooksUsable() {
  char byte;
  size_t got = 0;
  ERR_clear_error();
  const int ret = SSL_read_ex(ssl_.get(), &byte, 1, &got);
  // Application data on an idle connection breaks HTTP/1.1; close_notify, an alert or eof
  // ends it. Only "nothing yet" (after consuming, say, a session ticket) leaves it usable.
  return ret != 1 && Classify(ret) == Step::kWantRead;
}

Awaitable<error_code> TlsLayer::WaitReadable() {
  if (SSL_has_pending(ssl_.get()) == 1) co_return error_code{};
  co_return co_await WaitFor(Step::kWantRead);
}

size_t TlsLayer::WriteOnce(std::span<const net::const_buffer> buffers, Step& step) {
  const net::const_buffer* first = buffers.data();
  const void* data = first->data();
  size_t size = first->size();
  // Gathered in a per-thread scratch: the bytes are copied into the record before
  // SSL_write returns, and a retry gathers exactly the same bytes again.
  thread_local std::array<char, kMaxRecordPayload> scratch;
  if (buffers.size() > 1 && size < kGatherBelow) {
    size = 0;
    for (const net::const_buffer& b : buffers) {
      const size_t n = std::min(b.size(), scratch.size() - size);
      std::memcpy(scratch.data() + size, b.data(), n);
      size += n;
      if (size == scratch.size()) break;
    }
    data = scratch.data();
  }
  size_t written = 0;
  ERR_clear_error();
  const int ret = SSL_write_ex(ssl_.get(), data, size, &written);
  if (ret == 1) {
    step = Step::kDone;
    return written;
  }
  step = Classify(ret);
  return 0;
}

size_t TlsLayer::WriteNow(std::span<const net::const_buffer> buffers, error_code& ec) {
  size_t total = 0;
  std::span<const net::const_buffer> rest = buffers;
  while (!rest.empty()) {
    if (rest.front().size() == 0) {
      rest = rest.subspan(1);
      continue;
    }
    Step step = Step::kDone;
    size_t n = WriteOnce(rest, step);
    if (step == Step::kWantRead || step == Step::kWantWrite) break;
    if (step != Step::kDone) {
      ec = net::error::connection_aborted;
      break;
    }
    total += n;
    // Drop what was written from the front.
    while (n > 0 && !rest.empty()) {
      if (n < rest.front().size()) break;
      n -= rest.front().size();
      rest = rest.subspan(1);
    }
    if (n > 0) break;  // the first piece was taken in part: the caller offers the rest
  }
  return total;
}

Awaitable<error_code> TlsLayer::Write(std::span<const net::const_buffer> buffers) {
  size_t total = 0;
  for (const net::const_buffer& b : buffers) total += b.size();
  size_t done = 0;
  while (done < total) {
    // The rest: `done` bytes skipped from the front. (WriteOnce looks at no more than a
    // record's worth, so eight pieces are plenty.)
    size_t skip = done;
    size_t index = 0;
    while (index < buffers.size() && skip >= buffers[index].size()) {
      skip -= buffers[index].size();
      ++index;
    }
    std::array<net::const_buffer, 8> rest;
    size_t count = 0;
    for (size_t i = index; i < buffers.size() && count < rest.size(); ++i) {
      rest[count++] = i == index ? buffers[i] + skip : buffers[i];
    }
    Step step = Step::kDone;
    const size_t n = WriteOnce(std::span<const net::const_buffer>(rest.data(), count), step);
    if (step == Step::kDone) {
      done += n;
      continue;
    }
    if (step == Step::kWantRead || step == Step::kWantWrite) {
      const error_code ec = co_await WaitFor(step);
      if (ec) co_return ec;
      continue;
    }
    co_return net::error::connection_aborted;
  }
  co_return error_code{};
}

Awaitable<error_code> TlsLayer::Write(net::const_buffer buffer) {
  const std::array<net::const_buffer, 1> one{buffer};
  co_return co_await Write(std::span<const net::const_buffer>(one));
}

void TlsLayer::Close() {
  if (SSL_is_init_finished(ssl_.get()) != 1) return;
  ERR_clear_error();
  SSL_shutdown(ssl_.get());  // one try: close_notify if the socket takes it now
  ERR_clear_error();
}

std::string_view TlsLayer::alpn() const {
  const unsigned char* data = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_.get(), &data, &length);
  return {reinterpret_cast<const char*>(data), length};
}

}  // namespace switchyard::io
