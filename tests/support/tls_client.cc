#include "tests/support/tls_client.h"

#include <fcntl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <csignal>

#include "absl/strings/numbers.h"
#include "tests/support/child_process.h"

namespace switchyard::testing {

TlsConnection::TlsConnection(uint16_t port, const std::string& server_name,
                             const std::string& preamble)
    : socket_(Socket::Connect(port, std::chrono::seconds(5))) {
  if (!socket_.valid()) return;
  // OpenSSL writes with write(2): a connection the server closed must fail the call, not
  // kill the test with SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  // The harness's sockets are non-blocking; this client blocks, for 10 s at most.
  ::fcntl(socket_.fd(), F_SETFL, ::fcntl(socket_.fd(), F_GETFL) & ~O_NONBLOCK);
  const timeval limit{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(socket_.fd(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
  if (!preamble.empty() && ::send(socket_.fd(), preamble.data(), preamble.size(), MSG_NOSIGNAL) !=
                               static_cast<ssize_t>(preamble.size())) {
    return;
  }
  ctx_ = SSL_CTX_new(TLS_client_method());
  ssl_ = SSL_new(ctx_);
  SSL_set_tlsext_host_name(ssl_, server_name.c_str());
  SSL_set_fd(ssl_, socket_.fd());
  connected_ = SSL_connect(ssl_) == 1;
}

TlsConnection::~TlsConnection() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

std::string TlsConnection::PeerCommonName() const {
  X509* peer = ssl_ != nullptr ? SSL_get1_peer_certificate(ssl_) : nullptr;
  if (peer == nullptr) return "";
  std::array<char, 256> name{};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name.data(),
                            static_cast<int>(name.size()));
  X509_free(peer);
  return name.data();
}

int TlsConnection::Get(const std::string& host) {
  if (!connected_) return 0;
  const std::string request = "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
  if (SSL_write(ssl_, request.data(), static_cast<int>(request.size())) <= 0) return 0;
  std::string in;
  std::array<char, 4096> chunk;
  size_t head_end = std::string::npos;
  size_t length = 0;
  for (;;) {
    if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
      const size_t at = in.find("content-length: ");
      if (at == std::string::npos || at > head_end ||
          !absl::SimpleAtoi(in.substr(at + 16, in.find("\r\n", at) - at - 16), &length)) {
        return 0;
      }
    }
    if (head_end != std::string::npos && in.size() >= head_end + 4 + length) break;
    const int n = SSL_read(ssl_, chunk.data(), static_cast<int>(chunk.size()));
    if (n <= 0) return 0;
    in.append(chunk.data(), static_cast<size_t>(n));
  }
  int status = 0;
  return in.size() > 12 && absl::SimpleAtoi(in.substr(9, 3), &status) ? status : 0;
}

std::string ServedCommonName(uint16_t port, const std::string& host) {
  const std::string p = std::to_string(port);
  const CommandResult r =
      RunCommand({"/usr/bin/curl", "-sS", "-k", "-v", "-o", "/dev/null", "--max-time", "10",
                  "--resolve", host + ":" + p + ":127.0.0.1", "https://" + host + ":" + p + "/"},
                 std::chrono::seconds(20));
  const size_t at = r.stderr_text.find("subject: CN=");
  if (at == std::string::npos) return "";
  return r.stderr_text.substr(at + 12, r.stderr_text.find('\n', at) - at - 12);
}

}  // namespace switchyard::testing
