#include "tests/support/tls_front.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace switchyard::testing {
namespace {

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "TlsFront: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  std::abort();
}

// poll(2)'s event bits, in its own type.
using PollEvents = decltype(pollfd{}.events);

std::string TakeError() {
  std::array<char, 256> text{};
  ERR_error_string_n(ERR_get_error(), text.data(), text.size());
  ERR_clear_error();
  return text.data();
}

// Records the offered protocols in the connection's FrontHandshake and picks http/1.1 when
// offered (the only protocol the relay speaks), else none.
int SelectAlpn(SSL* ssl, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
               unsigned int in_len, void*) {
  auto* record = static_cast<FrontHandshake*>(SSL_get_app_data(ssl));
  int result = SSL_TLSEXT_ERR_NOACK;
  for (unsigned int i = 0; i < in_len && i + 1 + in[i] <= in_len; i += 1 + in[i]) {
    const std::string protocol(reinterpret_cast<const char*>(in + i + 1), in[i]);
    if (!record->alpn_offered.empty()) record->alpn_offered += ",";
    record->alpn_offered += protocol;
    if (protocol == "http/1.1") {
      *out = in + i + 1;
      *out_len = in[i];
      result = SSL_TLSEXT_ERR_OK;
    }
  }
  return result;
}

std::string Subject(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int)
  std::string subject(data, static_cast<size_t>(size));
  BIO_free(bio);
  return subject;
}

}  // namespace

