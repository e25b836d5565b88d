#include "dataplane/io/send_now.h"

#include <array>
#include <string>
#include <vector>

#include "boost/asio/read.hpp"
#include "gtest/gtest.h"

namespace switchyard::io {
namespace {

namespace net = boost::asio;
using boost::system::error_code;

// A connected pair of TCP sockets on 127.0.0.1.
struct Pair {
  Pair() {
    Acceptor acceptor(io.get_executor(), {net::ip::address_v4::loopback(), 0});
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
  }
  net::io_context io;
  Socket client{io.get_executor()};
  Socket server{io.get_executor()};
};

TEST(SendNowTest, WritesAllBuffersInOrderWhenTheSocketHasRoom) {
  Pair pair;
  const std::string head = "HTTP/1.1 200 OK\r\n\r\n";
  const std::string body = "hello";
  const std::array<net::const_buffer, 2> buffers = {net::buffer(head), net::buffer(body)};
  error_code ec;
  EXPECT_EQ(SendNow(pair.client, buffers, ec), head.size() + body.size());
  EXPECT_FALSE(ec);
  std::string got(head.size() + body.size(), '\0');
  net::read(pair.server, net::buffer(got), ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(got, head + body);
}

TEST(SendNowTest, AFullSendBufferIsAShortWriteNotAnError) {
  Pair pair;
  const std::string chunk(1 << 20, 'x');
  const std::array<net::const_buffer, 1> buffers = {net::buffer(chunk)};
  error_code ec;
  size_t short_write = chunk.size();
  // Nobody reads the server side: the kernel's buffers fill within a few megabytes.
  for (int i = 0; i < 256 && short_write == chunk.size(); ++i) {
    short_write = SendNow(pair.client, buffers, ec);
    ASSERT_FALSE(ec) << ec.message();
  }
  EXPECT_LT(short_write, chunk.size());
  // Full now: nothing more is taken, and still no error.
  EXPECT_EQ(SendNow(pair.client, buffers, ec), 0u);
  EXPECT_FALSE(ec);
}

TEST(SendNowTest, APeerThatIsGoneIsAnError) {
  Pair pair;
  pair.server.set_option(net::socket_base::linger(true, 0));
  pair.server.close();  // RST
  const std::string data = "data";
  const std::array<net::const_buffer, 1> buffers = {net::buffer(data)};
  error_code ec;
  // The first write may still be accepted before the reset is seen.
  for (int i = 0; i < 100 && !ec; ++i) SendNow(pair.client, buffers, ec);
  EXPECT_TRUE(ec == net::error::connection_reset || ec == net::error::broken_pipe) << ec.message();
}

TEST(SendNowTest, SkipDropsWholeAndPartialBuffers) {
  const std::string a = "abc";
  const std::string b = "defg";
  const std::string c = "h";
  std::array<net::const_buffer, 3> buffers = {net::buffer(a), net::buffer(b), net::buffer(c)};
  EXPECT_EQ(TotalSize(buffers), 8u);

  std::span<net::const_buffer> rest = Skip(buffers, 0);
  EXPECT_EQ(rest.size(), 3u);
  EXPECT_EQ(TotalSize(rest), 8u);

  rest = Skip(buffers, 5);  // all of "abc", "de" of "defg"
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(std::string(static_cast<const char*>(rest[0].data()), rest[0].size()), "fg");
  EXPECT_EQ(TotalSize(rest), 3u);

  std::array<net::const_buffer, 3> again = {net::buffer(a), net::buffer(b), net::buffer(c)};
  EXPECT_TRUE(Skip(again, 8).empty());
}

}  // namespace
}  // namespace switchyard::io
