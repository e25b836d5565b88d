#include "dataplane/io/tls_layer.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "dataplane/tls/testing/test_certificates.h"
#include "gtest/gtest.h"

namespace switchyard::io {
namespace {

namespace net = boost::asio;
using boost::system::error_code;

SSL_CTX* ServerContext() {
  const tls::testing::TestCertificate cert = tls::testing::SelfSigned({"layer.test"});
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  BIO* cert_bio = BIO_new_mem_buf(cert.cert_pem.data(), static_cast<int>(cert.cert_pem.size()));
  X509* x509 = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO* key_bio = BIO_new_mem_buf(cert.key_pem.data(), static_cast<int>(cert.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  EXPECT_EQ(SSL_CTX_use_certificate(ctx, x509), 1);
  EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx, key), 1);
  // As dataplane/tls sets them for the request path.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  X509_free(x509);
  EVP_PKEY_free(key);
  BIO_free(cert_bio);
  BIO_free(key_bio);
  return ctx;
}

// A blocking OpenSSL client on one end of a TCP pair; the server end is a TlsLayer run by
// the test's io_context.
class TlsLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // OpenSSL writes with write(2): a peer gone raises SIGPIPE, which the proxy ignores
    // process-wide (common/stop_signals.h), as the test must.
    ::signal(SIGPIPE, SIG_IGN);
    server_ctx_ = ServerContext();
    client_ctx_ = SSL_CTX_new(TLS_client_method());
    Acceptor acceptor(io_.get_executor(), {net::ip::address_v4::loopback(), 0});
    client_socket_.connect(acceptor.local_endpoint());
    acceptor.accept(server_socket_);
    client_ = SSL_new(client_ctx_);
    SSL_set_fd(client_, client_socket_.native_handle());
    layer_ = std::make_unique<TlsLayer>(SSL_new(server_ctx_), server_socket_);
  }
  void TearDown() override {
    layer_.reset();
    SSL_free(client_);
    SSL_CTX_free(client_ctx_);
    SSL_CTX_free(server_ctx_);
  }

  // Runs `body` as a coroutine on the io_context while `client` runs on a thread.
  template <typename Body, typename Client>
  void Run(Body body, Client client) {
    std::thread thread(client);
    net::co_spawn(io_.get_executor(), body(), net::detached);
    io_.run();
    thread.join();
  }

  // Client side, blocking: reads exactly `size` bytes.
  std::string ClientRead(size_t size) {
    std::string out;
    std::array<char, 16384> chunk;
    while (out.size() < size) {
      size_t got = 0;
      if (SSL_read_ex(client_, chunk.data(), std::min(chunk.size(), size - out.size()), &got) !=
          1) {
        break;
      }
      out.append(chunk.data(), got);
    }
    return out;
  }

  net::io_context io_;
  Socket client_socket_{io_.get_executor()};
  Socket server_socket_{io_.get_executor()};
  SSL_CTX* server_ctx_ = nullptr;
  SSL_CTX* client_ctx_ = nullptr;
  SSL* client_ = nullptr;
  std::unique_ptr<TlsLayer> layer_;
};

std::string Pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return out;
}

TEST_F(TlsLayerTest, HandshakeThenBytesBothWays) {
  error_code handshake, read, write;
  std::string received;
  std::string client_got;
  Run(
      [&]() -> Awaitable<void> {
        handshake = co_await layer_->Handshake();
        boost::beast::flat_buffer buffer;
        while (!read && buffer.size() < 5) {
          read = co_await layer_->ReadSome(buffer);
        }
        received.assign(static_cast<const char*>(buffer.data().data()), buffer.size());
        const std::string head = "head:";
        const std::string body = "body";
        const std::array<net::const_buffer, 2> pieces = {net::buffer(head), net::buffer(body)};
        write = co_await layer_->Write(std::span<const net::const_buffer>(pieces));
      },
      [&] {
        ASSERT_EQ(SSL_connect(client_), 1);
        ASSERT_EQ(SSL_write(client_, "hello", 5), 5);
        client_got = ClientRead(9);
      });
  EXPECT_FALSE(handshake) << handshake.message() << " " << layer_->error_detail();
  EXPECT_FALSE(read) << read.message();
  EXPECT_EQ(received, "hello");
  EXPECT_FALSE(write) << write.message();
  EXPECT_EQ(client_got, "head:body");
}