TlsFront::TlsFront(uint16_t target_port, const TlsFrontOptions& options)
    : target_port_(target_port) {
  ctx_ = SSL_CTX_new(TLS_server_method());
  Check(ctx_ != nullptr, "SSL_CTX_new");
  BIO* chain =
      BIO_new_mem_buf(options.chain_pem.data(), static_cast<int>(options.chain_pem.size()));
  X509* leaf = PEM_read_bio_X509(chain, nullptr, nullptr, nullptr);
  Check(leaf != nullptr && SSL_CTX_use_certificate(ctx_, leaf) == 1, "loading the certificate");
  X509_free(leaf);
  while (X509* extra = PEM_read_bio_X509(chain, nullptr, nullptr, nullptr)) {
    Check(SSL_CTX_add0_chain_cert(ctx_, extra) == 1, "adding a chain certificate");
  }
  ERR_clear_error();  // the end of the PEM
  BIO_free(chain);
  BIO* key_bio = BIO_new_mem_buf(options.key_pem.data(), static_cast<int>(options.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  Check(key != nullptr && SSL_CTX_use_PrivateKey(ctx_, key) == 1, "loading the key");
  EVP_PKEY_free(key);
  BIO_free(key_bio);
  if (!options.client_ca_pem.empty()) {
    BIO* ca = BIO_new_mem_buf(options.client_ca_pem.data(),
                              static_cast<int>(options.client_ca_pem.size()));
    while (X509* anchor = PEM_read_bio_X509(ca, nullptr, nullptr, nullptr)) {
      Check(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), anchor) == 1, "adding a CA");
      X509_free(anchor);
    }
    ERR_clear_error();
    BIO_free(ca);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  SSL_CTX_set_alpn_select_cb(ctx_, &SelectAlpn, nullptr);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

TlsFront::~TlsFront() {
  stop_.Trigger();
  accept_thread_.join();
  // No lock needed: the accept thread is gone, so the list no longer changes.
  for (Conn& conn : conns_) conn.thread.join();
  SSL_CTX_free(ctx_);
}

std::vector<FrontHandshake> TlsFront::handshakes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return handshakes_;
}

bool TlsFront::WaitForHandshakes(size_t n, Clock::duration timeout) const {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (handshakes().size() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void TlsFront::AcceptLoop() {
  while (!stop_.triggered()) {
    Socket socket = listener_.Accept(Deadline::Never(), stop_.fd());
    if (!socket.valid()) continue;
    std::lock_guard<std::mutex> lock(mu_);
    Conn& conn = conns_.emplace_back();
    conn.socket = std::move(socket);
    conn.thread = std::thread([this, c = &conn] { Serve(c); });
  }
}

void TlsFront::Serve(Conn* conn) {
  const int fd = conn->socket.fd();
  SSL* ssl = SSL_new(ctx_);
  FrontHandshake record;
  SSL_set_app_data(ssl, &record);
  SSL_set_fd(ssl, fd);
  // Waits for `events` on the TLS socket (and always for readability of `other`, when set)
  // or the stop signal; false when stopping.
  const auto wait = [&](PollEvents events, int other, PollEvents other_events) {
    std::array<pollfd, 3> fds = {pollfd{fd, events, 0}, pollfd{stop_.fd(), POLLIN, 0},
                                 pollfd{other, other_events, 0}};
    ::poll(fds.data(), other >= 0 ? 3 : 2, 50);
    return !stop_.triggered();
  };

  const auto handshake_end = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    ERR_clear_error();
    const int ret = SSL_accept(ssl);
    if (ret == 1) {
      record.ok = true;
      break;
    }
    const int error = SSL_get_error(ssl, ret);
    if ((error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) ||
        Clock::now() > handshake_end ||
        !wait(error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, -1, 0)) {
      record.error = TakeError();
      break;
    }
  }
  if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
    record.server_name = name;
  }
  if (X509* peer = SSL_get0_peer_certificate(ssl)) record.client_subject = Subject(peer);
  const bool ok = record.ok;
  {
    std::lock_guard<std::mutex> lock(mu_);
    handshakes_.push_back(std::move(record));
  }
  Socket plain = ok ? Socket::Connect(target_port_, std::chrono::seconds(5)) : Socket();
  std::string to_plain;
  std::string to_tls;
  bool tls_eof = false;
  bool plain_eof = false;
  bool tls_closed = false;
  bool plain_closed = false;
  std::array<char, 16384> chunk;
  while (plain.valid() && !stop_.triggered() && !(tls_closed && plain_closed)) {
    bool progress = false;
    PollEvents tls_events = 0;
    if (!tls_eof && to_plain.empty()) {
      size_t got = 0;
      ERR_clear_error();
      const int ret = SSL_read_ex(ssl, chunk.data(), chunk.size(), &got);
      if (ret == 1) {
        to_plain.append(chunk.data(), got);
        progress = true;
      } else {
        const int error = SSL_get_error(ssl, ret);
        if (error == SSL_ERROR_WANT_READ) {
          tls_events |= POLLIN;
        } else if (error == SSL_ERROR_WANT_WRITE) {
          tls_events |= POLLOUT;
        } else {
          ERR_clear_error();
          tls_eof = true;
          progress = true;
        }
      }
    }
    if (!to_plain.empty()) {
      const ssize_t n = ::send(plain.fd(), to_plain.data(), to_plain.size(), MSG_NOSIGNAL);
      if (n > 0) {
        to_plain.erase(0, static_cast<size_t>(n));
        progress = true;
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        break;
      }
    }
    if (tls_eof && to_plain.empty() && !plain_closed) {
      plain.ShutdownWrite();
      plain_closed = true;
    }
    if (!plain_eof && to_tls.empty()) {
      const ssize_t n = ::recv(plain.fd(), chunk.data(), chunk.size(), MSG_DONTWAIT);
      if (n > 0) {
        to_tls.assign(chunk.data(), static_cast<size_t>(n));
        progress = true;
      } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        plain_eof = true;
        progress = true;
      }
    }
    if (!to_tls.empty()) {
      size_t written = 0;
      ERR_clear_error();
      const int ret = SSL_write_ex(ssl, to_tls.data(), to_tls.size(), &written);
      if (ret == 1) {
        to_tls.erase(0, written);
        progress = true;
      } else if (SSL_get_error(ssl, ret) == SSL_ERROR_WANT_WRITE) {
        tls_events |= POLLOUT;
      } else if (SSL_get_error(ssl, ret) != SSL_ERROR_WANT_READ) {
        break;
      }
    }
    if (plain_eof && to_tls.empty() && !tls_closed) {
      SSL_shutdown(ssl);  // close_notify, then the write side of TCP
      ::shutdown(fd, SHUT_WR);
      tls_closed = true;
    }
    if (!progress) {
      // Never readability of a side that reached its end: poll would report it at once.
      const PollEvents plain_events =
          static_cast<PollEvents>((plain_eof ? 0 : POLLIN) | (to_plain.empty() ? 0 : POLLOUT));
      if (!wait(static_cast<PollEvents>(tls_events | (tls_eof ? 0 : POLLIN)), plain.fd(),
                plain_events)) {
        break;
      }
    }
  }
  SSL_free(ssl);
  conn->socket.Close();
}

}  // namespace switchyard::testing