TEST_F(TlsLayerTest, AShortWriteNowIsFinishedByWriteWithTheSameBytes) {
  // 8 MiB outruns the socket buffers of both ends, so WriteNow must stop short while the
  // client does not read; Write then sends the rest once the client reads.
  const std::string data = Pattern(size_t{8} * 1024 * 1024);
  const std::string head = "HEAD";
  size_t taken_now = 0;
  error_code now_ec, write_ec;
  std::string client_got;
  std::atomic<bool> may_read{false};
  Run(
      [&]() -> Awaitable<void> {
        const error_code handshake = co_await layer_->Handshake();
        EXPECT_FALSE(handshake);
        const std::array<net::const_buffer, 2> all = {net::buffer(head), net::buffer(data)};
        taken_now = layer_->WriteNow(all, now_ec);
        may_read = true;
        // The rest, exactly as Http1Connection::SendBody offers it.
        size_t skip = taken_now;
        std::vector<net::const_buffer> rest;
        for (const net::const_buffer& b : all) {
          if (skip >= b.size()) {
            skip -= b.size();
            continue;
          }
          rest.push_back(b + skip);
          skip = 0;
        }
        write_ec = co_await layer_->Write(std::span<const net::const_buffer>(rest));
      },
      [&] {
        ASSERT_EQ(SSL_connect(client_), 1);
        while (!may_read) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        client_got = ClientRead(head.size() + data.size());
      });
  EXPECT_FALSE(now_ec) << now_ec.message();
  EXPECT_GT(taken_now, 0u);
  EXPECT_LT(taken_now, head.size() + data.size());
  EXPECT_FALSE(write_ec) << write_ec.message() << " " << layer_->error_detail();
  ASSERT_EQ(client_got.size(), head.size() + data.size());
  EXPECT_TRUE(client_got == head + data) << "the byte stream differs";
}

TEST_F(TlsLayerTest, TheClientsCloseIsAnEndOfFile) {
  error_code first, second;
  Run(
      [&]() -> Awaitable<void> {
        EXPECT_FALSE(co_await layer_->Handshake());
        // Waiting without a buffer, as an idle connection does.
        EXPECT_FALSE(co_await layer_->WaitReadable());
        boost::beast::flat_buffer buffer;
        first = co_await layer_->ReadSome(buffer);
        second = co_await layer_->ReadSome(buffer);
      },
      [&] {
        ASSERT_EQ(SSL_connect(client_), 1);
        ASSERT_EQ(SSL_write(client_, "x", 1), 1);
        SSL_shutdown(client_);  // close_notify
      });
  EXPECT_FALSE(first);
  EXPECT_EQ(second, net::error::eof);
}

TEST_F(TlsLayerTest, AConnectionCutWithoutCloseNotifyIsAnEndOfFileToo) {
  error_code read;
  Run(
      [&]() -> Awaitable<void> {
        EXPECT_FALSE(co_await layer_->Handshake());
        boost::beast::flat_buffer buffer;
        read = co_await layer_->ReadSome(buffer);
      },
      [&] {
        ASSERT_EQ(SSL_connect(client_), 1);
        ::shutdown(client_socket_.native_handle(), SHUT_RDWR);
      });
  EXPECT_EQ(read, net::error::eof);
}

TEST_F(TlsLayerTest, APlaintextClientFailsTheHandshakeWithADetail) {
  error_code handshake;
  Run([&]() -> Awaitable<void> { handshake = co_await layer_->Handshake(); },
      [&] {
        const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        ASSERT_EQ(::send(client_socket_.native_handle(), request.data(), request.size(), 0),
                  static_cast<ssize_t>(request.size()));
      });
  EXPECT_EQ(handshake, net::error::connection_aborted);
  EXPECT_FALSE(layer_->error_detail().empty());
}

}  // namespace
}  // namespace switchyard::io
